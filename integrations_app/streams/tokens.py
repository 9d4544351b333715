"""Creating and revoking a stream's access tokens.

A token is generated here, returned once to the person who created it, and stored only as its
SHA-256 hash (`streams.rules.tokens`). The token rows are their own DocType, written only by
these functions (no role may create or write one), so a desk save of the stream can never carry
or clobber a hash. Every change re-sends the stream's live hashes to the sidecar after commit.
"""

import frappe
from frappe import _
from frappe.utils import get_datetime, now, now_datetime

from integrations_app.sidecar import config_sync
from integrations_app.streams.config import STREAM, TOKEN
from integrations_app.streams.rules import tokens as rules

MAX_LABEL = 140
# What a manager may see of a token: never its hash.
PUBLIC_FIELDS = ("name", "label", "last4", "filter_field", "filter_value", "expires_at", "revoked", "revoked_at", "revoked_by", "created_by", "created_at")


def create_token(stream: str, label: str, expires_at=None, filter_field: str | None = None, filter_value: str | None = None) -> dict:
	"""→ the new token's public fields and `token`, the only time the token is returned. With a
	filter (field and value), the token's consumers get only the events whose data matches."""
	if not frappe.db.exists(STREAM, stream):
		frappe.throw(_("No Integration Stream {0}").format(frappe.bold(stream)), frappe.DoesNotExistError)
	label = (label or "").strip()
	if not label or len(label) > MAX_LABEL:
		frappe.throw(_("Give the token a label of at most {0} characters").format(MAX_LABEL))
	expiry = None
	if expires_at:
		try:
			expiry = get_datetime(expires_at)
		except Exception:
			frappe.throw(_("Expires At: {0} is not a date and time").format(frappe.bold(expires_at)))
		if expiry <= now_datetime():
			frappe.throw(_("Expires At must be in the future"))
	try:
		filter_field, filter_value = rules.check_filter(filter_field, filter_value)
	except rules.TokenFilterError as e:
		frappe.throw(str(e))
	token = rules.new_token()
	doc = frappe.get_doc(
		{
			"doctype": TOKEN,
			"stream": stream,
			"label": label,
			"token_hash": rules.hash_token(token),
			"last4": rules.last_chars(token),
			"filter_field": filter_field,
			"filter_value": filter_value,
			"expires_at": expiry,
			"created_by": frappe.session.user,
			"created_at": now(),
		}
	)
	doc.insert(ignore_permissions=True)  # no role creates tokens through the ORM: only here
	config_sync.schedule_sync(STREAM, stream)
	return {**public_view(doc), "token": token}


def revoke_token(token_name: str) -> dict:
	doc = frappe.get_doc(TOKEN, token_name)
	if not doc.revoked:
		doc.revoked = 1
		doc.revoked_at = now()
		doc.revoked_by = frappe.session.user
		doc.save(ignore_permissions=True)
		config_sync.schedule_sync(STREAM, doc.stream)
	return public_view(doc)


def list_tokens(stream: str) -> list[dict]:
	rows = frappe.get_all(TOKEN, filters={"stream": stream}, fields=list(PUBLIC_FIELDS), order_by="creation desc")
	return [{**row, "state": _state(row)} for row in rows]


def delete_stream_tokens(stream: str) -> None:
	"""The stream's tokens go with it (they mean nothing without it)."""
	frappe.db.delete(TOKEN, {"stream": stream})


def public_view(doc) -> dict:
	view = {field: doc.get(field) for field in PUBLIC_FIELDS}
	view["state"] = _state(view)
	return view


def _state(token) -> str:
	"""Active, Revoked or Expired, on the server's clock (the browser's may be anywhere)."""
	if token.get("revoked"):
		return "Revoked"
	expires = token.get("expires_at")
	if expires and get_datetime(expires) <= now_datetime():
		return "Expired"
	return "Active"
