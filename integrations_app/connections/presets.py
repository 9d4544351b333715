"""Published settings of the providers later issues build on, and the catalogue the SPA offers.

`PROVIDER_PRESETS` become Integration OAuth Provider records on install and migrate (missing
ones only: an admin's edits, client id and secret included, are never overwritten) and fill a
new provider's form when its Preset is picked. Values come from each provider's OAuth 2
documentation; Stripe Connect takes no PKCE and has no RFC 7009 revocation endpoint
(its `deauthorize` takes the account id, not a token), Microsoft has no revocation endpoint.
"""

PROVIDER_PRESETS: dict[str, dict] = {
	"PayPal": {
		"token_url": "https://api-m.paypal.com/v1/oauth2/token",
		"sandbox_token_url": "https://api-m.sandbox.paypal.com/v1/oauth2/token",
		"api_base_url": "https://api-m.paypal.com",
		"sandbox_api_base_url": "https://api-m.sandbox.paypal.com",
		"client_auth_method": "basic",
		"pkce": 1,
		"scopes": "",
		"default_token_lifetime_s": 3600,
	},
	"Google": {
		"authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
		"token_url": "https://oauth2.googleapis.com/token",
		"revoke_url": "https://oauth2.googleapis.com/revoke",
		"api_base_url": "https://www.googleapis.com",
		"client_auth_method": "post",
		"pkce": 1,
		"scopes": "openid email",
		# Google returns a refresh token only for offline access, and again only with consent.
		"authorize_params": "access_type=offline\nprompt=consent",
		"default_token_lifetime_s": 3600,
	},
	"Microsoft": {
		# `common` accepts work and personal accounts; put a tenant id there for one organisation.
		"authorize_url": "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
		"token_url": "https://login.microsoftonline.com/common/oauth2/v2.0/token",
		"api_base_url": "https://graph.microsoft.com",
		"client_auth_method": "post",
		"pkce": 1,
		"scopes": "offline_access User.Read",
		"default_token_lifetime_s": 3600,
	},
	"Stripe Connect": {
		"authorize_url": "https://connect.stripe.com/oauth/authorize",
		"token_url": "https://connect.stripe.com/oauth/token",
		"api_base_url": "https://api.stripe.com",
		"client_auth_method": "post",
		"pkce": 0,
		"scopes": "read_write",
		"default_token_lifetime_s": 3600,
	},
}

# Which auth type a connection made from a provider preset gets.
PRESET_AUTH_TYPES = {
	"PayPal": "OAuth 2 Client Credentials",
	"Google": "OAuth 2 Authorization Code",
	"Microsoft": "OAuth 2 Authorization Code",
	"Stripe Connect": "OAuth 2 Authorization Code",
}

# Connections that need no OAuth provider: what the SPA's catalogue fills in.
API_PRESETS: dict[str, dict] = {
	"Stripe": {
		"auth_type": "Bearer Token",
		"base_url": "https://api.stripe.com",
		"headers": "Stripe-Version: 2024-06-20",
		"test_path": "/v1/balance",
		"api_provider": "Stripe",
	},
	# Basic auth: Key ID as username, Key Secret as the secret (also what Checkout signatures use).
	"Razorpay": {"auth_type": "Basic Auth", "base_url": "https://api.razorpay.com", "test_path": "/v1/payments", "api_provider": "Razorpay"},
	"API Key": {"auth_type": "API Key (Header)", "key_name": "X-API-Key"},
	"Bearer Token": {"auth_type": "Bearer Token"},
	"Basic Auth": {"auth_type": "Basic Auth"},
	# Region and key are the account's; an empty Base URL becomes the service's regional endpoint.
	"Amazon S3": {"auth_type": "AWS SigV4", "aws_service": "s3"},
	"Google Service Account": {"auth_type": "Google Service Account", "base_url": "https://www.googleapis.com"},
}


def catalogue(providers: list[dict]) -> list[dict]:
	"""The SPA's catalogue: one entry per OAuth provider record, then the API presets.
	Each entry says what a new connection made from it starts with."""
	entries = []
	for p in providers:
		oauth_type = PRESET_AUTH_TYPES.get(p.get("preset") or "") or (
			"OAuth 2 Authorization Code" if p.get("authorize_url") else "OAuth 2 Client Credentials"
		)
		entries.append(
			{
				"key": f"provider:{p['name']}",
				"title": p["name"],
				"kind": "oauth",
				"configured": bool(p.get("client_id")),
				"defaults": {
					"auth_type": oauth_type,
					"provider": p["name"],
					"base_url": p.get("api_base_url") or "",
					# a connection made from the PayPal preset offers PayPal's payment operations
					**({"api_provider": "PayPal"} if p.get("preset") == "PayPal" else {}),
				},
			}
		)
	for title, defaults in API_PRESETS.items():
		entries.append({"key": f"api:{title}", "title": title, "kind": "api", "configured": True, "defaults": dict(defaults)})
	return entries
