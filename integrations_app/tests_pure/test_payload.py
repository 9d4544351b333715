import datetime
import decimal
import json
import unittest

from integrations_app.outbound.rules import payload


class TestPayload(unittest.TestCase):
	def test_dumps_serialises_dates_and_decimals(self):
		text = payload.dumps({"d": datetime.date(2024, 5, 1), "n": decimal.Decimal("1.50"), "é": "ü"})
		self.assertEqual(json.loads(text), {"d": "2024-05-01", "n": "1.50", "é": "ü"})

	def test_field_list(self):
		self.assertEqual(payload.parse_field_list("a\n b \n\na, c\nb"), ["a", "b", "c"])
		self.assertEqual(payload.parse_field_list(None), [])

	def test_pick_fields(self):
		doc = {"doctype": "ToDo", "name": "T-1", "status": "Open", "secret": "x", "items": [{"a": 1}]}
		self.assertEqual(
			payload.pick_fields(doc, ["status", "items", "missing"]),
			{"doctype": "ToDo", "name": "T-1", "status": "Open", "items": [{"a": 1}], "missing": None},
		)

	def test_document_data_drops_frappes_form_state(self):
		doc = {
			"doctype": "Contact",
			"name": "C-1",
			"__unsaved": 1,
			"__islocal": 1,
			"__onload": {"addr_list": []},
			"__run_link_triggers": 1,
			"_user_tags": ",vip",
			"notes": "__not a key",
			"email_ids": [{"doctype": "Contact Email", "email_id": "a@example.com", "__islocal": 1, "__unsaved": 1}],
			"empty": [],
		}
		self.assertEqual(
			payload.document_data(doc),
			{
				"doctype": "Contact",
				"name": "C-1",
				"_user_tags": ",vip",
				"notes": "__not a key",
				"email_ids": [{"doctype": "Contact Email", "email_id": "a@example.com"}],
				"empty": [],
			},
		)
		self.assertEqual(doc["__unsaved"], 1, "the document's own dict is left as it was")

	def test_template_output(self):
		self.assertEqual(payload.parse_template_output(' {"a": 1} '), {"a": 1})
		with self.assertRaises(payload.PayloadError) as ctx:
			payload.parse_template_output('{"a": Hello}')
		self.assertIn("line 1", str(ctx.exception))
		self.assertIn("tojson", str(ctx.exception))
