// Frappe stores an empty Int as 0; here 0 means "the provider's default", so it is shown empty.
function show_default_tolerance(frm) {
	const input = frm.get_field("tolerance_s").$input;
	if (!input) return;
	input.attr("placeholder", __("Provider default"));
	if (!cint(frm.doc.tolerance_s)) input.val("");
}

frappe.ui.form.on("Integration Inbound Endpoint", {
	tolerance_s(frm) {
		show_default_tolerance(frm);
	},
	refresh(frm) {
		show_default_tolerance(frm);
		if (frm.doc.public_url) {
			frm.add_custom_button(__("Copy public URL"), () => frappe.utils.copy_to_clipboard(frm.doc.public_url));
		}
		if (!frm.is_new()) {
			frm.add_custom_button(__("Events"), () =>
				frappe.set_route("List", "Integration Inbound Event", { endpoint: frm.doc.name })
			);
		}
	},
});
