import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, flt

from integrations_app.connections import config as cfg
from integrations_app.connections.rules import auth as auth_rules
from integrations_app.connections.tokens import forget_tokens
from integrations_app.payments import gateway
from integrations_app.sidecar import config_sync
from integrations_app.retention import schedule_purge
from integrations_app.urls import is_private_host, parse_allow_list, validate_webhook_url

CREDENTIAL_FIELDS = ("secret", "client_secret", "aws_session_token", "google_private_key")
AWS_FIELDS = ("aws_access_key_id", "aws_session_token", "aws_region", "aws_service")
GOOGLE_FIELDS = ("google_client_email", "google_private_key", "google_key_id", "google_token_uri", "google_subject")
MAX_TIMEOUT_MS, MAX_ATTEMPTS, MAX_RATE_PER_S = 300_000, 10, 100_000


class IntegrationConnection(Document):
	def validate(self):
		self.set_sidecar_id()
		self.validate_auth()
		self.validate_base_url()
		self.validate_credential_destination()
		self.validate_policy()
		self.set_status()
		self.sidecar_synced = 0  # set again once the sidecar has the new configuration

	def set_sidecar_id(self):
		if self.sidecar_id:
			return
		self.sidecar_id = cfg.sidecar_id_for(
			self.connection_name or self.name, lambda sid: frappe.db.exists(cfg.CONNECTION, {"sidecar_id": sid})
		)

	def validate_auth(self):
		if self.auth_type not in cfg.AUTH_TYPES:
			frappe.throw(_("Pick an Auth Type"))
		self.clear_other_types_credentials()
		if self.auth_type == auth_rules.GOOGLE_SERVICE_ACCOUNT:
			self.provider = self.client_id = self.secret = None
			self.validate_service_account()
			return
		if not cfg.is_oauth(self):
			self.provider = self.client_id = self.scopes = None
			if not self.secret:
				frappe.throw(_("{0} is required").format(_(self.meta.get_label("secret"))))
			if self.auth_type.startswith("API Key") and not (self.key_name or "").strip():
				frappe.throw(_("Key Name is required"))
			if self.auth_type == "API Key (Header)" and not cfg.HEADER_NAME_RE.match(self.key_name.strip()):
				frappe.throw(_("Key Name {0} is not a header name").format(frappe.bold(self.key_name)))
			if self.auth_type == "Basic Auth" and (not self.username or ":" in self.username):
				frappe.throw(_("Username is required and may not contain a colon"))
			if self.auth_type == auth_rules.AWS_SIGV4:
				self.validate_aws_sigv4()
			if self.auth_type == auth_rules.AZURE_SHARED_KEY:
				try:
					auth_rules.azure_shared_key_auth(self.azure_account, self.plain_password("secret"))
				except ValueError as e:
					frappe.throw(_(str(e)))
			return
		if not self.provider:
			frappe.throw(_("Pick an OAuth Provider"))
		self.secret = None
		provider = cfg.provider_of(self)
		client = cfg.oauth_client(self, provider)
		if not client["client_id"]:
			frappe.throw(_("Set a Client ID here or on OAuth Provider {0}").format(frappe.bold(self.provider)))
		if not client["token_url"]:
			frappe.throw(_("OAuth Provider {0} has no Token URL").format(frappe.bold(self.provider)))
		if self.auth_type == "OAuth 2 Authorization Code" and not client["authorize_url"]:
			frappe.throw(_("OAuth Provider {0} has no Authorize URL, needed to connect an account").format(frappe.bold(self.provider)))
		if self.auth_type == "OAuth 2 Client Credentials" and not client["client_secret"]:
			frappe.throw(_("The client credentials grant needs a Client Secret (here or on the provider)"))
		self.scopes = " ".join(cfg.parse_scopes(self.scopes)) or None

	def clear_other_types_credentials(self):
		"""A credential of a type the connection no longer uses is not kept (nor pushed)."""
		if self.auth_type != auth_rules.AWS_SIGV4:
			for field in AWS_FIELDS:
				self.set(field, None)
		if self.auth_type != auth_rules.GOOGLE_SERVICE_ACCOUNT:
			for field in GOOGLE_FIELDS:
				self.set(field, None)
		if self.auth_type != auth_rules.AZURE_SHARED_KEY:
			self.azure_account = None

	def plain_password(self, fieldname):
		"""The value typed now, or the stored one when the form holds its ***** placeholder."""
		value = self.get(fieldname)
		if value and self.is_dummy_password(value):
			return self.get_password(fieldname, raise_exception=False)
		return value

	def validate_aws_sigv4(self):
		for field in ("aws_access_key_id", "aws_region", "aws_service"):
			self.set(field, (self.get(field) or "").strip() or None)
		try:
			auth_rules.aws_sigv4_auth(
				self.aws_access_key_id, self.plain_password("secret"), self.plain_password("aws_session_token"), self.aws_region, self.aws_service
			)
		except ValueError as e:
			frappe.throw(_("AWS SigV4: {0}").format(e))
		if not (self.base_url or "").strip():
			self.base_url = auth_rules.aws_default_base_url(self.aws_service, self.aws_region)

	def validate_service_account(self):
		self.scopes = " ".join(cfg.parse_scopes(self.scopes)) or None
		self.google_token_uri = (self.google_token_uri or "").strip() or auth_rules.GOOGLE_TOKEN_URI
		try:
			validate_webhook_url(self.google_token_uri)
		except ValueError as e:
			frappe.throw(_("Token URI: {0}").format(e))
		key = self.google_private_key
		try:
			if key and not self.is_dummy_password(key):
				# Stored as PEM whatever way it was pasted (a password input drops line breaks).
				self.google_private_key = auth_rules.normalize_pem(key)
			auth_rules.google_service_account_auth(
				self.google_client_email,
				self.plain_password("google_private_key"),
				self.google_key_id,
				self.google_token_uri,
				cfg.parse_scopes(self.scopes),
				self.google_subject,
			)
		except ValueError as e:
			frappe.throw(_("Google Service Account: {0}").format(e))

	def validate_base_url(self):
		if not self.base_url and cfg.is_oauth(self):
			provider = cfg.provider_of(self)
			self.base_url = (cint(self.sandbox) and provider.sandbox_api_base_url) or provider.api_base_url
		try:
			host = validate_webhook_url(self.base_url)
		except ValueError as e:
			frappe.throw(_("Base URL: {0}").format(e))
		self.base_url = self.base_url.strip()
		try:
			cfg.parse_headers(self.headers)
		except ValueError as e:
			frappe.throw(_("Headers: {0}").format(e))
		allowed = parse_allow_list(frappe.db.get_single_value("Integration Settings", "outbound_allow_hosts"))
		if is_private_host(host) and host not in allowed:
			frappe.msgprint(
				_("{0} is a private or local address. The sidecar refuses such targets unless they are in its OUTBOUND_ALLOW_HOSTS.").format(
					frappe.bold(host)
				),
				indicator="orange",
				alert=True,
			)

	def validate_credential_destination(self):
		"""Credentials and tokens are sent to the Base URL's host. Whoever edits a connection
		may not point them at another host without typing them again (they cannot read them),
		and tokens of an OAuth provider's shared client go only to the provider's API hosts."""
		host = cfg.host_of(self.base_url)
		if cfg.is_oauth(self) and not self.client_id:
			api_hosts = cfg.provider_api_hosts(cfg.provider_of(self))
			if host not in api_hosts:
				frappe.throw(
					_("Tokens of {0}'s client go only to its API Base URL ({1}). Use that host, or enter this connection's own Client ID and Secret.").format(
						frappe.bold(self.provider), ", ".join(sorted(api_hosts)) or _("none set")
					),
					frappe.PermissionError,
				)
		before = self.get_doc_before_save()
		if before is None or cfg.host_of(before.base_url) == host:
			return
		secret_field = auth_rules.credential_field(self.auth_type, cfg.is_oauth(self))
		if self.get(secret_field) and not self.has_value_changed(secret_field):
			frappe.throw(
				_("The Base URL now points at another host. Enter {0} again to send it there.").format(
					frappe.bold(_(self.meta.get_label(secret_field)))
				),
				frappe.PermissionError,
			)
		if cfg.is_oauth(self):
			# The account's tokens stay with the host it was connected for: reconnect. The sidecar
			# drops its own copy when a PUT moves the base URL to another origin.
			self.flags.forget_tokens = True

	def validate_policy(self):
		self.timeout_ms = cint(self.timeout_ms) or 30_000
		if not 100 <= self.timeout_ms <= MAX_TIMEOUT_MS:
			frappe.throw(_("Timeout must be between 100 and {0} ms").format(MAX_TIMEOUT_MS))
		self.max_attempts = cint(self.max_attempts) or 3
		if not 1 <= self.max_attempts <= MAX_ATTEMPTS:
			frappe.throw(_("Max Attempts must be between 1 and {0}").format(MAX_ATTEMPTS))
		if flt(self.rate_limit_per_s) > MAX_RATE_PER_S:
			frappe.throw(_("Rate Limit must be at most {0} calls/s").format(MAX_RATE_PER_S))
		self.test_path = (self.test_path or "/").strip()
		if not self.test_path.startswith("/") or "?" in self.test_path or "#" in self.test_path:
			frappe.throw(_("Test Path must start with / and hold no ? or #"))

	def set_status(self):
		if not cint(self.enabled):
			self.status = "Disabled"
			return
		if not cfg.is_oauth(self):
			if self.status in ("Not Connected", "Disabled", "Expired") or any(
				self.has_value_changed(f) for f in ("secret", "google_private_key", "base_url", "auth_type")
			):
				self.status = "Connected"
				self.last_error = self.last_error_at = None
			return
		if self.flags.forget_tokens or (self.issuing_client and self.issuing_client != cfg.issuing_client_key(self)):
			self.flags.forget_tokens = True
			self.status = "Not Connected"
		elif not self.issuing_client:
			self.status = "Not Connected"
		elif self.status == "Disabled":
			self.status = "Connected"

	def on_update(self):
		if self.flags.forget_tokens:
			forget_tokens(self)
		config_sync.schedule_sync(cfg.CONNECTION, self.sidecar_id)

	def on_trash(self):
		config_sync.schedule_delete(cfg.CONNECTION, self.sidecar_id)
		schedule_purge(self.doctype, self.name)  # its call log, in the background

	# Payment Gateway controller (payments app / ERPNext Payment Request): see payments/gateway.py.
	def validate_transaction_currency(self, currency):
		gateway.validate_transaction_currency(self.name, currency)

	def get_payment_url(self, **data):
		return gateway.get_payment_url(self.name, **data)
