const STREAM_API = "integrations_app.api.streams";

// The same event names as Integration Webhook's picker: a person picks what happens to the document.
const STREAM_EVENT_LABELS = {
	after_insert: __("Created"),
	on_update: __("Updated"),
	on_submit: __("Submitted"),
	on_cancel: __("Cancelled"),
	on_trash: __("Deleted"),
	on_update_after_submit: __("Updated after submit"),
};

function label_stream_events(frm) {
	const grid = frm.get_field("sources").grid;
	const options = Object.entries(STREAM_EVENT_LABELS).map(([value, label]) => ({ value, label }));
	grid.update_docfield_property("event", "options", options);
	grid.update_docfield_property("event", "formatter", (value) => STREAM_EVENT_LABELS[value] || value);
	frm.refresh_field("sources");
}

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
		label_stream_events(frm);
	},
	refresh(frm) {
		label_stream_events(frm);
		if (frm.is_new()) return;
		frm.add_custom_button(__("New Token"), () => new_token(frm));
		frm.add_custom_button(__("Live Tail"), () =>
			window.open(`/integrations/streams?stream=${encodeURIComponent(frm.doc.name)}`, "_blank")
		);
	},
});
