"""Desk API: delivery figures for the SPA dashboard."""

from datetime import timedelta

import frappe
from frappe.utils import add_to_date, now_datetime

DELIVERY = "Integration Webhook Delivery"
WEBHOOK = "Integration Webhook"
MAX_MINUTES = 24 * 60
BUCKET_STATUSES = {"Succeeded": "succeeded", "Failed": "failed", "Retrying": "retrying"}
STATUSES = ("Queued", "Sending", "Retrying", "Succeeded", "Failed", "Cancelled")


@frappe.whitelist()
def delivery_overview(minutes: int = 60) -> dict:
	"""Per-minute counts of webhook deliveries that reached Succeeded/Failed/Retrying in the
	window (by their last change), and totals per status for the same window. Outbox rows that
	feed a stream are not webhook deliveries: they are left out of both and counted apart.

	→ {buckets:[{minute: "YYYY-MM-DD HH:MM", succeeded, failed, retrying}], totals:{status: n},
	stream_totals:{status: n}}
	"""
	frappe.has_permission(DELIVERY, "read", throw=True)
	minutes = max(1, min(int(minutes), MAX_MINUTES))
	end = now_datetime().replace(second=0, microsecond=0)
	start = add_to_date(end, minutes=-(minutes - 1))

	# One read for buckets and totals, off the (status, modified, stream) index alone: naming
	# every status lets it range on each, and the three columns it needs are in the index.
	rows = frappe.db.sql(
		f"""select date_format(modified, '%%Y-%%m-%%d %%H:%%i') as minute, status, stream is not null as streamed,
		count(*) as n from `tab{DELIVERY}` where status in %s and modified >= %s group by minute, status, streamed""",
		(STATUSES, start),
		as_dict=True,
	)
	return overview_from_rows(rows, start, minutes)


def overview_from_rows(rows, start, minutes: int) -> dict:
	buckets = {}
	for i in range(minutes):
		label = (start + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M")
		buckets[label] = {"minute": label, "succeeded": 0, "failed": 0, "retrying": 0}
	totals = {s.lower(): 0 for s in STATUSES}
	stream_totals = {s.lower(): 0 for s in STATUSES}
	for row in rows:
		if row.streamed:
			stream_totals[row.status.lower()] += row.n
			continue
		totals[row.status.lower()] += row.n
		if row.status in BUCKET_STATUSES and row.minute in buckets:
			buckets[row.minute][BUCKET_STATUSES[row.status]] += row.n
	return {"buckets": list(buckets.values()), "totals": totals, "stream_totals": stream_totals}


@frappe.whitelist()
def delivery_event_types() -> list[str]:
	"""Every event type in the delivery log, sorted. The SPA turns "event type contains …" into
	`event_type in (the matching ones)`, which ranges on the event_type index where a
	`like '%…%'` reads every row. A loose scan of that index: one seek per distinct type."""
	frappe.has_permission(DELIVERY, "read", throw=True)
	return [row[0] for row in frappe.db.sql(f"select distinct event_type from `tab{DELIVERY}` order by event_type")]


@frappe.whitelist()
def delivery_detail(delivery: str) -> dict:
	"""The delivery with its `attempts` (oldest first) and its webhook's `webhook_title`."""
	doc = frappe.get_doc(DELIVERY, delivery)
	doc.check_permission("read")
	data = doc.as_dict(convert_dates_to_str=True)
	data["webhook_title"] = frappe.db.get_value(WEBHOOK, doc.webhook, "title") if doc.webhook else None
	data["attempts"] = sorted(data.get("attempts") or [], key=lambda a: a.get("attempt_no") or 0)
	return data
