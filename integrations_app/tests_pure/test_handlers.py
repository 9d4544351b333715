import unittest

from integrations_app.inbound.rules import handler_map as handlers


class TestHandlerRegistry(unittest.TestCase):
	def test_merge_normalises_strings_and_lists(self):
		merged = handlers.merge_handler_maps(
			{"stripe": {"charge.succeeded": "a.one", "*": ["a.audit"]}},
			{"stripe": {"charge.succeeded": ["b.two", "a.one"]}, "*": {"*": "c.all"}},
		)
		self.assertEqual(
			merged,
			{
				"stripe": {"charge.succeeded": ["a.one", "b.two"], "*": ["a.audit"]},
				"*": {"*": ["c.all"]},
			},
		)

	def test_frappe_get_hooks_shape(self):
		# frappe.get_hooks already turns leaves into lists
		merged = handlers.normalize_handler_map({"github": {"push": ["x.y"]}})
		self.assertEqual(merged, {"github": {"push": ["x.y"]}})
		self.assertEqual(handlers.normalize_handler_map(None), {})
		self.assertEqual(handlers.normalize_handler_map({}), {})

	def test_invalid(self):
		with self.assertRaises(ValueError):
			handlers.normalize_handler_map({"stripe": "a.b"})
		with self.assertRaises(ValueError):
			handlers.normalize_handler_map({"stripe": {"x": 1}})
		with self.assertRaises(ValueError):
			handlers.normalize_handler_map("a.b")

	def test_resolution_order(self):
		registry = handlers.normalize_handler_map(
			{
				"stripe": {"charge.succeeded": "exact", "*": ["provider_any", "exact"]},
				"*": {"charge.succeeded": "any_provider_exact", "*": "everything"},
			}
		)
		self.assertEqual(
			handlers.resolve_handlers(registry, "stripe", "charge.succeeded"),
			["exact", "provider_any", "any_provider_exact", "everything"],
		)
		self.assertEqual(handlers.resolve_handlers(registry, "stripe", "other"), ["provider_any", "exact", "everything"])
		self.assertEqual(handlers.resolve_handlers(registry, "github", "push"), ["everything"])
		self.assertEqual(handlers.resolve_handlers({}, "github", "push"), [])
