frappe.listview_settings["Integration Inbound Event"] = {
	add_fields: ["status"],
	get_indicator(doc) {
		const colour =
			{ Received: "blue", Processing: "blue", Processed: "green", Failed: "red", "No Handler": "gray" }[doc.status] || "gray";
		return [__(doc.status), colour, `status,=,${doc.status}`];
	},
};
