"""The provider APIs a connection can offer operations of (sidecar `src/providers/`), by the
label desk shows in Integration Connection's "API" field. Frappe-free: the config builder and
the pure tests read it."""

API_PROVIDERS: dict[str, str] = {
	"Stripe": "stripe",
	"PayPal": "paypal",
	"Razorpay": "razorpay",
	"SendGrid": "sendgrid",
	"Mailgun": "mailgun",
	"Amazon SES": "amazon_ses",
	"Twilio": "twilio",
	"Amazon S3": "amazon_s3",
	"Google Cloud Storage": "gcs",
	"Azure Blob Storage": "azure_blob",
}


# What each provider API is for: the desk's "Try it" panel offers one test action per area
# (api/providers.py TEST_ACTIONS).
AREAS: dict[str, str] = {
	"stripe": "payments",
	"paypal": "payments",
	"razorpay": "payments",
	"sendgrid": "email",
	"mailgun": "email",
	"amazon_ses": "email",
	"twilio": "sms",
	"amazon_s3": "storage",
	"gcs": "storage",
	"azure_blob": "storage",
}


def area_of(label: str | None) -> str | None:
	"""`payments`, `email`, `sms` or `storage` for a desk label; None for a proxy-only connection."""
	return AREAS.get(sidecar_provider(label) or "")


def sidecar_provider(label: str | None) -> str | None:
	"""The sidecar's provider name for a desk label; None for a proxy-only connection."""
	return API_PROVIDERS.get(label) if label else None
