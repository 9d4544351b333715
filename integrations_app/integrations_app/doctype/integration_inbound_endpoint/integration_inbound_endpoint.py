import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint

from integrations_app import endpoints
from integrations_app.lib.naming import is_valid_slug
from integrations_app.lib.urls import inbound_public_url
from integrations_app.outbox import delete_in_chunks

INBOUND_EVENT = "Integration Inbound Event"
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
		if self.provider not in SECRETLESS_PROVIDERS and self.enabled and not self.secret:
			frappe.throw(_("Secret is required to verify {0} webhooks").format(self.provider))

	def validate_provider_options(self):
		if cint(self.tolerance_s) < 0:
			frappe.throw(_("Tolerance cannot be negative"))
		if self.provider == "hmac-sha256" and not (self.hmac_header or "").strip():
			frappe.throw(_("Signature Header is required for the hmac-sha256 provider"))

	def on_update(self):
		endpoints.schedule_sync(self.doctype, self.name)

	def on_trash(self):
		# Events are logs of this endpoint; they go with it.
		delete_in_chunks(INBOUND_EVENT, {"endpoint": self.name}, commit=False)
		endpoints.schedule_delete(self.doctype, self.name)
