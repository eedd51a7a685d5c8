"""Activities (SP-009-001: "we log all activity (emails, messages...) in the company and contact
entities"), the lead status they set (Attempted, Connected), and the timeline of `show`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import ANA, SANITAS
from tests.helpers import ok

MARTA_ONLY = ["contact", "add", "--first-name", "Marta", "--last-name", "Ruiz", "--job-title", "Head of Dermatology",
              "--company", "Sanitas Hospitales", "--email", "marta@sanitas.es", "--no-follow-up"]
DKV = ["company", "add", "DKV", "--country", "ES", "--website", "dkv.es", "--no-follow-up"]


@pytest.fixture
def company_only(cli):
    """Sanitas and Marta, no deal yet: the lead status is New."""
    for args in (ANA, SANITAS, MARTA_ONLY):
        ok(cli(*args))
    return cli


def shown(cli, *args):
    return json.loads(ok(cli(*args, "--json")).stdout)


def status(cli, company="Sanitas Hospitales") -> str:
    return shown(cli, "company", "show", company)["lead_status"]


def log(cli, *args):
    return cli("activity", "log", *args)


def test_outbound_call_on_a_contact_links_its_company_and_makes_it_attempted(company_only, db):
    cli = company_only
    r = log(cli, "--contact", "marta@sanitas.es", "--type", "call", "--direction", "outbound", "--summary", "Intro call, asked for a demo")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Logged activity 1: call outbound on contact Marta Ruiz, company Sanitas Hospitales\n"
    [activity] = shown(cli, "activity", "list")
    assert {k: v for k, v in activity.items() if k != "at"} == {
        "id": 1, "type": "call", "direction": "outbound", "summary": "Intro call, asked for a demo", "by": "tester",
        "contact": {"id": 1, "name": "Marta Ruiz", "email": "marta@sanitas.es"},
        "company": {"id": 1, "name": "Sanitas Hospitales"}, "deal": None,
    }
    at = datetime.fromisoformat(activity["at"].replace("Z", "+00:00"))
    assert abs(at - datetime.now(timezone.utc)) < timedelta(minutes=1)
    company = shown(cli, "company", "show", "Sanitas Hospitales")
    assert (company["lead_status"], company["lead_status_set_by"]) == ("Attempted", "tester")
    assert db.query("SELECT company_id, contact_id, deal_id FROM activity") == [(1, 1, None)]


def test_inbound_makes_connected_and_outbound_afterwards_does_not_move_it_back(company_only):
    cli = company_only
    ok(log(cli, "--company", "Sanitas Hospitales", "--type", "email", "--direction", "inbound", "--summary", "Replied"))
    assert status(cli) == "Connected"
    ok(log(cli, "--company", "Sanitas Hospitales", "--type", "call", "--direction", "outbound", "--summary", "Called back"))
    assert status(cli) == "Connected"


def test_a_note_has_no_direction_and_moves_no_status(company_only):
    cli = company_only
    r = log(cli, "--company", "1", "--type", "note", "--summary", "Heard they are hiring dermatologists")
    assert r.exit_code == 0, r.stderr
    assert status(cli) == "New"
    r = log(cli, "--company", "1", "--type", "note", "--direction", "inbound", "--summary", "x")
    assert (r.exit_code, r.stderr) == (2, "A note has no direction; leave out --direction, or log a call, email, meeting or message.\n")


@pytest.mark.parametrize("manual", ["Unqualified", "Bad timing"])
def test_a_status_a_person_set_is_not_overridden(company_only, manual):
    cli = company_only
    ok(cli("company", "set-status", "Sanitas Hospitales", manual))
    r = log(cli, "--contact", "marta@sanitas.es", "--type", "message", "--direction", "inbound", "--summary", "LinkedIn reply")
    assert r.exit_code == 0
    assert r.stderr == (f"Warning: 'Sanitas Hospitales' keeps its lead status {manual}, which tester set; change it with "
                        "`salescrm company set-status` if this inbound contact changes that.\n")
    assert status(cli) == manual


def test_open_deal_is_not_moved_back_by_an_activity(seeded):
    assert status(seeded) == "Open deal"
    ok(log(seeded, "--deal", "1", "--type", "meeting", "--direction", "inbound", "--summary", "Demo at their site"))
    assert status(seeded) == "Open deal"
    [activity] = shown(seeded, "activity", "list", "--deal", "1")
    assert (activity["company"], activity["deal"]["id"]) == ({"id": 1, "name": "Sanitas Hospitales"}, 1)


def test_an_activity_needs_a_link_a_type_a_direction_and_a_summary(company_only, db):
    cli = company_only
    r = log(cli, "--type", "call", "--direction", "outbound", "--summary", "x")
    assert (r.exit_code, r.stderr) == (2, "Missing required value: what it is about (--contact, --company or --deal). "
                                          "Pass it as an option, or run on a terminal to be asked.\n")
    r = log(cli, "--company", "1", "--type", "call", "--summary", "x")
    assert r.exit_code == 2
    assert r.stderr == "Missing required value: direction (--direction). Pass it as an option, or run on a terminal to be asked.\n"
    r = log(cli, "--company", "1", "--type", "fax", "--direction", "outbound", "--summary", "x")
    assert (r.exit_code, r.stderr) == (2, "Unknown activity type 'fax': choose one of call, email, meeting, message, note.\n")
    r = log(cli, "--company", "1", "--type", "call", "--direction", "sideways", "--summary", "x")
    assert (r.exit_code, r.stderr) == (2, "Unknown direction 'sideways': choose one of outbound, inbound.\n")
    r = log(cli, "--company", "Nobody", "--type", "call", "--direction", "outbound", "--summary", "x")
    assert r.exit_code == 1
    assert db.count("activity") == 0
    assert status(cli) == "New"


def test_backdating_with_at_and_refusing_the_future(company_only):
    cli = company_only
    ok(log(cli, "--company", "1", "--type", "call", "--direction", "outbound", "--summary", "x", "--at", "2026-01-05T10:30:00+01:00"))
    [activity] = shown(cli, "activity", "list")
    assert activity["at"] == "2026-01-05T09:30:00Z"
    future = (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    r = log(cli, "--company", "1", "--type", "call", "--direction", "outbound", "--summary", "x", "--at", future)
    assert r.exit_code == 2
    assert r.stderr == (f"Time (--at) {future} is in the future; log what already happened, or add a task for what is planned.\n")


def test_a_contact_of_several_companies_needs_company(company_only):
    cli = company_only
    ok(cli(*DKV))
    ok(cli("contact", "edit", "marta@sanitas.es", "--add-company", "DKV"))
    r = log(cli, "--contact", "marta@sanitas.es", "--type", "call", "--direction", "outbound", "--summary", "x")
    assert r.exit_code == 2
    assert r.stderr == ("Marta Ruiz works for 2 companies ('DKV', 'Sanitas Hospitales'): give --company to say which one "
                        "the activity is with.\n")
    ok(log(cli, "--contact", "marta@sanitas.es", "--company", "DKV", "--type", "call", "--direction", "outbound", "--summary", "x"))
    assert (status(cli, "DKV"), status(cli)) == ("Attempted", "New")


def test_a_deal_and_another_company_are_refused(seeded):
    ok(seeded(*DKV))
    r = log(seeded, "--deal", "1", "--company", "DKV", "--type", "call", "--direction", "outbound", "--summary", "x")
    assert (r.exit_code, r.stderr) == (2, "Deal 1 belongs to another company than 'DKV'; drop --company or give that deal's company.\n")


def test_list_filters(company_only):
    cli = company_only
    ok(cli(*DKV))
    ok(log(cli, "--company", "DKV", "--type", "email", "--direction", "outbound", "--summary", "one", "--at", "2026-01-01 10:00"))
    ok(log(cli, "--contact", "Marta Ruiz", "--type", "call", "--direction", "inbound", "--summary", "two", "--at", "2026-02-01 10:00"))
    ok(cli("team", "add", "Luis Gil", "--role", "JD-019", "--login", "luis"))
    r = cli("activity", "log", "--company", "DKV", "--type", "note", "--summary", "three")
    assert r.exit_code == 0

    def summaries(*args):
        return [a["summary"] for a in shown(cli, "activity", "list", *args)]

    assert summaries() == ["three", "two", "one"]
    assert summaries("--company", "DKV") == ["three", "one"]
    assert summaries("--contact", "marta@sanitas.es") == ["two"]
    assert summaries("--type", "email") == ["one"]
    assert summaries("--since", "2026-01-15") == ["three", "two"]
    assert summaries("--by", "tester") == ["three", "two", "one"]
    assert summaries("--owner", "Luis Gil") == []
    assert summaries("--limit", "1") == ["three"]


def test_activities_are_journaled(company_only):
    cli = company_only
    ok(log(cli, "--contact", "marta@sanitas.es", "--type", "call", "--direction", "outbound", "--summary", "Intro", "--reason", "Logged late"))
    rows = [r for r in shown(cli, "journal", "show") if r["record_type"] in ("activity", "company") and r["reason"] == "Logged late"]
    fields = {(r["record_type"], r["field"]): r["new"] for r in rows}
    assert fields[("activity", "type")] == "call"
    assert fields[("activity", "direction")] == "outbound"
    assert fields[("activity", "summary")] == "Intro"
    assert fields[("activity", "contact")] == 1
    assert fields[("company", "lead_status")] == "Attempted"
    assert ok(cli("journal", "verify"))


def test_timeline_in_show_newest_first_and_all(seeded):
    cli = seeded
    ok(log(cli, "--deal", "1", "--type", "call", "--direction", "outbound", "--summary", "First call", "--at", "2026-01-02 09:00"))
    ok(cli("task", "add", "Send the pricing calculator", "--deal", "1", "--due", "2099-01-15", "--owner", "Ana García"))
    timeline = shown(cli, "deal", "show", "1")["timeline"]
    assert [item["kind"] for item in timeline] == ["task", "stage change", "activity"]
    assert timeline[0]["title"] == "Send the pricing calculator"
    assert timeline[1]["to"] == "Prospected" and timeline[1]["from"] is None
    company_timeline = shown(cli, "company", "show", "Sanitas Hospitales")["timeline"]
    # the company's own follow-up call from `company add`, the deal's task, its creation, the call
    assert [item["kind"] for item in company_timeline] == ["task", "task", "stage change", "activity"]
    contact_timeline = shown(cli, "contact", "show", "marta@sanitas.es")["timeline"]
    assert [item["kind"] for item in contact_timeline] == ["stage change"]
    for n in range(20):
        ok(log(cli, "--deal", "1", "--type", "note", "--summary", f"note {n}"))
    assert len(shown(cli, "deal", "show", "1")["timeline"]) == 15
    assert len(shown(cli, "deal", "show", "1", "--all")["timeline"]) == 23
