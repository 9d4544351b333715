import frappe

from integrations_app.tests.helpers import IntegrationsTestCase

ENDPOINT = "Integration Inbound Endpoint"


def make_endpoint(**fields):
	return frappe.get_doc({"doctype": ENDPOINT, "provider": "stripe", "secret": "whsec_test", **fields}).insert(
		ignore_permissions=True
	)


class TestIntegrationInboundEndpoint(IntegrationsTestCase):
	def test_slug_must_be_url_safe(self):
		for slug in ("Stripe Live", "a/b", "-x"):
			with self.assertRaises(frappe.ValidationError, msg=slug):
				make_endpoint(slug=slug)

	def test_public_url_follows_settings(self):
		frappe.db.set_single_value("Integration Settings", "site_public_url", "https://hooks.example.com")
		endpoint = make_endpoint(slug="stripe-live")
		self.assertEqual(endpoint.name, "stripe-live")
		self.assertEqual(endpoint.public_url, "https://hooks.example.com/v1/inbound/stripe-live")

	def test_provider_requirements(self):
		with self.assertRaises(frappe.ValidationError):
			make_endpoint(slug="no-secret", secret=None)
		with self.assertRaises(frappe.ValidationError):
			make_endpoint(slug="generic", provider="hmac-sha256")
		with self.assertRaises(frappe.ValidationError):
			make_endpoint(slug="svix", provider="standard", secret="plain")
		with self.assertRaises(frappe.ValidationError):
			make_endpoint(slug="ses-no-topic", provider="ses", secret=None)

	def test_sidecar_config_matches_provider_schema(self):
		from integrations_app.sidecar.config_sync import inbound_config

		generic = make_endpoint(
			slug="generic-ok", provider="hmac-sha256", hmac_header="X-Signature", hmac_prefix="sha256=", tolerance_s=300
		)
		self.assertEqual(
			inbound_config(generic),
			{
				"provider": "hmac-sha256",
				"secret": "whsec_test",
				"tolerance_s": 300,
				"options": {"header": "X-Signature", "encoding": "hex", "prefix": "sha256="},
			},
		)
		arn = "arn:aws:sns:eu-west-1:123456789012:ses-events"
		ses = make_endpoint(slug="ses-ok", provider="ses", secret="ignored", allowed_topic_arn=f" {arn} ")
		self.assertEqual(
			inbound_config(ses),
			{"provider": "ses", "secret": "", "options": {"allowed_topic_arns": [arn]}},
		)
		self.assertEqual(inbound_config(make_endpoint(slug="gh"))["provider"], "stripe")
