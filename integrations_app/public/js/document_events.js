// Integration Webhook and Integration Stream store Frappe's hook names (after_insert, on_update…);
// a person picks what happens to the document. One table for both forms' event pickers.
frappe.provide("integrations_app");

integrations_app.DOCUMENT_EVENT_LABELS = {
	after_insert: __("Created"),
	on_update: __("Updated"),
	on_submit: __("Submitted"),
	on_cancel: __("Cancelled"),
	on_trash: __("Deleted"),
	on_update_after_submit: __("Updated after submit"),
};

integrations_app.label_document_events = function (frm, table_field) {
	const labels = integrations_app.DOCUMENT_EVENT_LABELS;
	const grid = frm.get_field(table_field).grid;
	const options = Object.entries(labels).map(([value, label]) => ({ value, label }));
	grid.update_docfield_property("event", "options", options);
	grid.update_docfield_property("event", "formatter", (value) => labels[value] || value);
	frm.refresh_field(table_field);
};
