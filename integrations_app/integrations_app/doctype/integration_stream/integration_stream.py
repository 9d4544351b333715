import frappe
from frappe import _
from frappe.model import default_fields
from frappe.model.document import Document
from frappe.utils import cint

from integrations_app.outbound import access
from integrations_app.outbound.doc_events import OWN_DOCTYPES
from integrations_app.outbound.rules.conditions import check_condition_syntax
from integrations_app.outbound.rules.payload import parse_field_list
from integrations_app.outbound.webhook_map import invalidate_webhook_map
from integrations_app.retention import schedule_purge
from integrations_app.sidecar import config_sync
from integrations_app.streams.rules import config as rules
from integrations_app.streams.tokens import delete_stream_tokens

SUBMIT_EVENTS = {"on_submit", "on_cancel", "on_update_after_submit"}


def _source_keys(doc) -> list[tuple]:
	return [(row.reference_doctype, row.event, (row.condition or "").strip()) for row in doc.sources]


class IntegrationStream(Document):
	def validate(self):
		self.validate_stream_id()
		self.validate_sources()
		self.validate_payload()
		self.validate_retention()
		self.validate_origins()
		self.sidecar_synced = 0  # set again once the sidecar has the new configuration

	def validate_stream_id(self):
		try:
			self.stream_id = rules.check_stream_id(self.stream_id)
		except rules.StreamConfigError as e:
			frappe.throw(str(e))

	def validate_sources(self):
		"""Each row is checked like an Integration Webhook's DocType, events and condition."""
		if not self.sources:
			frappe.throw(_("Pick at least one DocType and event"))
		seen, checked = set(), set()
		for row in list(self.sources):
			row.condition = (row.condition or "").strip()
			key = (row.reference_doctype, row.event, row.condition)
			if key in seen:
				self.remove(row)
				continue
			seen.add(key)
			if row.reference_doctype not in checked:
				self.validate_source_doctype(row.reference_doctype)
				checked.add(row.reference_doctype)
			if row.event in SUBMIT_EVENTS and not frappe.get_meta(row.reference_doctype).is_submittable:
				frappe.throw(
					_("Row {0}: {1} is not submittable, so it has no submit, cancel or update-after-submit events").format(
						row.idx, frappe.bold(row.reference_doctype)
					)
				)
			if row.condition:
				try:
					check_condition_syntax(row.condition)
				except ValueError as e:
					frappe.throw(_("Row {0}: {1}").format(row.idx, e), title=_("Invalid condition"))
		before = self.get_doc_before_save()
		if before is None or _source_keys(before) != _source_keys(self):
			self.last_condition_error = None  # new conditions get a clean slate

	def validate_source_doctype(self, doctype: str):
		if doctype in OWN_DOCTYPES:
			frappe.throw(_("Streams cannot carry integrations_app's own DocTypes"))
		if frappe.get_meta(doctype).istable:
			frappe.throw(_("{0} is a child table; pick its parent DocType").format(frappe.bold(doctype)))
		# A stream hands documents to anyone holding one of its tokens: credentials never go there.
		if access.is_sensitive(doctype):
			frappe.throw(
				_("{0} holds credentials: streams cannot carry it").format(frappe.bold(doctype)), frappe.PermissionError
			)
		access.check_can_read_all(doctype, frappe.session.user)

	def validate_payload(self):
		doctypes = sorted({row.reference_doctype for row in self.sources})
		fields = None
		if self.payload_type == "Fields":
			fields = parse_field_list(self.payload_fields)
			if not fields:
				frappe.throw(_("List at least one field for the Fields payload"))
			metas = [frappe.get_meta(doctype) for doctype in doctypes]
			unknown = [f for f in fields if f not in default_fields and not any(m.has_field(f) for m in metas)]
			if unknown:
				frappe.throw(_("None of the stream's DocTypes has the field(s): {0}").format(", ".join(unknown)))
			self.payload_fields = "\n".join(fields)
		for doctype in doctypes:
			wanted = [f for f in fields if frappe.get_meta(doctype).has_field(f)] if fields else None
			hidden = access.unreadable_fields(doctype, wanted, frappe.session.user) if wanted != [] else []
			if hidden:
				frappe.throw(
					_("You cannot read these fields of {0}, so the stream cannot carry them: {1}").format(
						frappe.bold(doctype), ", ".join(hidden)
					),
					frappe.PermissionError,
				)

	def validate_retention(self):
		try:
			rules.check_retention(cint(self.max_len), cint(self.max_age_hours))
		except rules.StreamConfigError as e:
			frappe.throw(str(e))

	def validate_origins(self):
		try:
			self.cors_origins = "\n".join(rules.parse_origins(self.cors_origins))
		except rules.StreamConfigError as e:
			frappe.throw(_("Allowed Origins: {0}").format(e))

	def on_update(self):
		invalidate_webhook_map()
		config_sync.schedule_sync(self.doctype, self.name)

	def on_trash(self):
		invalidate_webhook_map()
		delete_stream_tokens(self.name)
		schedule_purge(self.doctype, self.name)  # its outbox rows, in the background after commit
		config_sync.schedule_delete(self.doctype, self.name)
