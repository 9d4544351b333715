import unittest

from integrations_app.outbound.rules import conditions


class TestConditions(unittest.TestCase):
	def test_syntax(self):
		conditions.check_condition_syntax("doc.status == 'Open' and doc.priority in ('High',)")
		with self.assertRaises(ValueError) as ctx:
			conditions.check_condition_syntax("doc.status ==")
		self.assertIn("not a valid Python expression", str(ctx.exception))
		with self.assertRaises(ValueError):
			conditions.check_condition_syntax("x = 1")  # a statement, not an expression

	def test_format(self):
		try:
			None.upper()  # noqa
		except AttributeError as e:
			message = conditions.format_condition_error(" doc.x.upper() ", e)
		self.assertTrue(message.startswith("AttributeError: "))
		self.assertIn("'doc.x.upper()'", message)

	def test_format_truncates(self):
		message = conditions.format_condition_error("x" * 5000, ValueError("boom"))
		self.assertEqual(len(message), conditions.MAX_ERROR_LENGTH)


class TestReadOnlyRecord(unittest.TestCase):
	def record(self):
		return conditions.ReadOnlyRecord({"doctype": "ToDo", "name": "T-1", "status": "Open", "items": [{"qty": 2}]})

	def test_values_by_attribute_key_and_get(self):
		doc = self.record()
		self.assertEqual((doc.status, doc["status"], doc.get("status"), doc.get("missing", 0)), ("Open", "Open", "Open", 0))
		self.assertEqual(doc.items[0].qty, 2)
		self.assertIn("status", doc)

	def test_nothing_can_be_changed_or_called(self):
		doc = self.record()
		for attempt in (
			lambda: doc.db_set("status", "Closed"),
			lambda: doc.save(),
			lambda: doc.run_method("__getattribute__", "__class__"),
			lambda: doc.get_password("secret"),
			lambda: setattr(doc, "status", "Closed"),
			lambda: delattr(doc, "status"),
			lambda: doc._values.__setitem__("status", "Closed"),
			lambda: doc.items[0]._values.__setitem__("qty", 3),
		):
			with self.assertRaises((AttributeError, TypeError)):
				attempt()
		self.assertEqual((doc.status, doc.items[0].qty), ("Open", 2))
