frappe.listview_settings["Integration Webhook Delivery"] = {
	add_fields: ["status"],
	get_indicator(doc) {
		const colour =
			{ Queued: "blue", Sending: "blue", Retrying: "orange", Succeeded: "green", Failed: "red", Cancelled: "gray" }[doc.status] ||
			"gray";
		return [__(doc.status), colour, `status,=,${doc.status}`];
	},
};
