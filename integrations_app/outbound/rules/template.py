"""Payload templates: Jinja that sees the document's values and nothing else.

A template is configuration an Integration Manager writes, and it runs inside other users'
requests (every save of the watched DocType). So it runs in Jinja's immutable sandbox with no
globals but a bounded `range`: `doc` is plain JSON data (dicts, lists, strings, numbers), there
is no `frappe`, no request, no import, no attribute starting with `_`, no way to change a value,
and the operators that could build huge values are bounded. Names other than `doc` and
attribute walks to `_…` are refused when the webhook is saved (`check_template`); the sandbox
refuses them again at render time, whatever got past the check.
"""

import operator
from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

CONTEXT_NAMES = frozenset({"doc", "range"})
MAX_RANGE = 10_000
MAX_REPEAT = 100_000  # longest string or list `*` may build
MAX_EXPONENT = 64
MAX_OUTPUT = 1_000_000  # characters; far above any sane webhook body


class TemplateError(ValueError):
	"""The template may not be saved, or could not be rendered."""


def _bounded_range(*args: int) -> range:
	values = range(*args)
	if len(values) > MAX_RANGE:
		raise SecurityError(f"range() is limited to {MAX_RANGE} items")
	return values


class PayloadEnvironment(ImmutableSandboxedEnvironment):
	"""The sandbox, with data-first attribute access: `doc.items` is the document's `items`
	field (a child table), not `dict.items`, as it was on a Frappe document."""

	intercepted_binops = frozenset({"*", "**"})

	def __init__(self):
		super().__init__(autoescape=False, undefined=StrictUndefined, auto_reload=False)
		self.globals.clear()
		self.globals["range"] = _bounded_range

	def getattr(self, obj: Any, attribute: str) -> Any:
		if isinstance(obj, Mapping) and isinstance(attribute, str) and attribute in obj:
			if attribute.startswith("_"):
				return self.unsafe_undefined(obj, attribute)
			return obj[attribute]
		return super().getattr(obj, attribute)

	def unsafe_undefined(self, obj: Any, attribute: str):
		# Jinja returns an Undefined that fails only when printed; `map(attribute=…)|list` would
		# carry it along silently. Refuse at once.
		raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe")

	def getitem(self, obj: Any, argument: Any) -> Any:
		if isinstance(argument, str) and argument.startswith("_"):
			return self.unsafe_undefined(obj, argument)
		return super().getitem(obj, argument)

	def call_binop(self, context, op: str, left: Any, right: Any) -> Any:
		if op == "**":
			if not isinstance(right, (int, float)) or abs(right) > MAX_EXPONENT:
				raise SecurityError(f"exponents are limited to {MAX_EXPONENT}")
			return operator.pow(left, right)
		if op == "*":
			for sequence, times in ((left, right), (right, left)):
				if isinstance(sequence, (str, list, tuple)) and isinstance(times, int):
					if len(sequence) * times > MAX_REPEAT:
						raise SecurityError(f"repetition is limited to {MAX_REPEAT} items")
			return operator.mul(left, right)
		return super().call_binop(context, op, left, right)


_environment: PayloadEnvironment | None = None


def environment() -> PayloadEnvironment:
	global _environment
	if _environment is None:
		_environment = PayloadEnvironment()
	return _environment


# Filters that look attributes up by a name given as an argument.
_ATTRIBUTE_BY_POSITION = {"attr", "selectattr", "rejectattr"}
_ATTRIBUTE_BY_KEYWORD = {"map", "sort", "groupby", "unique", "sum", "min", "max"}


def _named_attributes(node: nodes.Node) -> list:
	if isinstance(node, nodes.Getattr):
		return [node.attr]
	if isinstance(node, nodes.Getitem):
		return [node.arg]
	if node.name in _ATTRIBUTE_BY_POSITION:
		return node.args[:1]
	if node.name in _ATTRIBUTE_BY_KEYWORD:
		return [kw.value for kw in node.kwargs if kw.key == "attribute"]
	return []


def _private_names(tree: nodes.Node) -> set[str]:
	"""`x._y`, `x['_y']`, `x|attr('_y')`, `x|map(attribute='a._y')`: private names written in the
	template. (Names computed at render time are the sandbox's to refuse.)"""
	found = set()
	for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Test)):
		for name in _named_attributes(node):
			if isinstance(name, nodes.Const):
				name = name.value
			if isinstance(name, str) and any(part.startswith("_") for part in name.split(".")):
				found.add(name)
	return found


def check_template(source: str) -> None:
	"""Raise TemplateError unless the template compiles and uses only `doc` (and `range`)."""
	env = environment()
	try:
		tree = env.parse(source)
	except TemplateSyntaxError as e:
		raise TemplateError(f"Template syntax error on line {e.lineno}: {e.message}") from None
	if any(True for _ in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport))):
		raise TemplateError("A template cannot extend, include or import other templates")
	unknown = sorted(meta.find_undeclared_variables(tree) - CONTEXT_NAMES)
	if unknown:
		raise TemplateError(f"A template sees only `doc`; it cannot use: {', '.join(unknown)}")
	private = sorted(_private_names(tree))
	if private:
		raise TemplateError(f"A template cannot reach names that start with an underscore: {', '.join(private)}")


def render_template(source: str, doc: Mapping[str, Any]) -> str:
	"""Render with `doc` (plain JSON data). TemplateError on any failure, sandbox refusals included."""
	try:
		rendered = environment().from_string(source).render(doc=doc)
	except SecurityError as e:
		raise TemplateError(f"Template refused: {e}") from None
	except TemplateSyntaxError as e:
		raise TemplateError(f"Template syntax error on line {e.lineno}: {e.message}") from None
	except Exception as e:
		raise TemplateError(f"Template failed: {type(e).__name__}: {e}") from None
	if len(rendered) > MAX_OUTPUT:
		raise TemplateError(f"Template output is longer than {MAX_OUTPUT} characters")
	return rendered
