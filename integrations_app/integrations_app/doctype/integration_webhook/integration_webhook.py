import re

import frappe
from frappe import _
from frappe.model import default_fields
from frappe.model.document import Document
from frappe.utils import cint, flt, now

from integrations_app.outbound import access
from integrations_app.outbound.doc_events import OWN_DOCTYPES
from integrations_app.outbound.rules.conditions import check_condition_syntax
from integrations_app.outbound.rules.payload import parse_field_list
from integrations_app.outbound.rules.template import TemplateError, check_template
from integrations_app.outbound.rules.retry import format_retry_schedule, parse_retry_schedule
from integrations_app.outbound.rules.signing import (
	decode_standard_secret,
	generate_frappe_secret,
	generate_standard_secret,
)
from integrations_app.outbound.webhook_map import invalidate_webhook_map
from integrations_app.retention import schedule_purge
from integrations_app.sidecar import config_sync as endpoints
from integrations_app.urls import is_private_host, parse_allow_list, validate_webhook_url

DELIVERY = "Integration Webhook Delivery"
ATTEMPT = "Integration Webhook Delivery Attempt"
SUBMIT_EVENTS = {"on_submit", "on_cancel", "on_update_after_submit"}
HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
# Set by the sidecar; a user header must not override the signature or framing.
RESERVED_HEADERS = {
	"content-type",
	"content-length",
	"host",
	"user-agent",
	"connection",
	"transfer-encoding",
	"webhook-id",
	"webhook-timestamp",
	"webhook-signature",
	"x-frappe-webhook-signature",
}
# The sidecar's limits (sidecar/src/delivery/schemas.ts), checked here for a readable message.
MAX_HEADERS, MAX_HEADER_NAME, MAX_HEADER_VALUE = 20, 64, 4096
MIN_TIMEOUT_MS, MAX_TIMEOUT_MS = 1000, 60_000
MAX_RATE_PER_S, MAX_IN_FLIGHT = 10_000, 10_000


