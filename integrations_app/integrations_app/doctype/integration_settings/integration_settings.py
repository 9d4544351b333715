import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint

from integrations_app.file_storage.keys import normalize_prefix
from integrations_app.outbound.rules.retry import format_retry_schedule, parse_retry_schedule
from integrations_app.messaging.routing import validate_messaging_settings
from integrations_app.retention import RETENTION_DEFAULTS
from integrations_app.urls import inbound_public_url, parse_allow_list, validate_base_url

INBOUND_ENDPOINT = "Integration Inbound Endpoint"
MIN_TIMEOUT_MS, MAX_TIMEOUT_MS = 1000, 60_000  # the sidecar's maximum
# Integration Connection's "API" labels (providers/catalogue.py) of the storage providers.
STORAGE_APIS = ("Amazon S3", "Google Cloud Storage", "Azure Blob Storage")


class IntegrationSettings(Document):
	def validate(self):
		self.validate_sidecar_url()
		self.validate_sidecar_api_user()
		self.validate_site_public_url()
		self.validate_delivery_defaults()
		self.validate_retention()
		self.validate_file_storage()
		self.outbound_allow_hosts = "\n".join(parse_allow_list(self.outbound_allow_hosts))
		validate_messaging_settings(self)

	def validate_file_storage(self):
		try:
			self.file_storage_prefix = normalize_prefix(self.file_storage_prefix)
		except ValueError as e:
			frappe.throw(_("Key Prefix: {0}").format(e))
		if not cint(self.file_storage_enabled):
			return
		api = frappe.db.get_value("Integration Connection", self.file_storage_connection, "api_provider")
		if api not in STORAGE_APIS:
			frappe.throw(_("Storage Connection {0} must be a connection whose API is {1}").format(frappe.bold(self.file_storage_connection), ", ".join(STORAGE_APIS)))

	def validate_sidecar_url(self):
		try:
			validate_base_url(self.sidecar_url)
		except ValueError as e:
			frappe.throw(_("Sidecar URL: {0}").format(e))
		self.sidecar_url = self.sidecar_url.strip().rstrip("/")

	def validate_sidecar_api_user(self):
		# the sidecar's callbacks are accepted from this user alone: never a person's account
		if self.sidecar_api_user in ("Administrator", "Guest"):
			frappe.throw(_("Sidecar API User must be a user of its own, not {0}").format(self.sidecar_api_user))

	def validate_site_public_url(self):
		if not self.site_public_url:
			return
		try:
			validate_base_url(self.site_public_url)
		except ValueError as e:
			frappe.throw(_("Public URL for Inbound Webhooks: {0}").format(e))
		self.site_public_url = self.site_public_url.strip().rstrip("/")

	def validate_delivery_defaults(self):
		if not MIN_TIMEOUT_MS <= cint(self.default_timeout_ms) <= MAX_TIMEOUT_MS:
			frappe.throw(
				_("Default Timeout must be between {0} and {1} ms").format(MIN_TIMEOUT_MS, MAX_TIMEOUT_MS)
			)
		try:
			self.default_retry_schedule = format_retry_schedule(parse_retry_schedule(self.default_retry_schedule))
		except ValueError as e:
			frappe.throw(_("Default Retry Schedule: {0}").format(e))

	def validate_retention(self):
		for field in RETENTION_DEFAULTS:
			if cint(self.get(field)) < 1:
				frappe.throw(_("{0}: retention must be at least 1 day").format(_(self.meta.get_label(field))))

	def on_update(self):
		if self.has_value_changed("site_public_url"):
			self.update_inbound_public_urls()
		if self.has_value_changed("sidecar_url"):
			self.mark_endpoints_unsynced()

	def update_inbound_public_urls(self):
		for slug in frappe.get_all(INBOUND_ENDPOINT, pluck="name"):
			url = inbound_public_url(self.site_public_url, slug)
			frappe.db.set_value(INBOUND_ENDPOINT, slug, "public_url", url, update_modified=False)
		# A twilio endpoint's sidecar config holds the URL it checks signatures against.
		frappe.db.set_value(INBOUND_ENDPOINT, {"provider": "twilio", "twilio_signed_url": ("is", "not set")}, "sidecar_synced", 0, update_modified=False)

	def mark_endpoints_unsynced(self):
		"""A different sidecar knows none of our endpoints: the minutely job pushes them all."""
		for doctype in ("Integration Webhook", INBOUND_ENDPOINT):
			frappe.db.sql(f"update `tab{doctype}` set sidecar_synced = 0")
