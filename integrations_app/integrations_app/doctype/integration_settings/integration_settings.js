frappe.ui.form.on("Integration Settings", {
	refresh(frm) {
		frm.add_custom_button(__("Test sidecar"), () => {
			frappe
				.call({ method: "integrations_app.api.settings.test_sidecar", freeze: true })
				.then(({ message: result }) => {
					frappe.msgprint({
						title: result.ok ? __("Sidecar reachable") : __("Sidecar not reachable"),
						indicator: result.ok ? "green" : "red",
						message: `<pre>${frappe.utils.escape_html(JSON.stringify(result, null, 2))}</pre>`,
					});
					// last_health was saved on the server; don't throw away unsaved edits to show it
					if (!frm.is_dirty()) frm.reload_doc();
				});
		});
	},
});
