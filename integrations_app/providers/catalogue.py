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


def sidecar_provider(label: str | None) -> str | None:
	"""The sidecar's provider name for a desk label; None for a proxy-only connection."""
	return API_PROVIDERS.get(label) if label else None
