const WEBHOOK_API = "integrations_app.api.webhooks";

// A generated or rotated secret is in one answer only (the save, or rotate_secret): show it now,
// for the person to give the receiver; it cannot be read back later.
function show_new_secret(secret) {
	const dialog = new frappe.ui.Dialog({
		title: __("New signing secret"),
		fields: [
			{
				fieldtype: "HTML",
				options: `<p>${__("Give this secret to the receiver now. It is shown once and cannot be read back.")}</p>`,
			},
			{ fieldname: "secret", fieldtype: "Code", label: __("Secret"), read_only: 1, default: secret },
		],
		primary_action_label: __("Copy and close"),
		primary_action() {
			frappe.utils.copy_to_clipboard(secret);
			dialog.hide();
		},
	});
	dialog.show();
}

frappe.ui.form.on("Integration Webhook", {
	after_save(frm) {
		const secret = frm.doc.__onload && frm.doc.__onload.new_secret;
		if (secret) {
			delete frm.doc.__onload.new_secret;
			show_new_secret(secret);
		}
	},

	refresh(frm) {
		integrations_app.label_document_events(frm, "events");
		if (frm.is_new()) return;
		const call = (method, args = {}) =>
			frappe.call({ method: `${WEBHOOK_API}.${method}`, args: { webhook: frm.doc.name, ...args }, freeze: true });
		const actions = __("Actions");

		frm.add_custom_button(__("Deliveries"), () =>
			frappe.set_route("List", "Integration Webhook Delivery", { webhook: frm.doc.name })
		);

		frm.add_custom_button(
			__("Send test event"),
			() =>
				call("send_test_event").then(({ message }) =>
					frappe.show_alert({ message: __("Test event queued: {0}", [message.delivery]), indicator: "green" })
				),
			actions
		);

		const paused = frm.doc.status !== "Active";
		frm.add_custom_button(
			paused ? __("Resume") : __("Pause"),
			() => call("set_paused", { paused: paused ? 0 : 1 }).then(() => frm.reload_doc()),
			actions
		);

		if (frm.doc.signing !== "None") {
			frm.add_custom_button(
				__("Rotate secret"),
				() =>
					frappe.confirm(
						__("Generate a new secret? The current one keeps signing for 24 hours so receivers can switch."),
						() =>
							call("rotate_secret").then(({ message }) => {
								frappe.show_alert({
									message: __("Secret rotated; the old one expires at {0}", [message.previous_expires_at]),
									indicator: "green",
								});
								frm.reload_doc();
								show_new_secret(message.secret);
							})
					),
				actions
			);
		}

		frm.add_custom_button(
			__("Recover failed since…"),
			() =>
				frappe.prompt(
					{
						fieldname: "since",
						fieldtype: "Datetime",
						label: __("Since"),
						reqd: 1,
						default: frappe.datetime.add_days(frappe.datetime.now_datetime(), -1),
					},
					({ since }) =>
						call("recover_failed", { since }).then(({ message }) =>
							frappe.msgprint(__("{0} failed message(s) queued again", [message.requeued]))
						),
					__("Recover failed deliveries"),
					__("Recover")
				),
			actions
		);
	},
});
