"""A person's erasure (GDPR article 17): `contact erase` removes their data from the records, the journal
(its chain intact) and, on SQLite, the file's bytes; keeps their deals and activities on a pseudonymous
contact; records the erasure with keyed hashes, so that a later import refuses them (both backends)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date

import pytest

from tests.conftest import FakePrompter
from tests.helpers import ok

MARTA = "marta@sanitas.es"
PHONE = "+34600000000"
REASON = "Marta Ruiz asked to be erased (request 2026-11-30)"


def _history(cli):
    """Marta in every place export-data reaches: an activity, a task, a gate value naming her on another deal,
    her consent ledger, an earlier email, and an activity of another contact that names her."""
    ok(cli("contact", "edit", MARTA, "--email", "m.ruiz@sanitas.es", "--reason", "Marta Ruiz's new address"))
    ok(cli("contact", "edit", "m.ruiz@sanitas.es", "--email", MARTA))
    ok(cli("activity", "log", "--type", "email", "--direction", "inbound", "--summary", "Asked for the price list",
           "--contact", MARTA, "--at", "2026-11-20 10:00"))
    ok(cli("task", "add", "Send the price list", "--due", "2030-01-10", "--contact", MARTA))
    ok(cli("contact", "consent", MARTA, "--granted", "--purpose", "marketing", "--basis", "consent",
           "--source", "Email Marketing Consent form", "--at", "2026-11-21"))
    ok(cli("deal", "create", "--company", "Sanitas Hospitales", "--description", "Second site", "--amount", "5000",
           "--close-date", "2031-06-30", "--class", "Insurance", "--source", "Referral", "--owner", "Ana García"))
    ok(cli("deal", "edit", "2", "--set", f"decision_maker={MARTA}", "--reason", "Marta decides"))
    ok(cli("deal", "create", "--company", "Sanitas Hospitales", "--description", "Training for Marta Ruiz", "--amount",
           "900", "--close-date", "2031-06-30", "--class", "Insurance", "--source", "Referral", "--owner", "Ana García"))
    ok(cli("contact", "add", "--first-name", "Jorge", "--last-name", "Navarro", "--job-title", "Buyer",
           "--company", "Sanitas Hospitales", "--email", "jorge@sanitas.es"))
    ok(cli("activity", "log", "--type", "call", "--direction", "outbound", "--summary",
           "Jorge says Marta Ruiz (+34 600 000 000 is wrong, use +34600000000) decides", "--contact", "jorge@sanitas.es"))


def _erase(cli, *extra):
    return cli("contact", "erase", MARTA, "--reason", REASON, "--yes", *extra)


def test_erase_removes_the_person_and_keeps_the_facts(seeded, db):
    _history(seeded)
    r = ok(_erase(seeded))
    assert r.stdout.splitlines()[0] == ('Erased contact 1: it is now "Erased contact 1"; scrubbed 2 activities, '
                                        '1 task, 1 deal, 1 gate value.')
    assert r.stdout.splitlines()[1].endswith("its chain still verifies (salescrm journal verify).")
    assert db.query("SELECT first_name, last_name, job_title, email, email_key, phone FROM contact WHERE id = 1") == [
        ("Erased", "contact 1", None, None, None, None)]
    # The facts stay, linked to the pseudonymous contact.
    assert db.query("SELECT contact_id FROM deal_contact WHERE deal_id = 1") == [(1,)]
    assert db.query("SELECT amount_cents FROM deal ORDER BY id") == [(1200000,), (500000,), (90000,)]
    assert db.query("SELECT name, name_key, description FROM deal WHERE id = 3") == [
        ("ES Sanitas Hospitales Training for [erased]", "es sanitas hospitales training for [erased]",
         "Training for [erased]")]
    assert db.query("SELECT summary FROM activity WHERE contact_id = 1") == [("[erased]",)]
    assert db.query("SELECT summary FROM activity WHERE contact_id = 2") == [
        ("Jorge says [erased] ([erased] is wrong, use [erased]) decides",)]
    assert db.query("SELECT title FROM task WHERE contact_id = 1") == [("[erased]",)]
    assert db.query("SELECT value FROM gate_value WHERE deal_id = 2 AND key = 'decision_maker'") == [("1",)]
    assert db.count("consent_event", "contact_id = 1") == 1
    # The erasure, without personal data, and the keyed hashes of both emails and the phone.
    [(erasure_id, contact_id, by, reason)] = db.query("SELECT id, contact_id, by, reason FROM erasure")
    assert (contact_id, by, reason) == (1, "tester", "[erased] asked to be erased (request 2026-11-30)")
    [(secret,)] = db.query("SELECT value FROM setting WHERE key = 'erasure_secret'")
    expected = {(hmac.new(secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest(), kind)
                for kind, value in (("email", MARTA), ("email", "m.ruiz@sanitas.es"), ("phone", PHONE))}
    assert set(db.query("SELECT digest, kind FROM erased_identity WHERE erasure_id = ?", erasure_id)) == expected
    # Nothing in the database names her any more, the journal included; and it verifies.
    for table, columns in (("journal_field", "coalesce(old_value, '') || coalesce(new_value, '')"),
                           ("journal", "command || coalesce(reason, '')"), ("activity", "summary"),
                           ("task", "title"), ("gate_value", "value"), ("erasure", "reason"),
                           ("deal", "name || description")):
        for needle in ("marta", "ruiz", "600 000 000", PHONE):
            assert db.count(table, f"lower({columns}) LIKE ?", f"%{needle}%") == 0, (table, needle)
    assert "Journal intact" in ok(seeded("journal", "verify")).stdout
    ok(seeded("db", "check"))
    # The erasure is in the journal, and its own row names nobody.
    [(command, journal_reason)] = db.query("SELECT command, reason FROM journal WHERE record_type = 'erasure'")
    assert (command, journal_reason) == ("salescrm contact erase 1", "[erased] asked to be erased (request 2026-11-30)")


def test_the_access_export_after_an_erasure_holds_nothing_about_the_person(seeded):
    _history(seeded)
    ok(_erase(seeded))
    text = ok(seeded("contact", "export-data", "1")).stdout
    doc = json.loads(text)
    assert (doc["contact"]["first_name"], doc["contact"]["last_name"], doc["contact"]["email"]) == (
        "Erased", "contact 1", None)
    # Deal 2 named her at a gate by email; it names contact 1 by id now, and is still about her.
    assert [d["id"] for d in doc["deals"]] == [1, 2]
    assert doc["deals"][1]["gates"]["decision_maker"] == "1"
    assert [a["summary"] for a in doc["activities"]] == ["[erased]"]
    assert [e["state"] for e in doc["consent"]] == ["granted"]
    for needle in ("marta", "ruiz", PHONE, "600 000 000"):
        assert needle not in text.lower(), needle
    assert any(j["record_type"] == "contact" for j in doc["journal"])


def test_the_json_report(seeded):
    r = ok(_erase(seeded, "--json"))
    obj = json.loads(r.stdout)
    assert {k: obj[k] for k in ("erasure", "contact", "name", "identities", "scrubbed", "backups_holding", "unfinished")} == {
        "erasure": 1, "contact": 1, "name": "Erased contact 1", "identities": 2, "scrubbed": {},
        "backups_holding": [], "unfinished": None}
    assert obj["journal"]["pre_v2_naming"] == 0 and obj["journal"]["values_blanked"] > 0


def test_off_a_terminal_it_needs_yes_and_a_reason(seeded, db):
    r = seeded("contact", "erase", MARTA, "--reason", REASON)
    assert (r.exit_code, r.stderr) == (1, "Erasing removes contact 1's personal data for good: pass --yes to do it; "
                                          "nothing was erased.\n")
    r = seeded("contact", "erase", MARTA, "--yes")
    assert r.exit_code == 2 and "--reason" in r.stderr
    assert db.query("SELECT first_name FROM contact WHERE id = 1") == [("Marta",)]
    assert db.count("erasure") == 0


def test_on_a_terminal_it_asks(seeded, db):
    no = FakePrompter([("confirm", "Erase Marta Ruiz (contact 1, marta@sanitas.es)? This cannot be undone.", False)])
    assert seeded("contact", "erase", MARTA, "--reason", REASON, prompter=no).exit_code == 1
    assert db.count("erasure") == 0
    yes = FakePrompter([("text", "Reason", "Marta asked by phone"), ("confirm", "Erase Marta Ruiz", True)])
    ok(seeded("contact", "erase", MARTA, prompter=yes))
    assert db.query("SELECT reason FROM erasure") == [("[erased] asked by phone",)]  # her name alone too


def test_a_second_erasure_is_refused(seeded):
    ok(_erase(seeded))
    r = seeded("contact", "erase", "1", "--reason", "again", "--yes")
    assert (r.exit_code, r.stderr) == (1, f"Contact 1 was erased on {date.today().isoformat()}; there is nothing "
                                          "left to erase.\n")


def test_a_later_import_refuses_the_erased_email_and_phone(seeded, db, tmp_path):
    ok(_erase(seeded))
    path = tmp_path / "contacts.csv"
    path.write_text("First Name,Last Name,Email,Phone Number\r\n"
                    "Marta,Ruiz,MARTA@sanitas.es,\r\n"
                    "M.,Ruiz,,+34 600 000 000\r\n"
                    "Jorge,Navarro,jorge@sanitas.es,\r\n", encoding="utf-8")
    r = seeded("import", "contacts", str(path), "--dry-run")
    day = date.today().isoformat()
    assert r.stdout.splitlines()[:3] == [
        f"line 2: refused: This email belongs to a person erased on {day} (GDPR article 17): salescrm does not take "
        "their data in again.",
        f"line 3: refused: This phone belongs to a person erased on {day} (GDPR article 17): salescrm does not take "
        "their data in again.",
        "line 4: created contact Jorge Navarro",
    ]
    r = seeded("import", "contacts", str(path), "--skip-invalid", "--rejects", str(tmp_path / "rejects.csv"))
    assert r.exit_code == 1
    assert db.query("SELECT first_name FROM contact ORDER BY id") == [("Erased",), ("Jorge",)]


@pytest.mark.sqlite_only
def test_no_byte_of_the_person_is_left_in_the_file_or_its_log(seeded, db, db_url):
    from pathlib import Path

    _history(seeded)
    path = Path(db_url)
    wal = Path(f"{path}-wal")
    assert MARTA.encode() in path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    ok(_erase(seeded))
    db.close()
    for name in (path, wal):
        data = name.read_bytes() if name.exists() else b""
        for needle in (MARTA, "m.ruiz@sanitas.es", PHONE, "+34 600 000 000", "Marta Ruiz", "Head of Dermatology"):
            assert needle.encode() not in data, (name.name, needle)
    assert "Journal intact" in ok(seeded("journal", "verify")).stdout


@pytest.mark.sqlite_only
def test_a_reader_holding_the_log_is_told_how_to_finish(seeded, db_url):
    import sqlite3

    reader = sqlite3.connect(db_url)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM contact").fetchone()  # an old snapshot: the log cannot be emptied
    try:
        r = ok(_erase(seeded))
    finally:
        reader.close()
    assert r.stderr == (
        "Warning: Erased, but another program is reading the database, so its write-ahead log still holds erased "
        f"values; once it has closed the database, run: sqlite3 {db_url} 'PRAGMA secure_delete=ON; VACUUM; "
        "PRAGMA wal_checkpoint(TRUNCATE);'\n")


@pytest.mark.sqlite_only
def test_journal_rows_from_before_chain_v2_are_counted_and_the_chain_still_verifies(cli, tmp_path, monkeypatch):
    """The 0004 fixture's journal is chain v1: its commands (`lead add ... --phone '+34 611 222 333'`) stay."""
    import os
    import shutil
    import sqlite3
    from pathlib import Path

    path = tmp_path / "old.db"
    shutil.copyfile(Path(__file__).parent / "fixtures" / "schema-0004.db", path)
    os.chmod(path, 0o600)
    con = sqlite3.connect(path)
    [(expected,)] = con.execute("SELECT count(*) FROM journal WHERE (record_type = 'contact' AND record_id = 9) "
                                "OR command LIKE '%611 222 333%'").fetchall()
    con.close()
    monkeypatch.setenv("SALESCRM_DB", str(path))
    ok(cli("team", "list"))  # brought to the latest schema first
    r = ok(cli("contact", "erase", "9", "--reason", "His request", "--yes"))
    assert expected > 0
    assert (f"{expected} journal rows written before chain v2 still name the person in their command or reason, "
            "which their hashes cover verbatim (docs/privacy.md).") in r.stdout.splitlines()
    assert json.loads(ok(cli("contact", "show", "9", "--json")).stdout)["phone"] is None
    ok(cli("journal", "verify"))
    ok(cli("db", "check"))


