import frappe
from frappe import _
from frappe.model.document import Document

from integrations_app.retention import schedule_purge
from integrations_app.sidecar import config_sync
from integrations_app.sync import config as cfg
from integrations_app.sync.rules import profile as rules


class IntegrationSyncProfile(Document):
	def validate(self):
		self.validate_name()
		self.validate_local_doctype()
		self.validate_config()
		self.sidecar_synced = 0  # set again once the sidecar has the new configuration

	def validate_name(self):
		try:
			self.profile_name = rules.check_profile_id(self.profile_name)
		except rules.ProfileError as e:
			frappe.throw(str(e))

	def validate_local_doctype(self):
		# The sidecar reads and writes the DocType a profile names (sync/local_store.py): only
		# someone who may create and change its records can point a sync at it.
		for ptype in ("read", "write", "create", *(("delete",) if self.pull_deletes else ())):
			if not frappe.has_permission(self.local_doctype, ptype):
				frappe.throw(
					_("You may not {0} {1} records, so you cannot sync them").format(_(ptype), frappe.bold(self.local_doctype)),
					frappe.PermissionError,
				)
		meta = frappe.get_meta(self.local_doctype)
		if meta.istable or meta.issingle or meta.is_virtual:
			frappe.throw(_("{0} cannot be synced: child tables, Singles and virtual DocTypes have no records of their own").format(frappe.bold(self.local_doctype)))
		if self.local_doctype.startswith("Integration "):
			owned = frappe.db.get_value("DocType", self.local_doctype, "module") == "Integrations App"
			if owned:
				frappe.throw(_("The app's own DocTypes are not synced"))

	def validate_config(self):
		"""The sidecar's JSON is built now, so whatever it would refuse is refused on save."""
		for row in self.field_map:
			if row.transform_type == "Link" and row.link_profile == self.name:
				frappe.throw(_("Field Map row {0}: a Link resolves through another profile").format(row.idx))
		try:
			cfg.profile_config(self)
		except rules.ProfileError as e:
			frappe.throw(str(e))

	def on_update(self):
		config_sync.schedule_sync(cfg.PROFILE, self.name)
		cfg.invalidate_profile_map()

	def on_trash(self):
		config_sync.schedule_delete(cfg.PROFILE, self.name)
		cfg.invalidate_profile_map()
		schedule_purge(self.doctype, self.name)  # its Sync Log, runs and outbox rows, in the background
