app_name = "integrations_app"
app_title = "Integrations App"
app_publisher = "integrations_app contributors"
app_description = "Outbound and inbound webhooks, connections and streams for Frappe, with a Node sidecar"
app_email = "integrations@example.com"
app_license = "MIT"

export_python_type_annotations = True

add_to_apps_screen = [
	{
		"name": "integrations_app",
		"logo": "/assets/integrations_app/images/logo.svg",
		"title": "Integrations",
		"route": "/integrations",
		"has_permission": "integrations_app.permissions.has_app_permission",
	}
]

# The SPA owns every path below /integrations.
website_route_rules = [
	{"from_route": "/integrations/<path:app_path>", "to_route": "integrations"},
]

# The event pickers of both forms share one label table (appended to each form's own script).
doctype_js = {
	"Integration Webhook": "public/js/document_events.js",
	"Integration Stream": "public/js/document_events.js",
}

before_install = "integrations_app.install.before_install"
after_install = "integrations_app.install.after_install"
after_migrate = "integrations_app.install.after_migrate"
before_uninstall = "integrations_app.uninstall.before_uninstall"
after_uninstall = "integrations_app.uninstall.after_uninstall"

_OUTBOX = "integrations_app.outbound.doc_events.on_doc_event"
doc_events = {
	"*": {
		"after_insert": _OUTBOX,
		"on_update": _OUTBOX,
		"on_submit": _OUTBOX,
		"on_cancel": _OUTBOX,
		"on_trash": _OUTBOX,
		"on_update_after_submit": _OUTBOX,
	}
}

scheduler_events = {
	"cron": {
		# re-push what the sidecar has not acknowledged, sync endpoints it is missing;
		# queue again inbound events whose processing job was lost
		"* * * * *": ["integrations_app.outbound.outbox.repush_unacked", "integrations_app.inbound.events.requeue_stalled"],
	},
	"hourly": ["integrations_app.outbound.outbox.reconcile"],
	"daily": ["integrations_app.retention.cleanup"],
}

# Delivery and inbound event rows are logs: they must not stop anyone deleting the documents
# they mention (the Delivery's Dynamic Link would otherwise block every referenced document).
# The same holds for the Sync Log and run history (a synced Customer stays deletable: the delete is
# what the sync propagates), which a deleted profile's purge removes in the background.
ignore_links_on_delete = [
	"Integration Webhook Delivery",
	"Integration Inbound Event",
	"Integration Connection Call Log",
	"Integration Sync Log",
	"Integration Sync Run",
	"Integration Payment",
]

# Retention of Integration Webhook Delivery / Integration Inbound Event (one per status, failures
# kept longer for replay) and Integration Connection Call Log is governed by Integration Settings >
# Retention (daily `retention.cleanup`), so they are deliberately not registered in
# `default_log_clearing_doctypes`.

# Apps register inbound handlers here; see integrations_app/inbound/events.py.
# integration_inbound_handlers = {"stripe": {"payment_intent.succeeded": "my_app.payments.on_paid"}}
# Ours: provider webhooks move Integration Payments (payments/inbound.py), settling them once.
_PAYMENT_EVENT = "integrations_app.payments.inbound.on_payment_event"
_MESSAGE_EVENTS = "integrations_app.messaging.messages.on_inbound_event"
integration_inbound_handlers = {
	"stripe": {t: _PAYMENT_EVENT for t in ("checkout.session.completed", "checkout.session.expired", "payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled", "payment_intent.processing", "charge.refunded")},
	"paypal": {t: _PAYMENT_EVENT for t in ("PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.DECLINED")},
	"razorpay": {t: _PAYMENT_EVENT for t in ("payment.authorized", "payment.captured", "payment.failed", "order.paid")},
	# delivery / bounce / complaint events of the email and SMS we sent (Integration Message)
	"sendgrid": {"*": _MESSAGE_EVENTS},
	"mailgun": {"*": _MESSAGE_EVENTS},
	"ses": {"*": _MESSAGE_EVENTS},
	"twilio": {"*": _MESSAGE_EVENTS},
}
# A site's apps settle their documents here: `hook(payment)` once a payment first succeeds
# (integrations_app/payments/ledger.py), e.g.
# integrations_payment_settled = "my_app.billing.on_paid"

# File attachments on a connected bucket, when a site turns it on (integrations_app.file_storage);
# otherwise both fall through to Frappe's own file-system behaviour.
write_file = "integrations_app.file_storage.hooks.write_file"
delete_file_data_content = "integrations_app.file_storage.hooks.delete_file_data_content"

# The site's own email through a connection when Integration Settings says so, SMTP otherwise
# (integrations_app/messaging/routing.py says what v15 allows).
override_email_send = "integrations_app.messaging.routing.send_queued_email"
override_whitelisted_methods = {
	"frappe.core.doctype.sms_settings.sms_settings.send_sms": "integrations_app.messaging.routing.send_sms_whitelisted",
}