class IntegrationWebhook(Document):
	def validate(self):
		self.validate_reference_doctype()
		self.validate_author_access()
		self.validate_events()
		self.validate_condition()
		self.validate_url()
		self.validate_secret()
		self.validate_headers()
		self.validate_payload()
		self.validate_delivery_options()
		self.sidecar_synced = 0  # set again once the sidecar has the new configuration

	def validate_reference_doctype(self):
		if self.reference_doctype in OWN_DOCTYPES:
			frappe.throw(_("Webhooks cannot watch integrations_app's own DocTypes"))
		if frappe.get_meta(self.reference_doctype).istable:
			frappe.throw(_("{0} is a child table; pick its parent DocType").format(frappe.bold(self.reference_doctype)))

	def validate_author_access(self):
		"""Whoever saves a webhook must be able to read what it sends (see outbound/access.py)."""
		user = frappe.session.user
		if access.is_sensitive(self.reference_doctype):
			self.validate_sensitive_confirmation(user)
		else:
			self.confirm_sensitive_doctype = 0
			self.sensitive_confirmed_by = self.sensitive_confirmed_at = None
		access.check_can_read_all(self.reference_doctype, user)

	def validate_sensitive_confirmation(self, user: str):
		if not access.is_system_manager(user):
			frappe.throw(
				_("{0} holds credentials: only a System Manager may send it to another system").format(
					frappe.bold(self.reference_doctype)
				),
				frappe.PermissionError,
			)
		if not cint(self.confirm_sensitive_doctype):
			frappe.throw(
				_("{0} holds credentials. Tick {1} to send its documents to {2} anyway.").format(
					frappe.bold(self.reference_doctype),
					frappe.bold(_("Confirm Sensitive DocType")),
					frappe.bold(self.url or _("the receiver")),
				),
				title=_("Sensitive DocType"),
			)
		if not self.sensitive_confirmed_by or self.has_value_changed("reference_doctype") or self.has_value_changed("confirm_sensitive_doctype"):
			self.sensitive_confirmed_by = user
			self.sensitive_confirmed_at = now()

	def validate_events(self):
		seen = set()
		for row in list(self.events):
			if row.event in seen:
				self.remove(row)
			seen.add(row.event)
		if not seen:
			frappe.throw(_("Pick at least one event"))
		if seen & SUBMIT_EVENTS and not frappe.get_meta(self.reference_doctype).is_submittable:
			frappe.throw(
				_("{0} is not submittable, so it has no submit, cancel or update-after-submit events").format(
					frappe.bold(self.reference_doctype)
				)
			)

	def validate_condition(self):
		self.condition = (self.condition or "").strip()
		if self.has_value_changed("condition"):
			self.last_condition_error = None  # a new condition gets a clean slate
		if self.condition:
			try:
				check_condition_syntax(self.condition)
			except ValueError as e:
				frappe.throw(str(e), title=_("Invalid condition"))

	def validate_url(self):
		try:
			host = validate_webhook_url(self.url)
		except ValueError as e:
			frappe.throw(_("URL: {0}").format(e))
		self.url = self.url.strip()
		allowed = parse_allow_list(frappe.db.get_single_value("Integration Settings", "outbound_allow_hosts"))
		if is_private_host(host) and host not in allowed:
			frappe.msgprint(
				_(
					"{0} is a private or local address. The sidecar refuses such targets unless they are in its OUTBOUND_ALLOW_HOSTS (and in Outbound Allow Hosts in Integration Settings)."
				).format(frappe.bold(host)),
				indicator="orange",
				alert=True,
			)

	def validate_secret(self):
		if self.signing == "None":
			return
		secret = self.get_password("secret", raise_exception=False) if self.secret else None
		if not secret:
			self.secret = generate_standard_secret() if self.signing == "Standard Webhooks" else generate_frappe_secret()
			self.flags.new_secret = self.secret  # shown once to the person saving (see `onload`)
		elif self.signing == "Standard Webhooks":
			try:
				decode_standard_secret(secret)
			except ValueError as e:
				frappe.throw(_("Secret: {0}. Clear the field to generate a new one.").format(e))

	def validate_headers(self):
		if len(self.headers) > MAX_HEADERS:
			frappe.throw(_("At most {0} headers").format(MAX_HEADERS))
		seen = set()
		for row in self.headers:
			key = (row.key or "").strip()
			if len(key) > MAX_HEADER_NAME or not HEADER_NAME_RE.match(key):
				frappe.throw(_("Header row {0}: {1} is not a valid header name").format(row.idx, frappe.bold(key)))
			if key.lower() in RESERVED_HEADERS:
				frappe.throw(_("Header row {0}: {1} is set by the sidecar").format(row.idx, frappe.bold(key)))
			if key.lower() in seen:
				frappe.throw(_("Header {0} appears twice").format(frappe.bold(key)))
			seen.add(key.lower())
			row.key = key
			self.validate_header_value(row)

	def validate_header_value(self, row):
		value = row.get_password("value", raise_exception=False) if row.value else ""
		if "\r" in value or "\n" in value or len(value) > MAX_HEADER_VALUE:
			frappe.throw(
				_("Header {0}: the value must be one line of at most {1} characters").format(
					frappe.bold(row.key), MAX_HEADER_VALUE
				)
			)

	def validate_payload(self):
		fields = None  # Document and Template payloads carry every field
		if self.payload_type == "Fields":
			fields = parse_field_list(self.payload_fields)
			if not fields:
				frappe.throw(_("List at least one field for the Fields payload"))
			meta = frappe.get_meta(self.reference_doctype)
			unknown = [f for f in fields if f not in default_fields and not meta.has_field(f)]
			if unknown:
				frappe.throw(
					_("{0} has no field(s): {1}").format(frappe.bold(self.reference_doctype), ", ".join(unknown))
				)
			self.payload_fields = "\n".join(fields)
		elif self.payload_type == "Template":
			if not (self.payload_template or "").strip():
				frappe.throw(_("Write the payload template"))
			try:
				check_template(self.payload_template)
			except TemplateError as e:
				frappe.throw(str(e), title=_("Invalid template"))
		hidden = access.unreadable_fields(self.reference_doctype, fields, frappe.session.user)
		if hidden:
			frappe.throw(
				_("You cannot read these fields of {0}, so the payload cannot carry them: {1}. Use a Fields payload without them.").format(
					frappe.bold(self.reference_doctype), ", ".join(hidden)
				),
				frappe.PermissionError,
			)

	def validate_delivery_options(self):
		if self.timeout_ms and not MIN_TIMEOUT_MS <= cint(self.timeout_ms) <= MAX_TIMEOUT_MS:
			frappe.throw(_("Timeout must be between {0} and {1} ms").format(MIN_TIMEOUT_MS, MAX_TIMEOUT_MS))
		if self.retry_schedule:
			try:
				self.retry_schedule = format_retry_schedule(parse_retry_schedule(self.retry_schedule))
			except ValueError as e:
				frappe.throw(_("Retry Schedule: {0}").format(e))
		if not 0 <= flt(self.rate_limit_per_s) <= MAX_RATE_PER_S:
			frappe.throw(_("Rate limit must be between 0 (no limit) and {0} per second").format(MAX_RATE_PER_S))
		if not 0 <= cint(self.max_in_flight) <= MAX_IN_FLIGHT:
			frappe.throw(_("Max in flight must be between 0 (default) and {0}").format(MAX_IN_FLIGHT))

	def onload(self):
		# desk's save runs `onload` again before answering: a secret generated by this save is in
		# that one answer (never stored in `__onload`, never in a log), for the form to show once
		self.show_new_secret()

	def show_new_secret(self):
		if self.flags.new_secret:
			self.set_onload("new_secret", self.flags.new_secret)

	def on_update(self):
		self.show_new_secret()  # for /api/resource and frappe.client.insert, which skip onload
		invalidate_webhook_map()
		endpoints.schedule_sync(self.doctype, self.name)

	def on_trash(self):
		invalidate_webhook_map()
		# The delivery log goes with the webhook, but not in this transaction: deleting thousands
		# of rows here would hold their locks while the sidecar is still reporting outcomes for
		# them (deadlock). A background job deletes them in small batches once this commits;
		# until then they are plain logs (`ignore_links_on_delete` lets the webhook go).
		schedule_purge(self.doctype, self.name)
		endpoints.schedule_delete(self.doctype, self.name)
