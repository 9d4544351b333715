// Status at a glance; health (consecutive failures) turns an Active webhook orange.
frappe.listview_settings["Integration Webhook"] = {
	add_fields: ["status", "consecutive_failures"],
	get_indicator(doc) {
		const colour = { Active: "green", Paused: "orange", Disabled: "gray", "Auto-disabled": "red" }[doc.status] || "gray";
		if (doc.status === "Active" && doc.consecutive_failures > 0) {
			return [__("Failing ({0})", [doc.consecutive_failures]), "orange", "status,=,Active"];
		}
		return [__(doc.status), colour, `status,=,${doc.status}`];
	},
};
