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
