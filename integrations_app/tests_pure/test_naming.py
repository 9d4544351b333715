import unittest

from integrations_app.outbound.rules import naming


class TestEventTypes(unittest.TestCase):
	def test_verbs(self):
		self.assertEqual(naming.event_type("Customer", "after_insert"), "customer.created")
		self.assertEqual(naming.event_type("Sales Invoice", "on_submit"), "sales_invoice.submitted")
		self.assertEqual(naming.event_type("Sales Invoice", "on_cancel"), "sales_invoice.cancelled")
		self.assertEqual(naming.event_type("ToDo", "on_update"), "todo.updated")
		self.assertEqual(naming.event_type("Blog-Post", "on_trash"), "blog_post.deleted")
		self.assertEqual(
			naming.event_type("Sales Invoice", "on_update_after_submit"), "sales_invoice.updated_after_submit"
		)

	def test_unknown_method(self):
		with self.assertRaises(ValueError):
			naming.event_type("ToDo", "on_change")

	def test_test_event_type(self):
		self.assertEqual(naming.test_event_type("Sales Order"), "sales_order.test")


class TestMessageIds(unittest.TestCase):
	def test_shape(self):
		mid = naming.new_message_id()
		self.assertTrue(mid.startswith("msg_"))
		self.assertEqual(len(mid), 30)
		self.assertTrue(naming.is_message_id(mid))
		self.assertFalse(naming.is_message_id("msg_short"))
		self.assertFalse(naming.is_message_id("msg_" + "I" * 26))  # I is not Crockford

	def test_unique_and_sorted_within_one_millisecond(self):
		gen = naming._MonotonicUlid()
		ids = [gen(now_ms=1_700_000_000_000) for _ in range(1000)]
		self.assertEqual(len(set(ids)), 1000)
		self.assertEqual(ids, sorted(ids))

	def test_sorted_across_milliseconds(self):
		gen = naming._MonotonicUlid()
		self.assertLess(gen(now_ms=1000), gen(now_ms=1001))

	def test_time_prefix(self):
		gen = naming._MonotonicUlid()
		self.assertEqual(gen(now_ms=0)[:10], "0000000000")


class TestSlugs(unittest.TestCase):
	def test_valid(self):
		for slug in ("stripe", "stripe-live", "gh_main", "a", "x1"):
			self.assertTrue(naming.is_valid_slug(slug), slug)

	def test_invalid(self):
		for slug in ("", "Stripe", "-a", "a-", "a b", "a/b", "a" * 65, "é"):
			self.assertFalse(naming.is_valid_slug(slug), slug)
