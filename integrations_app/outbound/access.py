"""Who may point a webhook at which DocType, and at which of its fields.

A webhook sends documents to another system, so whoever saves it must be able to read every
document it can send (integrations_app issue 13):

- read by their **roles**, for every document: not through shares (every user has their own
  User record shared with them, so `frappe.has_permission("User", "read")` is true for all),
  not "only if creator", and not narrowed by User Permissions or a permission query (ToDo
  shows a user only their own ToDos): `DatabaseQuery.build_match_conditions` is what
  `frappe.get_list` uses to narrow a list, so an empty answer means "all of them";
- read at the **permission level** of every field the payload carries;
- and DocTypes that hold credentials (`SENSITIVE_DOCTYPES`, and any with a Password field)
  need a System Manager who ticks the confirmation, whatever their permissions say.

The check runs on every save, for the user saving: a webhook that changes hands is checked
for its new editor.
"""

import frappe
from frappe import _
from frappe.model.db_query import DatabaseQuery
from frappe.permissions import get_role_permissions

SYSTEM_MANAGER = "System Manager"

# Credentials, tokens and reset links in plain fields (Password fields are caught generically).
SENSITIVE_DOCTYPES = frozenset(
	{
		"User",
		"OAuth Bearer Token",
		"OAuth Authorization Code",
		"OAuth Client",
		"Connected App",
		"Token Cache",
		"Social Login Key",
		"Email Account",
		"Email Queue",
		"LDAP Settings",
		"Dropbox Settings",
		"Google Settings",
		"Google Drive",
		"Google Calendar",
		"Google Contacts",
		"S3 Backup Settings",
		"Webhook",
		"Integration Request",
		"Error Log",
		"Access Log",
		"User Permission",
		"System Settings",
	}
)


def _metas(doctype: str):
	"""The DocType's meta and its child tables' metas."""
	meta = frappe.get_meta(doctype)
	return [meta, *(frappe.get_meta(df.options) for df in meta.get_table_fields())]


def is_sensitive(doctype: str) -> bool:
	if doctype in SENSITIVE_DOCTYPES:
		return True
	return any(df.fieldtype == "Password" for meta in _metas(doctype) for df in meta.fields)


def check_can_read_all(doctype: str, user: str) -> None:
	"""PermissionError unless `user`'s roles let them read every `doctype` document."""
	meta = frappe.get_meta(doctype)
	role_permissions = get_role_permissions(meta, user=user)
	if not role_permissions.get("read") or role_permissions.get("if_owner", {}).get("read"):
		frappe.throw(
			_("You cannot read {0} documents, so you cannot send them to another system").format(frappe.bold(doctype)),
			frappe.PermissionError,
		)
	# A System Manager can grant themselves any permission, so a narrower list (User hides the
	# standard users even from them) says nothing about what they may reach.
	if is_system_manager(user) or meta.issingle:
		return
	if DatabaseQuery(doctype, user=user).build_match_conditions(as_condition=True):
		frappe.throw(
			_("You can read only some {0} documents (user permissions or sharing rules), so you cannot send all of them to another system").format(
				frappe.bold(doctype)
			),
			frappe.PermissionError,
		)


def unreadable_fields(doctype: str, fieldnames: list[str] | None, user: str) -> list[str]:
	"""The fields (all of the DocType's when `fieldnames` is None, child tables' included) that
	sit at a permission level `user` cannot read."""
	meta = frappe.get_meta(doctype)
	levels = set(meta.get_permlevel_access("read", user=user))
	hidden = []
	for df in meta.fields:
		if fieldnames is not None and df.fieldname not in fieldnames:
			continue
		if df.permlevel not in levels:
			hidden.append(df.fieldname)
		elif df.fieldtype in frappe.model.table_fields:
			child = frappe.get_meta(df.options)
			child_levels = set(child.get_permlevel_access("read", parenttype=doctype, user=user))
			hidden.extend(f"{df.fieldname}.{c.fieldname}" for c in child.fields if c.permlevel not in child_levels)
	return hidden


def is_system_manager(user: str) -> bool:
	return user == "Administrator" or SYSTEM_MANAGER in frappe.get_roles(user)
