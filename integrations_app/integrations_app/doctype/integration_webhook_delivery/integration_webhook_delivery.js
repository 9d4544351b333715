frappe.ui.form.on("Integration Webhook Delivery", {
	refresh(frm) {
		frm.add_custom_button(__("Replay"), () => {
			frappe
				.call({
					method: "integrations_app.api.webhooks.replay_delivery",
					args: { delivery: frm.doc.name },
					freeze: true,
				})
				.then(() => {
					frappe.show_alert({ message: __("Delivery queued again"), indicator: "green" });
					frm.reload_doc();
				});
		});
		frm.add_custom_button(__("Webhook"), () => frappe.set_route("Form", "Integration Webhook", frm.doc.webhook));
	},
});
