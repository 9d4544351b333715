frappe.ui.form.on("Integration Inbound Endpoint", {
	refresh(frm) {
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
