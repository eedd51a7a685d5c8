"""Values salescrm did not write never crash it: a stage, class, owner, role, status or type written by SQL
is shown as stored by every read command, never dropped, and reported as `unknown-value` by `db check`
and `audit` (the record, the field, the stored value)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SANITAS
from tests.helpers import ok, with_options
from tests.conftest import DEAL

UNKNOWN_PROBLEMS = [
    "Activity 1: type 'visit' is not an activity type salescrm knows.",
    "Activity 1: direction 'sideways' is not a direction salescrm knows.",
    "Company 1 'Sanitas Hospitales': lead_status 'Hot' is not a lead status salescrm knows.",
    "Contact 1 'Marta Ruiz': channel 'fax' is not a lead channel salescrm knows.",
    "Deal 1 'ES Sanitas Hospitales Proof of Concept': stage 'Negotiation' is not a stage salescrm knows.",
    "Deal 2 'ES Sanitas Hospitales Pilot': deal_class 'Veterinary' is not a deal class salescrm knows.",
    "Deal 3 'ES Sanitas Hospitales Rollout': owner_id 99 is not a team member salescrm knows (its owner is missing).",
    "Stage change 4: to_stage 'Negotiation' is not a stage salescrm knows.",
    "Task 1 'Call Sanitas Hospitales': kind 'chore' is not a task kind salescrm knows.",
    "Team member 2 'Elena Ortiz': role 'JD-099' is not a role salescrm knows.",
]


@pytest.fixture
def unknown(seeded, db, backend):
    """The README's example with two more deals, an activity and a lead, then values written by SQL that
    salescrm never writes: deal 1 in stage 'Negotiation' (with a history row), deal 2 of class 'Veterinary',
    deal 3 owned by team member 99 (who does not exist), and an unknown role, lead status, channel,
    activity type and direction, and task kind."""
    cli = seeded
    ok(cli(*with_options(DEAL, description="Pilot")))
    ok(cli(*with_options(DEAL, description="Rollout")))
    ok(cli("activity", "log", "--contact", "marta@sanitas.es", "--type", "call", "--direction", "outbound",
           "--summary", "Intro call"))
    ok(cli("lead", "add", "--first-name", "Luis", "--last-name", "Pardo", "--email", "luis@dkv.es", "--company", "DKV",
           "--channel", "web-form"))
    with db.engine.begin() as conn:
        if backend == "postgresql":  # a superuser's session without foreign-key enforcement
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for sql in (
            "UPDATE deal SET stage = 'Negotiation' WHERE id = 1",
            "INSERT INTO stage_change (deal_id, from_stage, to_stage, changed_at, changed_by) "
            "VALUES (1, 'Prospected', 'Negotiation', CURRENT_TIMESTAMP, 'sql')",
            "UPDATE deal SET deal_class = 'Veterinary' WHERE id = 2",
            "UPDATE deal SET owner_id = 99 WHERE id = 3",
            "UPDATE team_member SET role = 'JD-099' WHERE id = 2",
            "UPDATE company SET lead_status = 'Hot' WHERE id = 1",
            "UPDATE contact SET channel = 'fax' WHERE id = 1",
            "UPDATE activity SET type = 'visit', direction = 'sideways' WHERE id = 1",
            "UPDATE task SET kind = 'chore' WHERE id = 1",
        ):
            conn.exec_driver_sql(sql)
    assert db.query("SELECT id FROM stage_change WHERE to_stage = 'Negotiation'") == [(4,)]
    return cli


READS = [
    ["deal", "list"], ["deal", "list", "--open"], ["deal", "show", "1"], ["deal", "show", "2"], ["deal", "show", "3"],
    ["pipeline", "show"], ["deal", "next-steps"], ["report", "pipeline"], ["report", "pipeline", "--compare", "2020-01-01"],
    ["report", "cycle"], ["report", "forecast"], ["report", "conversion"], ["report", "next-steps"],
    ["company", "show", "1"], ["company", "list"], ["contact", "list"], ["contact", "show", "1"], ["team", "list"],
    ["activity", "list"], ["task", "list"], ["journal", "verify"],
]


@pytest.mark.parametrize("json_", [False, True], ids=["table", "json"])
def test_every_read_command_shows_unknown_values(unknown, json_):
    for args in READS:
        r = unknown(*args, *(["--json"] if json_ and args != ["journal", "verify"] else []))
        assert r.exit_code == 0, (args, r.stderr)
        assert "Unexpected error" not in r.stderr


def test_deals_with_unknown_values_are_shown_as_stored(unknown):
    listed = {d["id"]: d for d in json.loads(ok(unknown("deal", "list", "--json")).stdout)}
    assert sorted(listed) == [1, 2, 3]
    assert (listed[1]["stage"], listed[1]["probability"], listed[1]["weighted_amount"]) == ("Negotiation", None, None)
    assert listed[2]["deal_class"] == "Veterinary"
    assert (listed[3]["owner"], listed[3]["owner_id"]) == (None, 99)
    assert [d["id"] for d in json.loads(ok(unknown("deal", "list", "--open", "--json")).stdout)] == [3, 2, 1]
    table = ok(unknown("deal", "list")).stdout
    assert "Negotiation" in table and "#99 (no such team member)" in table
    shown = ok(unknown("deal", "show", "1")).stdout
    assert "Negotiation (a stage salescrm does not know), pipeline Sales" in shown
    assert "Stage 'Negotiation' is not one salescrm knows" in shown
    assert "Owner\t#99 (no such team member)" in ok(unknown("deal", "show", "3")).stdout
    assert [d["stage"] for d in json.loads(ok(unknown("company", "show", "1", "--json")).stdout)["deals"]] == \
        ["Prospected", "Prospected", "Negotiation"]
    steps = json.loads(ok(unknown("deal", "next-steps", "--json")).stdout)
    assert sorted((s["deal"], s["stage"], s["owner"]) for s in steps) == [
        (1, "Negotiation", "Ana García"), (2, "Prospected", "Ana García"), (3, "Prospected", None)]


def test_pipeline_and_reports_count_unknown_stages_and_owners(unknown):
    pipeline = json.loads(ok(unknown("pipeline", "show", "--json")).stdout)
    assert pipeline["stages"][-1] == {"stage": "Negotiation", "count": 1, "amount": 12000, "weighted_amount": 0}
    assert pipeline["total"]["count"] == 3
    assert "Negotiation\t?\t1\t12000\t0" in ok(unknown("pipeline", "show")).stdout
    report = json.loads(ok(unknown("report", "pipeline", "--json")).stdout)
    assert report["stages"][-1] == {"stage": "Negotiation", "count": 1, "amount": 12000, "weighted_amount": 0}
    assert report["total"]["count"] == 3


def test_moving_a_deal_in_an_unknown_stage_is_refused(unknown, db):
    for args in (["deal", "advance", "1"], ["deal", "edit", "1", "--amount", "5"],
                 ["deal", "lose", "1", "--category", "Other", "--reason", "Gone"]):
        r = unknown(*args)
        assert r.exit_code == 1, args
        assert r.stderr == ("Deal 1 'ES Sanitas Hospitales Proof of Concept' is in stage 'Negotiation', which salescrm "
                            "does not know (`salescrm db check` lists such values): give it a stage of the process with "
                            "SQL, then run this again.\n")
    assert db.query("SELECT stage, amount_cents FROM deal WHERE id = 1") == [("Negotiation", 1200000)]


def test_db_check_reports_unknown_values(unknown, backend):
    r = unknown("db", "check")
    assert r.exit_code == 1
    lines = r.stderr.splitlines()
    assert [line.removeprefix("Problem: unknown-value: ") for line in lines
            if line.startswith("Problem: unknown-value: ")] == UNKNOWN_PROBLEMS
    if backend == "sqlite":  # the sqlite3 shell writes with foreign keys off; PRAGMA foreign_key_check sees it
        assert "Problem: foreign-keys: deal row 3 points at a missing team_member" in lines
    out = json.loads(unknown("db", "check", "--json").stdout)
    [check] = [c for c in out["checks"] if c["check"] == "unknown-value"]
    assert check["problems"] == UNKNOWN_PROBLEMS


def test_audit_reports_unknown_values(unknown):
    r = unknown("audit", "--check", "unknown-value", "--json")
    assert r.exit_code == 1
    result = json.loads(r.stdout)
    assert result["summary"] == [{"check": "unknown-value", "severity": "error", "count": 10}]
    found = [(f["record_type"], f["record_id"], f["owner"], f["message"].split(": ", 1)[1], f["fix"])
             for f in result["findings"]]
    assert found == [
        ("activity", 1, None, "type 'visit' is not an activity type salescrm knows.", None),
        ("activity", 1, None, "direction 'sideways' is not a direction salescrm knows.", None),
        ("company", 1, None, "lead_status 'Hot' is not a lead status salescrm knows.",
         "salescrm company set-status 1 STATUS --reason ..."),
        ("contact", 1, None, "channel 'fax' is not a lead channel salescrm knows.", None),
        ("deal", 1, "Ana García", "stage 'Negotiation' is not a stage salescrm knows.", None),
        ("deal", 2, "Ana García", "deal_class 'Veterinary' is not a deal class salescrm knows.",
         "salescrm deal edit 2 --class CLASS --reason ..."),
        ("deal", 3, None, "owner_id 99 is not a team member salescrm knows (its owner is missing).",
         "salescrm deal edit 3 --owner NAME --reason ..."),
        ("stage change", 4, None, "to_stage 'Negotiation' is not a stage salescrm knows.", None),
        ("task", 1, None, "kind 'chore' is not a task kind salescrm knows.", None),
        ("team member", 2, None, "role 'JD-099' is not a role salescrm knows.", None),
    ]
    assert [f["message"] for f in result["findings"]] == UNKNOWN_PROBLEMS
    whole = unknown("audit", "--json")
    assert whole.exit_code == 1 and "Unexpected error" not in whole.stderr


def test_a_sound_database_has_no_unknown_value(seeded):
    r = seeded("audit", "--check", "unknown-value", "--json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["findings"] == []


@pytest.mark.sqlite_only
def test_db_check_lists_at_most_fifty_unknown_values_and_counts_the_rest(seeded, db):
    from salescrm.domain.db_checks import MAX_LISTED

    for n in range(MAX_LISTED + 5):
        ok(seeded("company", "add", f"Clinic {n:03}", "--country", "ES", "--website", f"c{n}.example", "--no-follow-up"))
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE company SET lead_status = 'Hot'")
    r = seeded("db", "check", "--json")
    assert r.exit_code == 1
    [check] = [c for c in json.loads(r.stdout)["checks"] if c["check"] == "unknown-value"]
    assert len(check["problems"]) == MAX_LISTED + 1
    assert check["problems"][-1] == ("and 6 more values salescrm does not know "
                                     "(`salescrm audit --check unknown-value --limit 0` lists them all)")
