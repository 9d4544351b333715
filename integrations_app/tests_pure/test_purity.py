import ast
import pathlib
import unittest

APP = pathlib.Path(__file__).resolve().parent.parent
# The Frappe-free rules: every domain's `rules/` package, plus the shared pure modules.
PURE = sorted([*APP.glob("*/rules/*.py"), APP / "timefmt.py", APP / "urls.py"])


class TestRulesAreFrappeFree(unittest.TestCase):
	def test_there_are_rules_to_check(self):
		domains = {path.parent.parent.name for path in PURE if path.parent.name == "rules"}
		self.assertLessEqual({"outbound", "inbound", "connections"}, domains)

	def test_no_frappe_imports(self):
		for path in PURE:
			tree = ast.parse(path.read_text())
			for node in ast.walk(tree):
				names = []
				if isinstance(node, ast.Import):
					names = [a.name for a in node.names]
				elif isinstance(node, ast.ImportFrom):
					names = [node.module or ""]
				for name in names:
					self.assertFalse(name.split(".")[0] == "frappe", f"{path} imports {name}")
