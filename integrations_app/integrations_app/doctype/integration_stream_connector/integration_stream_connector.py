import frappe
from frappe.model.document import Document

from integrations_app.sidecar import config_sync
from integrations_app.streams import connectors


class IntegrationStreamConnector(Document):
	def validate(self):
		connectors.validate(self)
		self.sidecar_synced = 0  # set again once the sidecar has the new configuration

	def on_update(self):
		config_sync.schedule_sync(self.doctype, self.name)

	def on_trash(self):
		config_sync.schedule_delete(self.doctype, self.name)
