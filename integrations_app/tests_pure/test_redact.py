import json
import pathlib
import unittest

from integrations_app.sync.rules.redact import redact

# Also read by the sidecar's test (sidecar/src/connections/redact.test.ts): one list, two implementations.
VECTORS = pathlib.Path(__file__).resolve().parents[2] / "test" / "vectors" / "redaction.json"


class TestSharedRedactionVectors(unittest.TestCase):
	def test_each_input_becomes_its_output(self):
		cases = json.loads(VECTORS.read_text())["cases"]
		self.assertGreater(len(cases), 0)
		for case in cases:
			with self.subTest(case["name"]):
				self.assertEqual(redact(case["input"]), case["output"])
