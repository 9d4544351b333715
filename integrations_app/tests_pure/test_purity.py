import ast
import pathlib
import unittest

LIB = pathlib.Path(__file__).resolve().parent.parent / "lib"


class TestLibIsFrappeFree(unittest.TestCase):
	def test_no_frappe_imports(self):
		for path in sorted(LIB.glob("*.py")):
			tree = ast.parse(path.read_text())
			for node in ast.walk(tree):
				names = []
				if isinstance(node, ast.Import):
					names = [a.name for a in node.names]
				elif isinstance(node, ast.ImportFrom):
					names = [node.module or ""]
				for name in names:
					self.assertFalse(name.split(".")[0] == "frappe", f"{path.name} imports {name}")
