import json
import unittest

from integrations_app.outbound.rules import template

DOC = {"doctype": "ToDo", "name": "T-1", "status": "Open", "items": [{"qty": 2}], "grand_total": 12.5}

# What an Integration Manager's template did on a live site (issue 13), and the usual escapes.
REFUSED_AT_SAVE = {
	"frappe.db.sql": '{{ frappe.db.sql("select name from `tabHas Role`") }}',
	"frappe.db.set_value": '{{ frappe.db.set_value("Has Role", "x", "role", "System Manager") }}',
	"__Auth": "{{ frappe.db.sql(\"select * from __Auth\") | tojson }}",
	"get_decrypted_password": '{{ frappe.utils.password.get_decrypted_password("Integration Settings", "Integration Settings", "sidecar_token") }}',
	"get_password": '{{ frappe.get_doc("Integration Webhook", "x").get_password("secret") }}',
	"make_get_request": '{{ frappe.make_get_request("http://127.0.0.1:8000/api/method/ping") }}',
	"requests": '{{ requests.get("http://127.0.0.1:8000") }}',
	"__class__": "{{ doc.__class__.__mro__ }}",
	"__globals__": "{{ doc.get.__globals__ }}",
	"subscript walk": '{{ doc["__class__"] }}',
	"attr filter": '{{ doc | attr("__class__") }}',
	"map attribute": '{{ doc["items"] | map(attribute="__class__") | list }}',
	"self": "{{ self._TemplateReference__context }}",
	"cycler globals": "{{ cycler.__init__.__globals__ }}",
	"lipsum": "{{ lipsum.__globals__ }}",
	"include": '{% include "frappe/templates/base.html" %}',
	"import": '{% import "x.html" as x %}',
}

# Saved fine, refused by the sandbox when rendered.
REFUSED_AT_RENDER = {
	"dict mutation": '{{ doc.update({"status": "Closed"}) }}',
	"list mutation": "{{ doc['items'].append(1) }}",
	"computed private name": '{% set n = "__class__" %}{{ doc[n] }}',
	"str.format walk": '{{ "{0.__class__}".format(doc) }}',
	"huge string": '{{ "x" * 1000000000 }}',
	"huge power": "{{ 10 ** 100000 }}",
	"huge range": "{{ range(100000000) | list | length }}",
}


class TestTemplateSandbox(unittest.TestCase):
	def test_renders_document_values(self):
		source = '{"id": {{ doc.name | tojson }}, "qty": {{ doc.items[0].qty }}, "total": {{ doc.grand_total }}, "rows": {{ doc.items | length }}}'
		template.check_template(source)
		self.assertEqual(json.loads(template.render_template(source, DOC)), {"id": "T-1", "qty": 2, "total": 12.5, "rows": 1})

	def test_data_wins_over_dict_methods(self):
		# `doc.items` is the child table, as on a Frappe document, not dict.items
		self.assertEqual(template.render_template("{{ doc.items | tojson }}", DOC), '[{"qty": 2}]')

	def test_harmless_filters_and_loops(self):
		source = '{% for row in doc.items %}{{ loop.index }}:{{ row.qty }}{% endfor %}|{{ doc.status | lower }}|{{ range(3) | sum }}|{{ "%s-%s" | format(doc.name, doc.status) }}'
		template.check_template(source)
		self.assertEqual(template.render_template(source, DOC), "1:2|open|3|T-1-Open")

	def test_refused_when_saved(self):
		for label, source in REFUSED_AT_SAVE.items():
			with self.subTest(label), self.assertRaises(template.TemplateError):
				template.check_template(source)
			with self.subTest(label + " (render)"), self.assertRaises(template.TemplateError):
				template.render_template(source, DOC)

	def test_refused_when_rendered(self):
		for label, source in REFUSED_AT_RENDER.items():
			template.check_template(source)
			with self.subTest(label), self.assertRaises(template.TemplateError):
				template.render_template(source, DOC)
		self.assertEqual(DOC["status"], "Open")
		self.assertEqual(DOC["items"], [{"qty": 2}])

	def test_syntax_error_names_the_line(self):
		with self.assertRaises(template.TemplateError) as ctx:
			template.check_template('{\n"a": {{ doc.name }\n}')
		self.assertIn("line 2", str(ctx.exception))

	def test_a_literal_underscore_is_data(self):
		source = '{{ doc.name.split("-") | join("_") | tojson }}'
		template.check_template(source)
		self.assertEqual(template.render_template(source, DOC), '"T_1"')