def test_on_postgresql_a_reps_role_may_not_erase_and_a_non_owner_is_told_to_vacuum(seeded, backend, request, db_url,
                                                                                    db, monkeypatch):
    if backend != "postgresql":
        pytest.skip("roles and VACUUM are PostgreSQL's")
    import uuid

    from sqlalchemy.engine import make_url

    server = request.getfixturevalue("pg_server")
    database = make_url(db_url).database
    role = f"rep_{uuid.uuid4().hex[:10]}"
    sql = ok(seeded("db", "grants", "--role", role)).stdout
    server.execute(f"CREATE ROLE {role} LOGIN")
    try:
        server.execute(sql, database)
        monkeypatch.setenv("SALESCRM_DB", server.url(database, user=role))
        r = _erase(seeded)
        assert (r.exit_code, r.stderr) == (1, "Erasing a person blanks their values in the journal, which this "
                                              "PostgreSQL role may only add to: run the erasure as the database's "
                                              "owner (docs/privacy.md); nothing was erased.\n")
        assert db.query("SELECT first_name FROM contact WHERE id = 1") == [("Marta",)]
        server.execute(f"GRANT UPDATE ON journal, journal_field TO {role}", database)  # a data-protection officer
        r = ok(_erase(seeded))
        assert r.stderr.startswith("Warning: Erased, but this role does not own activity, contact, contact_property, ")
        assert r.stderr.rstrip("\n").endswith("the database owner finishes the job with: VACUUM contact, "
                                              "contact_property, activity, task, gate_value, deal, journal, "
                                              "journal_field, erasure, erased_identity")
        assert db.query("SELECT first_name FROM contact WHERE id = 1") == [("Erased",)]
    finally:
        from salescrm.store.engine import dispose_all

        dispose_all()
        server.execute(f"REASSIGN OWNED BY {role} TO postgres", database)
        server.execute(f"DROP OWNED BY {role}", database)
        server.execute(f"DROP ROLE {role}")


def test_a_leads_web_form_fields_are_erased_and_its_channel_kept(cli, db):
    ok(cli("lead", "add", "--first-name", "Eva", "--last-name", "Soler", "--email", "eva@quiron.es", "--company",
           "Quirón", "--channel", "web-form", "--search-engine", "google", "--keyword", "eva soler dermatology",
           "--source-page", "https://quiron.es/contact?email=eva@quiron.es", "--note", "Eva Soler wants a demo"))
    ok(cli("contact", "erase", "eva@quiron.es", "--reason", "Her request", "--yes"))
    assert db.query("SELECT first_name, email, channel, search_engine, keyword, source_page FROM contact") == [
        ("Erased", None, "web-form", None, None, None)]
    assert db.query("SELECT summary FROM activity") == [("[erased]",)]
    assert db.query("SELECT title FROM task") == [("[erased]",)]  # the follow-up call named her
    assert db.count("journal_field", "lower(coalesce(old_value, '') || coalesce(new_value, '')) LIKE '%eva%'") == 0
