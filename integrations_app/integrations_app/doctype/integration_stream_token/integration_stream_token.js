// Tokens are created from their stream (shown once) and only revoked here: no field is editable.
frappe.ui.form.on("Integration Stream Token", {
	refresh(frm) {
		if (frm.doc.revoked) return;
		frm.add_custom_button(__("Revoke"), () =>
			frappe.confirm(__("Revoke {0}? Consumers using it are refused from now on.", [frappe.utils.escape_html(frm.doc.label)]), () =>
				frappe
					.call({ method: "integrations_app.api.streams.revoke_token", args: { token: frm.doc.name } })
					.then(() => frm.reload_doc())
			)
		);
	},
});
