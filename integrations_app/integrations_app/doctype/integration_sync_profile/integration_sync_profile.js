const SYNC_API = "integrations_app.api.sync";

function start_run(frm, method, args, done_message) {
	frappe.call({
		method: `${SYNC_API}.${method}`,
		args: { profile: frm.doc.name, ...args },
		freeze: true,
		callback: (r) => {
			const run = r.message || {};
			frappe.show_alert({
				message: run.already_running ? __("A run was already going ({0})", [run.run_id]) : done_message,
				indicator: "green",
			});
			frm.reload_doc();
		},
	});
}

frappe.ui.form.on("Integration Sync Profile", {
	refresh(frm) {
		if (frm.is_new()) return;
		frm.add_custom_button(__("Open in Sync page"), () => {
			window.location.assign(`/integrations/sync?profile=${encodeURIComponent(frm.doc.name)}`);
		});
		if (!frm.doc.enabled) return;
		frm.add_custom_button(__("Run now"), () => start_run(frm, "run_now", { kind: "incremental" }, __("Run queued")), __("Sync"));
		frm.add_custom_button(
			__("Full resync"),
			() =>
				frappe.confirm(__("Read every record of both sides again? Unchanged records are skipped."), () =>
					start_run(frm, "run_now", { kind: "full" }, __("Full run queued"))
				),
			__("Sync")
		);
		frm.add_custom_button(__("Retry failed"), () => start_run(frm, "retry_failed", {}, __("Failed records queued again")), __("Sync"));
		if (!frm.doc.sidecar_synced) {
			frm.dashboard.set_headline_alert(__("The sidecar does not have this profile's latest settings yet; it is sent again every minute."), "orange");
		}
	},
	remote_type(frm) {
		// A Frappe site lists its deletes; absence is for REST resources only.
		if (frm.doc.remote_type === "Frappe Site" && frm.doc.remote_delete_rule === "Absence") {
			frm.set_value("remote_delete_rule", "None");
		}
	},
});

frappe.ui.form.on("Integration Sync Field Map", {
	transform_type(frm, cdt, cdn) {
		const row = locals[cdt][cdn];
		const examples = {
			Constant: { value: "", side: "remote" },
			"Value Map": { map: {} },
			Date: { local_format: "date", remote_format: "iso" },
			Number: { scale: 1, decimals: 2 },
		};
		if (examples[row.transform_type] && !row.transform_options) {
			frappe.model.set_value(cdt, cdn, "transform_options", JSON.stringify(examples[row.transform_type], null, 1));
		}
	},
});
