import json
import unittest

from integrations_app.sync.rules import conflicts, history, logs, profile, runs

PROFILE = {
	"enabled": 1,
	"local_doctype": "Customer",
	"connection": "ERP B",
	"remote_type": "Frappe Site",
	"remote_doctype": "Customer",
	"remote_time_zone": "Europe/Berlin",
	"direction": "Both",
	"mode": "Real-time",
	"schedule_cron": "0 * * * *",
	"conflict_strategy": "Manual",
	"latest_fallback": "Remote",
	"page_size": 200,
	"lookback_s": 60,
	"max_attempts": 3,
	"local_filters": '{"customer_group": "Commercial", "disabled": ["!=", 1]}',
	"remote_filters": '[["status", "!=", "archived"]]',
	"push_deletes": 1,
	"pull_deletes": 0,
	"remote_delete_rule": "None",
}
ROWS = [
	{"local_field": "customer_name", "remote_field": "customer_name", "direction": "Both", "rule": "Two-way", "transform_type": "Rename"},
	{"local_field": "territory", "remote_field": "region", "direction": "Push", "rule": "Prefer Local Unless Blank", "transform_type": "Value Map", "transform_options": '{"map": {"India": "IN", "Rest Of The World": "ROW"}}'},
	{"local_field": "credit_limit", "remote_field": "limits.credit", "direction": "Pull", "rule": "Always Remote", "transform_type": "Number", "transform_options": '{"scale": 100, "decimals": 0}'},
	{"local_field": "customer_group", "remote_field": "group_id", "transform_type": "Link", "link_profile": "groups"},
]


REST = {"remote_type": "Generic REST", "list_path": "/c", "get_path": "/c/{id}", "create_path": "/c", "update_path": "/c/{id}"}


def build(profile_changes=None, rows=None, **kw):
	return profile.build_config({**PROFILE, **(profile_changes or {})}, rows if rows is not None else ROWS, connection_id="erp-b", **kw)


