const STREAM_API = "integrations_app.api.streams";

// The token is in create_token's answer only: show it now; it cannot be read back later.
function show_new_token(created) {
	const dialog = new frappe.ui.Dialog({
		title: __("New stream token"),
		fields: [
			{
				fieldtype: "HTML",
				options: `<p>${__("Copy the token for {0} now. It is shown once and cannot be read back.", [
					frappe.utils.escape_html(created.label),
				])}</p>`,
			},
			{ fieldname: "token", fieldtype: "Code", label: __("Token"), read_only: 1, default: created.token },
		],
		primary_action_label: __("Copy and close"),
		primary_action() {
			frappe.utils.copy_to_clipboard(created.token);
			dialog.hide();
		},
	});
	dialog.show();
}

function new_token(frm) {
	frappe.prompt(
		[
			{ fieldname: "label", fieldtype: "Data", label: __("Label"), reqd: 1 },
			{
				fieldname: "expires_in_days",
				fieldtype: "Int",
				label: __("Expires in (days)"),
				description: __("Empty: never"),
			},
		],
		(values) =>
			frappe
				.call({
					method: `${STREAM_API}.create_token`,
					args: { stream: frm.doc.name, label: values.label, expires_in_days: values.expires_in_days || null },
				})
				.then((r) => {
					show_new_token(r.message);
					frm.reload_doc();
				}),
		__("New token"),
		__("Create"),
	);
}

frappe.ui.form.on("Integration Stream", {
	onload(frm) {
		integrations_app.label_document_events(frm, "sources");
	},
	refresh(frm) {
		integrations_app.label_document_events(frm, "sources");
		if (frm.is_new()) return;
		frm.add_custom_button(__("New Token"), () => new_token(frm));
		frm.add_custom_button(__("Live Tail"), () =>
			window.open(`/integrations/streams?stream=${encodeURIComponent(frm.doc.name)}`, "_blank")
		);
	},
});
