"""What the two signed auth types of an Integration Connection become in the sidecar's `auth`
(sidecar/README.md "Auth types"), and what is wrong with the form's values before they are
pushed. The sidecar checks again (it alone parses the private key); these rules give the desk
user the reason at save time instead of a refused push.

- AWS SigV4: access key id, secret access key (the form's `secret`), optional session token,
  region and service (the signing name).
- Google service account: client email, private key (PEM, as in the account's JSON key file),
  optional private key id, token URI, scopes, optional subject (domain-wide delegation).
- Azure Shared Key: storage account name and one of its access keys (the form's `secret`, base64).
"""

import base64
import binascii
import re

AWS_SIGV4 = "AWS SigV4"
GOOGLE_SERVICE_ACCOUNT = "Google Service Account"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
AZURE_SHARED_KEY = "Azure Shared Key"
AZURE_ACCOUNT_RE = re.compile(r"^[a-z0-9]{3,24}$")

AWS_ACCESS_KEY_RE = re.compile(r"^[A-Za-z0-9]{1,128}$")
AWS_REGION_RE = re.compile(r"^[a-z0-9-]{1,32}$")
AWS_SERVICE_RE = re.compile(r"^[a-z0-9-]{1,64}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,256}@[^@\s]{1,256}$")
KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
PEM_RE = re.compile(r"-----BEGIN ((?:RSA )?)PRIVATE KEY-----(.*?)-----END \1PRIVATE KEY-----", re.S)
MAX_SECRET = 8192


def credential_field(auth_type: str, oauth: bool) -> str:
	"""The Password field that holds what a connection of this type must not leak: whoever
	moves the Base URL to another host must type it again."""
	if oauth:
		return "client_secret"
	if auth_type == GOOGLE_SERVICE_ACCOUNT:
		return "google_private_key"
	return "secret"


def aws_default_base_url(service: str, region: str) -> str:
	"""The regional endpoint of a service (`https://s3.eu-west-1.amazonaws.com`); services with
	other host names (IAM, CloudFront…) need their Base URL set by hand."""
	return f"https://{service}.{region}.amazonaws.com"


def _one_line(name: str, value: str | None, required: bool = True) -> str | None:
	value = (value or "").strip()
	if not value:
		if required:
			raise ValueError(f"{name} is required")
		return None
	if "\n" in value or "\r" in value or len(value) > MAX_SECRET:
		raise ValueError(f"{name} must be one line of at most {MAX_SECRET} characters")
	return value


def aws_sigv4_auth(
	access_key_id: str | None, secret_access_key: str | None, session_token: str | None, region: str | None, service: str | None
) -> dict:
	"""→ the sidecar's `aws_sigv4` auth; ValueError naming the first bad field."""
	key_id = _one_line("Access Key ID", access_key_id)
	if not AWS_ACCESS_KEY_RE.match(key_id):
		raise ValueError("Access Key ID holds only letters and digits (e.g. AKIA…)")
	region = (region or "").strip()
	if not AWS_REGION_RE.match(region):
		raise ValueError("Region must be an AWS region name such as eu-west-1 (us-east-1 for IAM)")
	service = (service or "").strip()
	if not AWS_SERVICE_RE.match(service):
		raise ValueError("Service must be the AWS signing name, such as s3, execute-api or dynamodb")
	auth = {
		"type": "aws_sigv4",
		"access_key_id": key_id,
		"secret_access_key": _one_line("Secret Access Key", secret_access_key),
		"region": region,
		"service": service,
	}
	token = _one_line("Session Token", session_token, required=False)
	if token:
		auth["session_token"] = token
	return auth


def normalize_pem(text: str | None) -> str:
	"""A private key as PEM with its line breaks, however it was pasted: from the JSON key file
	with literal `\\n`, with CRLF, or flattened to one line by a password input.
	ValueError when there is no PEM private key in it."""
	raw = (text or "").replace("\\n", "\n").replace("\r", "")
	match = PEM_RE.search(raw)
	if not match:
		raise ValueError("Private Key must be a PEM private key (-----BEGIN PRIVATE KEY----- … -----END PRIVATE KEY-----)")
	label = f"{match.group(1)}PRIVATE KEY"
	body = re.sub(r"\s+", "", match.group(2))
	try:
		if not body or len(base64.b64decode(body, validate=True)) < 64:
			raise ValueError
	except (binascii.Error, ValueError):
		raise ValueError("Private Key: the part between the BEGIN and END lines is not a key") from None
	lines = [body[i : i + 64] for i in range(0, len(body), 64)]
	return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""])


def google_service_account_auth(
	client_email: str | None,
	private_key: str | None,
	private_key_id: str | None,
	token_uri: str | None,
	scopes: list[str],
	subject: str | None,
) -> dict:
	"""→ the sidecar's `google_service_account` auth; ValueError naming the first bad field."""
	email = (client_email or "").strip()
	if not EMAIL_RE.match(email):
		raise ValueError("Client Email must be the service account's email (…@….iam.gserviceaccount.com)")
	if not scopes:
		raise ValueError("A service account needs at least one scope")
	auth = {
		"type": "google_service_account",
		"client_email": email,
		"private_key": normalize_pem(private_key),
		"token_uri": (token_uri or "").strip() or GOOGLE_TOKEN_URI,
		"scopes": scopes,
	}
	key_id = (private_key_id or "").strip()
	if key_id:
		if not KEY_ID_RE.match(key_id):
			raise ValueError("Private Key ID is the key file's private_key_id (letters, digits, - and _)")
		auth["private_key_id"] = key_id
	subject = (subject or "").strip()
	if subject:
		if not EMAIL_RE.match(subject):
			raise ValueError("Subject must be the email of the user the account acts as")
		auth["subject"] = subject
	return auth


def azure_shared_key_auth(account: str | None, key: str | None) -> dict:
	"""→ the sidecar's `azure_shared_key` auth; ValueError naming the first bad field."""
	account = (account or "").strip()
	if not AZURE_ACCOUNT_RE.match(account):
		raise ValueError("Storage Account must be the account's name: 3–24 lower-case letters and digits")
	key = _one_line("Account Key", key)
	try:
		if len(base64.b64decode(key, validate=True)) < 16:
			raise ValueError
	except (binascii.Error, ValueError):
		raise ValueError("Account Key must be one of the account's access keys, in base64 as the portal shows it") from None
	return {"type": "azure_shared_key", "account": account, "key": key}
