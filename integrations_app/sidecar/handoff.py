"""The after-commit hand-off of new outbox rows to the sidecar, over the site's `redis_queue`.

A committed save appends one entry to the Redis stream `integrations_app:{site}:outbox` (one
XADD, one round trip, no HTTP): field `m`, the rows as the JSON array `POST /v1/messages` takes.
The sidecar consumes the stream (consumer group `sidecar`) and acknowledges the rows back through
`integrations_app.api.sidecar.acknowledge_messages` (docs/api.md "Outbox hand-off"). The outbox
row stays the truth: whatever is not acknowledged — Redis down, the sidecar down for longer than
the stream keeps entries, an entry it could not read — is re-pushed over HTTP by the minutely
`outbox.repush_unacked`.

The connection is this module's own pool to `redis_queue` (one per process), because Frappe's has
no socket timeouts and a save must never wait on a stalled Redis; it carries the same ACL user as
Frappe's queue connection when `use_rq_auth` is on.
"""

import json
import os
from functools import partial

import frappe
import redis

from integrations_app.sitetime import to_iso_utc

GROUP = "sidecar"
# Entries (commits) kept while no sidecar reads them; older ones are trimmed and left to the
# minutely re-push. Approximate trimming (~) keeps XADD O(1).
MAX_ENTRIES = 100_000
TIMEOUT_S = 0.25

_pools: dict[str, redis.Redis] = {}  # per redis_queue URL; redis-py reopens sockets after a fork


def stream_key(site: str | None = None) -> str:
	return f"integrations_app:{site or frappe.local.site}:outbox"


def _connection() -> redis.Redis:
	url = frappe.conf.redis_queue
	conn = _pools.get(url)
	if conn is None:
		conn = redis.Redis.from_url(
			url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S, **_credentials()
		)
		_pools[url] = conn
	return conn


def _credentials() -> dict:
	"""The user Frappe's own queue connection logs in as (frappe.utils.background_jobs.get_redis_conn)."""
	if frappe.conf.get("use_rq_auth"):
		from frappe.utils import get_bench_id

		site_config = frappe.get_site_config()
		return {"username": site_config.rq_username or get_bench_id(), "password": site_config.rq_password}
	if os.environ.get("RQ_ADMIN_PASWORD"):  # sic: the variable Frappe reads
		return {"username": "default", "password": os.environ["RQ_ADMIN_PASWORD"]}
	return {}


def encode(rows: list[dict]) -> str:
	"""Rows (name, webhook, stream or sync_profile, event_type, payload JSON text, creation) → the
	messages JSON array; a stream's row names `stream_id`, a sync profile's `sync_profile_id`,
	instead of `endpoint_id`. Each payload is
	already JSON: it is embedded as it is, not parsed and dumped again."""
	stamps: dict = {}  # rows written together share one creation time: convert it once
	parts = []
	for row in rows:
		creation = row["creation"]
		if creation not in stamps:
			stamps[creation] = json.dumps(to_iso_utc(creation))
		if row.get("stream"):
			target = f'"stream_id":{json.dumps(row["stream"])}'
		elif row.get("sync_profile"):
			target = f'"sync_profile_id":{json.dumps(row["sync_profile"])}'
		else:
			target = f'"endpoint_id":{json.dumps(row["webhook"])}'
		parts.append(
			f'{{"id":{json.dumps(row["name"])},{target},'
			f'"event_type":{json.dumps(row["event_type"])},"timestamp":{stamps[creation]},'
			f'"payload":{row["payload"] or "{}"}}}'
		)
	return f"[{','.join(parts)}]"


def hand_off(rows: list[dict], max_rows: int = 1000) -> None:
	"""Append the rows to the stream, ≤ `max_rows` per entry (the sidecar's per-call limit)."""
	conn, key = _connection(), stream_key()
	if len(rows) <= max_rows:
		conn.xadd(key, {"m": encode(rows)}, maxlen=MAX_ENTRIES, approximate=True)
		return
	pipe = conn.pipeline(transaction=False)
	for start in range(0, len(rows), max_rows):
		pipe.xadd(key, {"m": encode(rows[start : start + max_rows])}, maxlen=MAX_ENTRIES, approximate=True)
	pipe.execute()


def schedule(rows: list[dict]) -> None:
	"""Hand the rows over once the current transaction has committed; a rollback drops them."""
	if rows:
		frappe.db.after_commit.add(partial(_after_commit, list(rows)))


def _after_commit(rows: list[dict]) -> None:
	# Runs inside the user's request, after their data is committed: it may not raise, and it
	# writes nothing to the database (an Error Log per save while Redis is down would cost more
	# than the hand-off saves). The rows stay unacknowledged; the minutely job sends them.
	try:
		hand_off(rows)
	except Exception as e:
		frappe.logger("integrations_app").warning(
			f"outbox hand-off of {len(rows)} rows deferred to the minutely re-push: {type(e).__name__}: {e}"
		)
