frappe.ui.form.on("Integration OAuth Provider", {
	preset(frm) {
		if (!frm.is_new() || !frm.doc.preset) return;
		frappe
			.call({ method: "integrations_app.integrations_app.doctype.integration_oauth_provider.integration_oauth_provider.get_preset", args: { preset: frm.doc.preset } })
			.then(({ message }) => {
				for (const [field, value] of Object.entries(message)) frm.set_value(field, value);
				if (!frm.doc.provider_name) frm.set_value("provider_name", frm.doc.preset);
			});
	},

	refresh(frm) {
		if (!frm.is_new()) {
			frm.add_custom_button(__("Connections"), () => frappe.set_route("List", "Integration Connection", { provider: frm.doc.name }));
		}
		if (frm.doc.authorize_url) {
			frm.set_intro(__("Register this redirect URI at the provider: {0}", [`<code>${frappe.utils.escape_html(frappe.urllib.get_base_url())}/api/method/integrations_app.api.connections.oauth_callback</code>`]));
		}
	},
});