class TestProfileConfig(unittest.TestCase):
	def test_frappe_site_profile_becomes_the_contract_json(self):
		config = build(link_ids={"groups": "groups"})
		self.assertEqual(config["direction"], "both")
		self.assertEqual(config["mode"], "realtime")
		self.assertEqual(config["schedule_cron"], "0 * * * *")
		self.assertEqual(config["conflict_strategy"], "manual")
		self.assertEqual(config["latest_fallback"], "remote")
		self.assertEqual((config["page_size"], config["lookback_s"], config["max_attempts"]), (200, 60, 3))
		self.assertEqual(config["local_filters"], [["customer_group", "=", "Commercial"], ["disabled", "!=", 1]])
		self.assertEqual(config["remote_filters"], [["status", "!=", "archived"]])
		self.assertEqual(config["deletes"], {"push": True, "pull": False, "remote_rule": "none"})
		self.assertEqual(config["remote"], {"type": "frappe", "connection_id": "erp-b", "doctype": "Customer", "time_zone": "Europe/Berlin", "match_field": None})
		fields = config["fields"]
		self.assertEqual(fields[0], {"local_field": "customer_name", "remote_field": "customer_name", "direction": "both", "rule": "two_way", "transform": None})
		self.assertEqual(fields[1]["transform"], {"type": "value_map", "map": {"India": "IN", "Rest Of The World": "ROW"}})
		self.assertEqual((fields[1]["direction"], fields[1]["rule"]), ("push", "prefer_local_unless_blank"))
		self.assertEqual(fields[2]["transform"], {"type": "number", "scale": 100, "decimals": 0})
		self.assertEqual(fields[3]["transform"], {"type": "link", "profile_id": "groups"})
		json.dumps(config)  # plain JSON all the way

	def test_batch_mode_sends_no_cron_and_scheduled_needs_one(self):
		self.assertIsNone(build({"mode": "Batch"}, ROWS[:1])["schedule_cron"])
		with self.assertRaisesRegex(profile.ProfileError, "Cron"):
			build({"mode": "Scheduled", "schedule_cron": ""}, ROWS[:1])

	def test_generic_rest_remote(self):
		config = build(
			{
				"remote_type": "Generic REST",
				"list_path": "/contacts",
				"get_path": "/contacts/{id}",
				"create_path": "/contacts",
				"update_path": "/contacts/{id}",
				"update_method": "PUT",
				"delete_path": "/contacts/{id}",
				"updated_field": "updated_at",
				"updated_since_param": "updated_since",
				"updated_since_format": "epoch_ms",
				"items_field": "data",
				"pagination_style": "Cursor",
				"next_cursor_field": "meta.next",
				"remote_delete_rule": "Tombstone",
				"tombstone_field": "archived",
				"tombstone_value": "true",
			},
			ROWS[:1],
		)
		remote = config["remote"]
		self.assertEqual(remote["type"], "rest")
		self.assertEqual((remote["update_method"], remote["id_field"], remote["items_field"]), ("PUT", "id", "data"))
		self.assertEqual(remote["pagination"]["style"], "cursor")
		self.assertEqual(remote["pagination"]["next_cursor_field"], "meta.next")
		self.assertEqual(remote["updated_since_format"], "epoch_ms")
		self.assertEqual(config["deletes"]["tombstone_value"], True)
		link = build({**REST, "pagination_style": "Link Header"}, ROWS[:1])
		self.assertEqual(link["remote"]["pagination"]["style"], "link")
		self.assertEqual(link["remote"]["pagination"]["next_cursor_field"], "next_cursor", "never null: the sidecar's schema has a default, not null")

	def test_rest_paths_are_relative_and_item_paths_hold_the_id(self):
		rest = REST
		for change, message in (
			({"list_path": "https://evil.example/c"}, "List Path"),
			({"get_path": "/c/1"}, "Get Path: put \\{id\\}"),
			({"update_path": "/c/../admin/{id}"}, "Update Path"),
			({"get_path": ""}, "Get, Create and Update Paths"),
			({"create_path": None}, "Get, Create and Update Paths"),
			({"update_path": "/c"}, "Update Path: put"),
		):
			with self.subTest(change=change), self.assertRaisesRegex(profile.ProfileError, message):
				build({**rest, **change}, ROWS[:1])

	def test_absence_is_for_rest_and_tombstone_needs_a_field(self):
		with self.assertRaisesRegex(profile.ProfileError, "Absence"):
			build({"remote_delete_rule": "Absence"}, ROWS[:1])
		with self.assertRaisesRegex(profile.ProfileError, "Tombstone Field"):
			build({"remote_delete_rule": "Tombstone", "tombstone_field": ""}, ROWS[:1])
		self.assertEqual(build({"remote_delete_rule": "Tombstone", "tombstone_field": "status", "tombstone_value": "archived"}, ROWS[:1])["deletes"]["tombstone_value"], "archived")

	def test_limits(self):
		for change, message in (({"page_size": 0}, "Page Size"), ({"page_size": 1001}, "Page Size"), ({"lookback_s": 86401}, "Lookback"), ({"max_attempts": 21}, "Max Attempts"), ({"max_attempts": 0}, "Max Attempts")):
			with self.subTest(change=change), self.assertRaisesRegex(profile.ProfileError, message):
				build(change, ROWS[:1])

	def test_field_map_errors_name_the_row(self):
		cases = [
			([], "at least one"),
			([{"local_field": "Customer Name", "remote_field": "x"}], "row 1: 'Customer Name' is not a fieldname"),
			([{"local_field": "a", "remote_field": "x"}, {"local_field": "a", "remote_field": "y"}], "row 2: a is mapped twice"),
			([{"local_field": "a", "remote_field": "x"}, {"local_field": "b", "remote_field": "x"}], "row 2: x is mapped twice"),
			([{"local_field": "a", "remote_field": "x y"}], "not a remote field"),
			([{"local_field": "a", "remote_field": "x", "rule": "Sometimes"}], "unknown rule"),
			([{"local_field": "a", "remote_field": "x", "transform_type": "Link"}], "Link transform"),
			([{"local_field": "a", "remote_field": "x", "transform_type": "Value Map", "transform_options": '{"map": {"a": 1, "b": 1}}'}], "same|one remote value"),
			([{"local_field": "a", "remote_field": "x", "transform_type": "Value Map", "transform_options": "{"}], "not JSON"),
			([{"local_field": "a", "remote_field": "x", "transform_type": "Constant", "transform_options": '{"side": "remote"}'}], "Constant needs"),
			([{"local_field": "a", "remote_field": "x", "transform_type": "Date", "transform_options": '{"remote_format": "yyyy"}'}], "a Date takes"),
			([{"local_field": "a", "remote_field": "x", "transform_type": "Number", "transform_options": '{"scale": 0}'}], "scale"),
			([{"local_field": "a", "remote_field": "x", "transform_type": "Number", "transform_options": '{"decimals": 12}'}], "decimals"),
		]
		for rows, message in cases:
			with self.subTest(rows=rows), self.assertRaisesRegex(profile.ProfileError, message):
				build({}, rows)
		with self.assertRaisesRegex(profile.ProfileError, "no field 'nope'"):
			build({}, [{"local_field": "nope", "remote_field": "x"}], local_fields={"customer_name"})

	def test_transforms_built_with_their_defaults(self):
		def transform(kind, options):
			return profile.build_transform({"transform_type": kind, "transform_options": options}, "row")

		self.assertEqual(transform("Constant", '{"value": "web"}'), {"type": "constant", "value": "web", "side": "remote"})
		self.assertEqual(transform("Date", "{}"), {"type": "date", "local_format": "date", "remote_format": "iso"})
		self.assertEqual(transform("Date", '{"local_format": "datetime", "remote_format": "epoch_ms"}')["remote_format"], "epoch_ms")
		self.assertEqual(transform("Number", '{"as_string": true}'), {"type": "number", "as_string": True})
		self.assertIsNone(transform("Rename", None))


