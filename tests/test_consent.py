"""A contact's consent: a ledger of events (`contact consent`), never overwritten, journaled, shown by
`contact show`, filtered by `contact list --consented`, and checked by the audit's `no-lawful-basis`."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from tests.helpers import ok

MARTA = "marta@sanitas.es"
FORM = "Email Marketing Consent form"
GRANT = ["contact", "consent", MARTA, "--granted", "--purpose", "marketing", "--basis", "consent", "--source", FORM,
         "--wording-version", "v3", "--at", "2026-11-20 10:00"]
WITHDRAW = ["contact", "consent", MARTA, "--withdrawn", "--source", "Phone call", "--at", "2026-11-25"]


def test_a_grant_is_recorded_shown_and_journaled(seeded, db):
    r = ok(seeded(*GRANT, "--reason", "Signed the form at the congress"))
    assert r.stdout == "Recorded: Marta Ruiz gave consent to marketing, on the basis of consent.\n"
    shown = json.loads(ok(seeded("contact", "show", MARTA, "--json")).stdout)
    [event] = shown["consent"]
    assert {k: v for k, v in event.items() if k not in ("at", "recorded_at")} == {
        "purpose": "marketing", "state": "granted", "basis": "consent", "source": FORM, "wording_version": "v3",
        "recorded_by": "tester"}
    assert event["at"].startswith("2026-11-20T") and event["at"].endswith("Z")
    assert shown["consent_state"] == {"marketing": "granted"}
    assert db.query("SELECT record_type, action, reason FROM journal ORDER BY seq DESC LIMIT 1") == [
        ("consent_event", "insert", "Signed the form at the congress")]
    assert ok(seeded("journal", "verify")).exit_code == 0


def test_the_latest_event_is_the_state_and_the_ledger_keeps_both(seeded, db):
    ok(seeded(*GRANT))
    ok(seeded(*WITHDRAW))
    shown = json.loads(ok(seeded("contact", "show", MARTA, "--json")).stdout)
    assert [e["state"] for e in shown["consent"]] == ["granted", "withdrawn"]
    assert shown["consent"][1]["basis"] is None
    assert shown["consent_state"] == {"marketing": "withdrawn"}
    assert json.loads(ok(seeded("contact", "list", "--consented", "marketing", "--json")).stdout) == []
    ok(seeded(*GRANT[:-2], "--at", "2026-11-28"))
    [listed] = json.loads(ok(seeded("contact", "list", "--consented", "marketing", "--json")).stdout)
    assert listed["email"] == MARTA


def test_an_event_dated_before_the_latest_does_not_change_the_state(seeded):
    ok(seeded(*WITHDRAW))
    ok(seeded(*GRANT))  # given on the 20th, recorded after the withdrawal of the 25th
    shown = json.loads(ok(seeded("contact", "show", MARTA, "--json")).stdout)
    assert shown["consent_state"] == {"marketing": "withdrawn"}
    assert [e["state"] for e in shown["consent"]] == ["granted", "withdrawn"]  # in the order they happened


@pytest.mark.parametrize("args,said", [
    (["--granted", "--source", FORM], "Granting consent needs its lawful basis: give --basis (consent, legitimate-interest, contract).\n"),
    (["--granted", "--withdrawn", "--basis", "consent", "--source", FORM],
     "Say what happened: give --granted or --withdrawn (one of them).\n"),
    (["--source", FORM], "Say what happened: give --granted or --withdrawn (one of them).\n"),
    (["--granted", "--basis", "whim", "--source", FORM], "--basis 'whim' is not one of: consent, legitimate-interest, contract.\n"),
    (["--granted", "--basis", "consent", "--purpose", "sales", "--source", FORM], "--purpose 'sales' is not one of: marketing.\n"),
    (["--granted", "--basis", "consent", "--source", FORM, "--at", "2999-01-01"],
     "When (--at) 2999-01-01 is in the future; log what already happened, or add a task for what is planned.\n"),
    (["--granted", "--basis", "consent"], "Missing required value: source (--source). Pass it as an option, or run on "
                                          "a terminal to be asked.\n"),
], ids=["no-basis", "both", "neither", "basis", "purpose", "future", "no-source"])
def test_a_bad_event_is_refused_and_writes_nothing(seeded, db, args, said):
    journal = db.count("journal")
    r = seeded("--no-input", "contact", "consent", MARTA, *args)
    assert (r.exit_code, r.stderr) == (2, said)
    assert (db.count("consent_event"), db.count("journal")) == (0, journal)


def test_the_ledger_cannot_be_changed_or_emptied(seeded, db, backend):
    ok(seeded(*GRANT))
    for sql in ("UPDATE consent_event SET state = 'withdrawn'", "DELETE FROM consent_event",
                *(["TRUNCATE consent_event CASCADE"] if backend == "postgresql" else [])):
        with pytest.raises(sa.exc.DatabaseError, match="consent_event is a ledger"):
            with db.engine.begin() as conn:
                conn.exec_driver_sql(sql)
    assert db.query("SELECT state FROM consent_event") == [("granted",)]
    assert ok(seeded("db", "check")).exit_code == 0


def test_db_check_reports_a_dropped_ledger_trigger(seeded, db, backend):
    drop = "DROP TRIGGER consent_event_no_delete" if backend == "sqlite" else "DROP TRIGGER consent_event_ledger ON consent_event"
    with db.engine.begin() as conn:
        conn.exec_driver_sql(drop)
    r = seeded("db", "check")
    assert r.exit_code == 1
    assert "consent_event" in r.stderr


def test_no_lawful_basis_after_thirty_days(seeded, db):
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE contact SET created_at = '2026-01-01 09:00:00+00:00'")
    out = json.loads(seeded("audit", "--check", "no-lawful-basis", "--json").stdout)
    [finding] = out["findings"]
    assert (finding["check"], finding["severity"], finding["record_id"]) == ("no-lawful-basis", "warning", 1)
    assert finding["message"] == "Contact 1 'Marta Ruiz' has no lawful basis recorded 30 days after their creation."
    ok(seeded(*WITHDRAW[:-2], "--basis", "legitimate-interest"))  # a withdrawal may name its basis too
    assert json.loads(seeded("audit", "--check", "no-lawful-basis", "--json").stdout)["findings"] == []


def test_contact_show_lists_the_ledger(seeded):
    ok(seeded(*GRANT))
    out = ok(seeded("contact", "show", MARTA)).stdout
    assert "# consent\n" in out
    [line] = [line for line in out.splitlines() if "\tmarketing\t" in line]
    assert line.split("\t")[1:] == ["marketing", "granted", "consent", FORM, "tester"]


def test_a_marketing_export_holds_only_consented_contacts_and_is_recorded(seeded, db, tmp_path):
    ok(seeded("contact", "add", "--first-name", "Luis", "--last-name", "Pardo", "--job-title", "Buyer", "--company",
              "Sanitas Hospitales", "--email", "luis@sanitas.es"))
    ok(seeded(*GRANT))
    target = tmp_path / "newsletter.csv"
    r = ok(seeded("export", "contacts", "--for-marketing", "--reason", "November newsletter", "--output", str(target)))
    assert r.stderr == f"Exported 1 contact to {target}.\n"
    [line] = target.read_text().splitlines()[1:]
    assert MARTA in line and "luis@" not in target.read_text()
    [(export_id, by, reason, count)] = db.query("SELECT id, by, reason, contacts FROM marketing_export")
    assert (by, reason, count) == ("tester", "November newsletter", 1)
    assert db.query("SELECT contact_id FROM marketing_export_contact") == [(1,)]
    assert db.query("SELECT record_type, reason FROM journal ORDER BY seq DESC LIMIT 1") == [
        ("marketing_export", "November newsletter")]
    r = seeded("export", "contacts", "--reason", "x")
    assert (r.exit_code, r.stderr) == (2, "--reason is kept with a marketing export: give it with --for-marketing.\n")


def test_marketing_after_a_withdrawal_recorded_late_is_an_error(seeded, db):
    ok(seeded(*GRANT))  # given on the 20th
    ok(seeded("export", "contacts", "--for-marketing"))  # today: Marta is in it
    assert json.loads(seeded("audit", "--check", "marketing-after-withdrawal", "--json").stdout)["findings"] == []
    ok(seeded(*WITHDRAW))  # she had withdrawn on the 25th, before the export: recorded only now
    r = seeded("audit", "--check", "marketing-after-withdrawal", "--json")
    assert r.exit_code == 1
    [finding] = json.loads(r.stdout)["findings"]
    assert (finding["check"], finding["severity"], finding["record_id"]) == ("marketing-after-withdrawal", "error", 1)
    assert finding["message"].startswith("Contact 1 'Marta Ruiz' had withdrawn their marketing consent, and marketing "
                                         "export 1 of 20")
    assert json.loads(ok(seeded("export", "contacts", "--for-marketing", "--format", "json")).stdout) == []
