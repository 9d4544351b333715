frappe.ui.form.on("Integration Inbound Event", {
	refresh(frm) {
		frm.add_custom_button(__("Replay"), () => {
			frappe
				.call({
					method: "integrations_app.api.inbound.replay_event",
					args: { event: frm.doc.name },
					freeze: true,
				})
				.then(() => {
					frappe.show_alert({ message: __("Handlers queued again"), indicator: "green" });
					frm.reload_doc();
				});
		});
	},
});
