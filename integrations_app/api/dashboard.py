"""Desk API: delivery figures for the SPA dashboard."""

from datetime import timedelta

import frappe
from frappe.utils import add_to_date, now_datetime

DELIVERY = "Integration Webhook Delivery"
WEBHOOK = "Integration Webhook"
MAX_MINUTES = 24 * 60
BUCKET_STATUSES = {"Succeeded": "succeeded", "Failed": "failed", "Retrying": "retrying"}


@frappe.whitelist()
def delivery_overview(minutes: int = 60) -> dict:
	"""Per-minute counts of deliveries that reached Succeeded/Failed/Retrying in the window
	(by their last change), and totals per status for the same window.

	→ {buckets:[{minute: "YYYY-MM-DD HH:MM", succeeded, failed, retrying}], totals:{status: n}}
	"""
	frappe.has_permission(DELIVERY, "read", throw=True)
	minutes = max(1, min(int(minutes), MAX_MINUTES))
	end = now_datetime().replace(second=0, microsecond=0)
	start = add_to_date(end, minutes=-(minutes - 1))

	rows = frappe.db.sql(
		f"""select date_format(modified, '%%Y-%%m-%%d %%H:%%i') as minute, status, count(*) as n
		from `tab{DELIVERY}` where modified >= %s and status in %s group by minute, status""",
		(start, tuple(BUCKET_STATUSES)),
		as_dict=True,
	)
	buckets = {}
	for i in range(minutes):
		label = (start + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M")
		buckets[label] = {"minute": label, "succeeded": 0, "failed": 0, "retrying": 0}
	for row in rows:
		if row.minute in buckets:
			buckets[row.minute][BUCKET_STATUSES[row.status]] = row.n

	totals = {s.lower(): 0 for s in ("Queued", "Sending", "Retrying", "Succeeded", "Failed", "Cancelled")}
	for row in frappe.db.sql(
		f"select status, count(*) as n from `tab{DELIVERY}` where modified >= %s group by status",
		(start,),
		as_dict=True,
	):
		if row.status:
			totals[row.status.lower()] = row.n
	return {"buckets": list(buckets.values()), "totals": totals}


@frappe.whitelist()
def delivery_detail(delivery: str) -> dict:
	"""The delivery with its `attempts` (oldest first) and its webhook's `webhook_title`."""
	doc = frappe.get_doc(DELIVERY, delivery)
	doc.check_permission("read")
	data = doc.as_dict(convert_dates_to_str=True)
	data["webhook_title"] = frappe.db.get_value(WEBHOOK, doc.webhook, "title") if doc.webhook else None
	data["attempts"] = sorted(data.get("attempts") or [], key=lambda a: a.get("attempt_no") or 0)
	return data
