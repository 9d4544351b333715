import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint

from integrations_app.connections.config import CONNECTION, host_of, parse_lines, parse_scopes
from integrations_app.connections.presets import PROVIDER_PRESETS
from integrations_app.sidecar import config_sync
from integrations_app.urls import validate_webhook_url

URL_FIELDS = ("authorize_url", "token_url", "revoke_url", "api_base_url", "sandbox_authorize_url", "sandbox_token_url", "sandbox_api_base_url")
# Where the client secret or this client's tokens are sent (the authorize URL gets neither).
SECRET_DESTINATIONS = ("token_url", "revoke_url", "api_base_url", "sandbox_token_url", "sandbox_api_base_url")
MIN_TOKEN_LIFETIME_S = 30
# A new document has these filled with the DocType's defaults: the preset's values win.
FIELDS_WITH_DEFAULTS = ("pkce", "client_auth_method", "default_token_lifetime_s")


class IntegrationOAuthProvider(Document):
	def validate(self):
		self.apply_preset()
		self.validate_urls()
		self.validate_options()
		self.validate_secret_destination()

	def apply_preset(self):
		"""A new provider made from a preset gets the preset's published values where the form
		left them empty (desk fills them already when the preset is picked)."""
		if not self.is_new() or not self.preset:
			return
		for field, value in PROVIDER_PRESETS.get(self.preset, {}).items():
			if field in FIELDS_WITH_DEFAULTS or not self.get(field):
				self.set(field, value)

	def validate_urls(self):
		for field in URL_FIELDS:
			value = (self.get(field) or "").strip()
			self.set(field, value or None)
			if not value:
				continue
			try:
				validate_webhook_url(value)
			except ValueError as e:
				frappe.throw(_("{0}: {1}").format(_(self.meta.get_label(field)), e))

	def validate_options(self):
		try:
			parse_lines(self.authorize_params, "=")
			parse_lines(self.grant_params, "=")
		except ValueError as e:
			frappe.throw(_("Extra parameters: {0}").format(e))
		self.scopes = " ".join(parse_scopes(self.scopes)) or None
		lifetime = cint(self.default_token_lifetime_s) or 3600
		if lifetime < MIN_TOKEN_LIFETIME_S:
			frappe.throw(_("Default Token Lifetime must be at least {0} seconds").format(MIN_TOKEN_LIFETIME_S))
		self.default_token_lifetime_s = lifetime

	def validate_secret_destination(self):
		"""The client secret goes to the token URL, and tokens of this client go to the API base
		URLs: pointing any of them at another host needs the secret typed again, so nobody can
		redirect a secret they could not read."""
		before = self.get_doc_before_save()
		if before is None or not self.client_secret or self.has_value_changed("client_secret"):
			return
		moved = [f for f in SECRET_DESTINATIONS if host_of(self.get(f)) != host_of(before.get(f))]
		if moved:
			frappe.throw(
				_("{0} now points at another host. Enter the Client Secret again to send it (and this client's tokens) there.").format(
					", ".join(_(self.meta.get_label(f)) for f in moved)
				),
				frappe.PermissionError,
			)

	def on_update(self):
		# Connections carry the provider's settings flattened into their sidecar config.
		for sidecar_id in frappe.get_all(CONNECTION, filters={"provider": self.name}, pluck="sidecar_id"):
			config_sync.schedule_sync(CONNECTION, sidecar_id)


@frappe.whitelist()
def get_preset(preset: str) -> dict:
	"""The published values of a preset, for the form to fill in."""
	frappe.has_permission("Integration OAuth Provider", "create", throw=True)
	if preset not in PROVIDER_PRESETS:
		frappe.throw(_("No preset {0}").format(preset))
	return PROVIDER_PRESETS[preset]
