"""A site's outgoing MIME message (Frappe's Email Queue) turned into `mail.send` params, for
providers that take no raw message (SendGrid). Frappe-free.

Mailgun and SES take the message as it is (`mail.send_raw`); SendGrid needs its parts: from,
subject, the text and HTML bodies, attachments (inline images included, as attachments), and
the headers a thread needs (In-Reply-To, References, List-Unsubscribe…).
"""

import base64
import email
import re
from email import policy
from email.utils import getaddresses, parseaddr

# Set by the params or by the provider itself; `mail.send` refuses them as custom headers.
_NOT_CUSTOM = frozenset(
	{
		"from", "to", "cc", "bcc", "subject", "reply-to", "content-type", "content-transfer-encoding", "mime-version",
		"message-id", "date", "received", "dkim-signature", "x-sg-id", "x-sg-eid", "content-disposition",
	}
)  # fmt: skip
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")
MAX_HEADERS = 50


def _address(value: str) -> dict | None:
	name, addr = parseaddr(value or "")
	if not addr or "@" not in addr:
		return None
	return {"email": addr, "name": name} if name else {"email": addr}


def mime_to_email_params(raw: bytes, recipient: str) -> dict:
	"""`mail.send` params for one recipient of the message `raw`. Raises ValueError when the
	message has no usable From."""
	msg = email.message_from_bytes(raw, policy=policy.default)
	sender = _address(str(msg.get("From", "")))
	if not sender:
		raise ValueError("the message has no From address")
	params: dict = {"from": sender, "to": [recipient], "subject": " ".join(str(msg.get("Subject", "")).split()) or "(no subject)"}
	reply_to = [a for a in (_address(v) for _, v in getaddresses([str(msg.get("Reply-To", ""))])) if a]
	if reply_to:
		params["reply_to"] = reply_to[0]
	headers = {}
	for name, value in msg.items():
		if name.lower() in _NOT_CUSTOM or not _HEADER_NAME.match(name) or len(headers) >= MAX_HEADERS:
			continue
		headers[name] = " ".join(str(value).split())[:998]
	if headers:
		params["headers"] = headers
	attachments = []
	for part in msg.walk():
		if part.is_multipart():
			continue
		ctype = part.get_content_type()
		filename = part.get_filename()
		if filename or part.get_content_disposition() == "attachment" or part.get("Content-ID"):
			payload = part.get_payload(decode=True) or b""
			name = filename or (part.get("Content-ID") or "attachment").strip("<>")
			attachments.append({"filename": re.sub(r'[\r\n"\\/]', "_", name)[:255], "content": base64.b64encode(payload).decode(), "type": ctype})
		elif ctype == "text/plain" and "text" not in params:
			params["text"] = part.get_content()
		elif ctype == "text/html" and "html" not in params:
			params["html"] = part.get_content()
	if "text" not in params and "html" not in params:
		params["text"] = ""
	if attachments:
		params["attachments"] = attachments
	return params
