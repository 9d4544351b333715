import re

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint

from integrations_app.outbound.rules.naming import is_valid_slug
from integrations_app.outbound.rules.signing import decode_standard_secret
from integrations_app.retention import schedule_purge
from integrations_app.sidecar import config_sync as endpoints
from integrations_app.urls import inbound_public_url, validate_webhook_url

HMAC_HEADER_RE = re.compile(r"^[A-Za-z0-9-]{1,100}$")
TOPIC_ARN_RE = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$")
MAX_TOLERANCE_S = 7 * 86400
# Providers whose verification needs no secret of ours (SES checks AWS's signing certificate).
SECRETLESS_PROVIDERS = ("ses",)


class IntegrationInboundEndpoint(Document):
	def validate(self):
		self.validate_slug()
		self.validate_secret()
		self.validate_provider_options()
		self.public_url = inbound_public_url(frappe.db.get_single_value("Integration Settings", "site_public_url"), self.slug)
		self.sidecar_synced = 0

	def validate_slug(self):
		self.slug = (self.slug or "").strip()
		if not is_valid_slug(self.slug):
			frappe.throw(
				_("Slug {0} is not URL-safe: use 1-64 lower-case letters, digits, - or _, starting and ending with a letter or digit").format(
					frappe.bold(self.slug)
				)
			)

	def validate_secret(self):
		if self.provider in SECRETLESS_PROVIDERS:
			self.secret = None
			return
		if not self.secret:
			frappe.throw(_("Secret is required to verify {0} webhooks").format(self.provider))
		if self.provider == "standard":
			try:
				decode_standard_secret(self.get_password("secret"))
			except ValueError as e:
				frappe.throw(_("Secret: {0}").format(e))

	def validate_provider_options(self):
		if not 0 <= cint(self.tolerance_s) <= MAX_TOLERANCE_S:
			frappe.throw(_("Tolerance must be between 1 and {0} seconds").format(MAX_TOLERANCE_S))
		if self.provider == "hmac-sha256":
			self.hmac_header = (self.hmac_header or "").strip()
			if not HMAC_HEADER_RE.match(self.hmac_header):
				frappe.throw(_("Signature Header must be a header name (letters, digits and -)"))
		if self.provider == "twilio":
			self.validate_twilio_url()
		if self.provider == "ses":
			arns = endpoints.parse_topic_arns(self.allowed_topic_arn)
			if not arns or not all(TOPIC_ARN_RE.match(arn) for arn in arns):
				frappe.throw(_("Allowed Topic ARN must list SNS topic ARNs (arn:aws:sns:region:account:topic)"))
			self.allowed_topic_arn = ", ".join(arns)

	def validate_twilio_url(self):
		"""Twilio signs the URL it requested: without one the sidecar cannot check a signature."""
		self.twilio_signed_url = (self.twilio_signed_url or "").strip() or None
		if self.twilio_signed_url:
			try:
				validate_webhook_url(self.twilio_signed_url)
			except ValueError as e:
				frappe.throw(_("URL Configured at Twilio: {0}").format(e))
		elif not frappe.db.get_single_value("Integration Settings", "site_public_url"):
			frappe.throw(_("Twilio signs the URL it posts to: set Public URL for Inbound Webhooks in Integration Settings, or URL Configured at Twilio here"))

	def on_update(self):
		endpoints.schedule_sync(self.doctype, self.name)

	def on_trash(self):
		# Events are logs of this endpoint and go with it, but in the background after commit:
		# deleting many rows here would hold locks the sidecar's forwards need.
		schedule_purge(self.doctype, self.name)
		endpoints.schedule_delete(self.doctype, self.name)
