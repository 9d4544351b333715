const API = "integrations_app.api.connections.";

frappe.ui.form.on("Integration Connection", {
	onload(frm) {
		// Back from the provider's consent page: say how it went, once.
		const outcome = new URLSearchParams(window.location.search).get("oauth");
		if (outcome) {
			window.history.replaceState(null, "", window.location.pathname);
			if (outcome === "connected") frappe.show_alert({ message: __("Connected"), indicator: "green" });
			else frappe.msgprint({ title: __("Not connected"), message: frm.doc.last_error || __("The provider did not grant access."), indicator: "red" });
		}
	},

	refresh(frm) {
		if (frm.is_new()) return;
		const oauth_code = frm.doc.auth_type === "OAuth 2 Authorization Code";
		const oauth = oauth_code || frm.doc.auth_type === "OAuth 2 Client Credentials";
		if (oauth_code && frm.doc.enabled) {
			const label = frm.doc.status === "Not Connected" ? __("Connect") : __("Reconnect");
			const button = frm.add_custom_button(label, () => connect(frm));
			if (["Not Connected", "Expired"].includes(frm.doc.status)) button.addClass("btn-primary");
		}
		if (frm.doc.enabled) frm.add_custom_button(__("Test Connection"), () => test(frm));
		if (oauth && frm.doc.status !== "Not Connected") {
			frm.add_custom_button(__("Disconnect"), () =>
				frappe.confirm(__("Forget the tokens of {0} (and revoke them at the provider)? Calls fail until it is connected again.", [frm.doc.name]), () =>
					frappe.call({ method: API + "disconnect", args: { connection: frm.doc.name } }).then(({ message }) => {
						// The account is disconnected either way; a revocation the provider did not confirm is worth a look.
						if (message.revocation === "failed") frappe.msgprint({ title: __("Disconnected"), message: message.error, indicator: "orange" });
						else if (message.revocation === "pending") frappe.show_alert({ message: __("Disconnected; the sidecar revokes the tokens when it is reachable again."), indicator: "orange" });
						frm.reload_doc();
					})
				)
			);
		}
		render_token_summary(frm);
		const colors = { Connected: "green", "Not Connected": "gray", Expired: "orange", Error: "red", Disabled: "gray" };
		frm.page.set_indicator(__(frm.doc.status), colors[frm.doc.status] || "gray");
	},

	auth_type(frm) {
		if (!frm.doc.provider || frm.doc.base_url) return;
		frappe.db.get_value("Integration OAuth Provider", frm.doc.provider, ["api_base_url", "sandbox_api_base_url"]).then(({ message }) => {
			const url = (frm.doc.sandbox && message.sandbox_api_base_url) || message.api_base_url;
			if (url) frm.set_value("base_url", url);
		});
	},

	provider(frm) {
		frm.trigger("auth_type");
	},
});

function connect(frm) {
	const go = () =>
		frappe.call({ method: API + "start_oauth", args: { connection: frm.doc.name, return_to: "desk" }, freeze: true }).then(({ message }) => {
			window.location.href = message.authorize_url;
		});
	if (frm.is_dirty()) frm.save().then(go);
	else go();
}

function test(frm) {
	frappe.call({ method: API + "test_connection", args: { connection: frm.doc.name }, freeze: true, freeze_message: __("Calling the API…") }).then(({ message }) => {
		if (message.ok) {
			frappe.show_alert({ message: __("The API answered {0} in {1} ms", [message.status_code, Math.round(message.duration_ms)]), indicator: "green" });
		} else {
			frappe.msgprint({ title: __("Test failed"), message: frappe.utils.escape_html(message.error || ""), indicator: "red" });
		}
		frm.reload_doc();
	});
}

// The token times are UTC (absolute, from the provider); desk would label a Datetime field
// with the site's time zone, so they are shown here with theirs.
function render_token_summary(frm) {
	const field = frm.get_field("token_summary");
	if (!field) return;
	const utc = (value) => (value ? `${frappe.utils.escape_html(value.slice(0, 19))} UTC` : "—");
	const expires = frm.doc.token_expires_at ? moment.utc(frm.doc.token_expires_at) : null;
	const rows = [
		[__("Expires"), expires ? `${utc(frm.doc.token_expires_at)} (${expires.fromNow()})` : "—"],
		[__("Obtained"), utc(frm.doc.token_obtained_at)],
		[__("Connected"), utc(frm.doc.connected_at)],
	];
	field.$wrapper.html(
		`<table class="table table-sm table-borderless" style="max-width: 36rem">${rows
			.map(([label, value]) => `<tr><td class="text-muted" style="width: 8rem">${label}</td><td>${value}</td></tr>`)
			.join("")}</table>`
	);
}