class TestFiltersAndCron(unittest.TestCase):
	def test_filters(self):
		self.assertEqual(profile.parse_filters("", "F", True), [])
		self.assertEqual(profile.parse_filters('[["Customer", "territory", "in", ["A", "B"]]]', "F", True), [["territory", "in", ["A", "B"]]])
		self.assertEqual(profile.parse_filters('[["address.city", "LIKE", "Ber%"]]', "F", False), [["address.city", "like", "Ber%"]])
		for text, message in (
			("{", "not JSON"),
			("3", "an object"),
			('[["a", "~", 1]]', "unknown operator"),
			('[["a", "in", "x"]]', "takes a list"),
			('[["a", "is", "maybe"]]', "set"),
			('[["a.b", "=", 1]]', "not a field name"),
			('[["a"]]', "not \\[field"),
		):
			with self.subTest(text=text), self.assertRaisesRegex(profile.ProfileError, message):
				profile.parse_filters(text, "F", True)

	def test_match_on_pairs_a_local_field_with_a_remote_one(self):
		self.assertIsNone(build(link_ids={"groups": "groups"})["match_on"])
		config = build({"match_on": '{"local_field": "customer_name", "remote_field": "contact.email"}'}, local_fields={"customer_name", "territory", "credit_limit", "customer_group"}, link_ids={"groups": "groups"})
		self.assertEqual(config["match_on"], {"local_field": "customer_name", "remote_field": "contact.email"})
		for text, message in (
			("{", "not JSON"),
			('{"local_field": "customer_name"}', "remote_field"),
			('{"local_field": "customer_name", "remote_field": "name", "x": 1}', "remote_field"),
			('{"local_field": "nope", "remote_field": "name"}', "no field 'nope'"),
			('{"local_field": "customer_name", "remote_field": "a b"}', "not a remote field"),
		):
			with self.subTest(text=text), self.assertRaisesRegex(profile.ProfileError, message):
				build({"match_on": text}, local_fields={"customer_name", "territory", "credit_limit", "customer_group"}, link_ids={"groups": "groups"})

	def test_cron(self):
		for good in ("* * * * *", "*/15 * * * *", "0 9-17 * * mon-fri", "5,35 */2 1 jan,jul 0", "  0  0 * * 7 "):
			with self.subTest(good=good):
				self.assertEqual(profile.check_cron(good), " ".join(good.split()))
		for bad in ("* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "*/0 * * * *", "5-1 * * * *", "* * * foo *", "@hourly"):
			with self.subTest(bad=bad), self.assertRaises(profile.ProfileError):
				profile.check_cron(bad)

	def test_profile_id(self):
		self.assertEqual(profile.check_profile_id(" erp-b_customers "), "erp-b_customers")
		for bad in ("", "-x", "a/b", "a:b", "a b"):
			with self.subTest(bad=bad), self.assertRaises(profile.ProfileError):
				profile.check_profile_id(bad)


class TestLogRows(unittest.TestCase):
	def test_a_full_row(self):
		row = logs.parse_row(
			{
				"local_name": "CUST-1",
				"external_id": "42",
				"status": "Conflict",
				"last_direction": "pull",
				"local_hash": "a" * 64,
				"attempts": 2,
				"error": "x" * 2000,
				"base_values": {"b": 1, "a": 2},
				"conflict": {"fields": ["a"], "local": {"a": 1}, "remote": {"a": 2}, "base": None, "detected_at": "2026-12-01T00:00:00Z"},
				"last_synced_at": "2026-12-01T00:00:00Z",
				"events": [{"at": "2026-12-01T00:00:00Z", "action": "conflict"}, "junk"],
			}
		)
		self.assertEqual((row.local_name, row.external_id), ("CUST-1", "42"))
		self.assertEqual(row.values["status"], "Conflict")
		self.assertEqual(len(row.values["error"]), logs.MAX_ERROR)
		self.assertEqual(row.values["base_values"], '{"a":2,"b":1}')
		self.assertEqual(json.loads(row.values["conflict"])["fields"], ["a"])
		self.assertEqual(row.values["last_synced_at"], "2026-12-01T00:00:00Z")
		self.assertEqual(len(row.events), 1)
		self.assertNotIn("remote_hash", row.values)  # not sent: left as it is

	def test_errors_echoing_credentials_are_stored_redacted(self):
		echoed = 'remote create answered 422: {"error":"bad","api_key":"sk_live_abc123","headers":{"Authorization":"Bearer eyJhbGciOi.xyz"}} retry at /c?token=t0k3n&page=2; sent token abcdef123:fedcba987'
		row = logs.parse_row({"external_id": "1", "status": "Failed", "error": echoed, "events": [{"action": "attempt", "detail": echoed}]})
		for kept in (row.values["error"], row.events[0]["detail"]):
			for secret in ("sk_live_abc123", "eyJhbGciOi", "t0k3n", "abcdef123", "fedcba987"):
				self.assertNotIn(secret, kept)
			self.assertIn('"error":"bad"', kept)
			self.assertIn("page=2", kept)
		self.assertEqual(logs.parse_row({"external_id": "1", "error": "remote update answered 500"}).values["error"], "remote update answered 500")
		run = runs.parse_run({**TestRuns.RUN, "error": "listing answered 401: Authorization: Basic dXNlcjpwYXNzd29yZA=="})
		self.assertEqual(run.values["error"], "listing answered 401: Authorization: Basic [redacted]")

	def test_bad_rows(self):
		for raw, message in (
			({}, "local_name or external_id"),
			({"external_id": 5}, "must be a string"),
			({"external_id": "1", "status": "Done"}, "status"),
			({"external_id": "1", "last_direction": "sideways"}, "last_direction"),
			({"external_id": "1", "attempts": -1}, "attempts"),
			({"external_id": "1", "local_hash": "a" * 65}, "longer"),
			({"external_id": "1", "conflict": {"local": {}}}, "conflict"),
			({"external_id": "1", "base_values": [1]}, "base_values"),
		):
			with self.subTest(raw=raw), self.assertRaisesRegex(logs.LogRowError, message):
				logs.parse_row(raw)
		with self.assertRaisesRegex(logs.LogRowError, r"rows\[1\]"):
			logs.parse_rows([{"external_id": "1"}, {}])
		with self.assertRaisesRegex(logs.LogRowError, "at most"):
			logs.parse_rows([{"external_id": str(i)} for i in range(1001)])


class TestHistory(unittest.TestCase):
	def test_append_keeps_the_last_fifty_known_keys_only(self):
		text = None
		for i in range(60):
			text = history.append(text, [{"at": f"t{i}", "action": "push", "status": "Synced", "secret": "x", "detail": "d" * 900}])
		events = history.parse(text)
		self.assertEqual(len(events), history.MAX_EVENTS)
		self.assertEqual(events[0]["at"], "t10")
		self.assertEqual(events[-1]["at"], "t59")
		self.assertNotIn("secret", events[-1])
		self.assertEqual(len(events[-1]["detail"]), history.MAX_DETAIL + 1)

	def test_parse_survives_junk(self):
		self.assertEqual(history.parse("{"), [])
		self.assertEqual(history.parse('{"a": 1}'), [])
		self.assertEqual(history.parse('[1, {"at": "x"}]'), [{"at": "x"}])


class TestRuns(unittest.TestCase):
	RUN = {
		"run_id": "r1",
		"profile_id": "p",
		"kind": "full",
		"status": "running",
		"phase": "pull",
		"started_at": "2026-12-01T00:00:00Z",
		"finished_at": None,
		"stats": {"seen": 50, "created": 3, "updated": 0, "deleted": 0, "skipped": 47, "failed": 0, "conflicts": 0},
		"total": 200,
		"error": None,
		"state": {"local_cursor": {"modified": "2026-12-01 01:00:00.000000", "name": "C-1"}, "remote_cursor": "2026-12-01T00:00:00Z"},
	}

	def test_parse_and_progress(self):
		run = runs.parse_run(self.RUN)
		self.assertEqual((run.values["kind"], run.values["status"], run.values["seen"], run.values["total"]), ("Full", "Running", 50, 200))
		self.assertEqual(runs.progress(run.values), 0.25)
		self.assertEqual(run.state["remote_cursor"], "2026-12-01T00:00:00Z")
		self.assertIsNone(runs.progress({**run.values, "total": 0}))
		self.assertEqual(runs.progress({**run.values, "status": "Failed"}), 1.0)
		self.assertEqual(runs.summary(run.values), "Running: 50 seen, 3 created, 47 skipped")

	def test_bad_runs(self):
		for change, message in (
			({"run_id": ""}, "run_id"),
			({"kind": "weekly"}, "kind"),
			({"status": "done"}, "status"),
			({"stats": {"seen": -1}}, "stats.seen"),
			({"total": "many"}, "total"),
			({"state": {"cursor": 1}}, "state"),
			({"state": {"local_cursor": "x"}}, "local_cursor"),
		):
			with self.subTest(change=change), self.assertRaisesRegex(runs.RunError, message):
				runs.parse_run({**self.RUN, **change})


class TestConflicts(unittest.TestCase):
	CONFLICT = json.dumps(
		{
			"detected_at": "2026-12-01T00:00:00Z",
			"fields": ["territory"],
			"local": {"customer_name": "Acme", "territory": "India", "email": "a@x"},
			"remote": {"customer_name": "Acme Ltd", "territory": "Nepal", "email": "a@x"},
			"base": {"customer_name": "Acme", "territory": "Bhutan", "email": "a@x"},
		}
	)
	MAP = [
		{"local_field": "customer_name", "remote_field": "name"},
		{"local_field": "email", "remote_field": "email"},
		{"local_field": "territory", "remote_field": "region"},
	]

	def test_side_by_side_puts_conflicts_first_and_marks_who_changed(self):
		rows = conflicts.side_by_side(conflicts.parse_conflict(self.CONFLICT), self.MAP)
		self.assertEqual([r["field"] for r in rows], ["territory", "customer_name", "email"])
		territory, name, email = rows
		self.assertEqual((territory["remote_field"], territory["local"], territory["remote"], territory["base"]), ("region", "India", "Nepal", "Bhutan"))
		self.assertTrue(territory["conflict"] and territory["changed_local"] and territory["changed_remote"])
		self.assertEqual((name["conflict"], name["changed_local"], name["changed_remote"]), (False, False, True))
		self.assertEqual((email["changed_local"], email["changed_remote"]), (False, False))

	def test_no_base_means_both_sides_count_as_changed(self):
		conflict = conflicts.parse_conflict(json.dumps({"fields": ["a"], "local": {"a": 1}, "remote": {"a": 2}, "base": None}))
		(row,) = conflicts.side_by_side(conflict, [])
		self.assertEqual((row["field"], row["remote_field"], row["changed_local"], row["changed_remote"]), ("a", "a", True, True))

	def test_resolution_checks(self):
		conflict = conflicts.parse_conflict(self.CONFLICT)
		self.assertIsNone(conflicts.check_resolution(conflict, "local", None))
		self.assertEqual(conflicts.check_resolution(conflict, "merge", '{"territory": "Nepal", "customer_name": "Acme"}'), {"territory": "Nepal", "customer_name": "Acme"})
		for take, values, message in (
			("both", None, "take must be"),
			("remote", {"territory": "x"}, "only for a merge"),
			("merge", None, "a merge sends values"),
			("merge", {"customer_name": "x"}, "missing: territory"),
			("merge", {"territory": "x", "owner": "y"}, "not fields of this record: owner"),
			("merge", {"territory": {"a": 1}}, "plain value"),
			("merge", "{", "JSON object"),
		):
			with self.subTest(take=take, values=values), self.assertRaisesRegex(conflicts.ConflictError, message):
				conflicts.check_resolution(conflict, take, values)

	def test_parse_conflict_of_junk_is_empty(self):
		self.assertEqual(conflicts.parse_conflict("nope")["fields"], [])
		self.assertEqual(conflicts.parse_conflict(None)["local"], {})
