"""The change journal: what every write records, `journal show` and its filters, `journal verify`,
the database's refusal to change the journal, and the detection of changes made behind its back."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from .conftest import BANT, QUALIFIED, FakePrompter

HEAD = re.compile(r"^Journal intact: (\d+) rows\. Head (\d+):([0-9a-f]{64})$", re.MULTILINE)
DEAL_EDIT_COMMAND = "salescrm deal edit 1"
LUIS = ["team", "add", "Luis Pérez", "--role", "JD-002"]


# --- helpers -------------------------------------------------------------------------------------


def changes(cli, *filters: str) -> list[dict]:
    r = cli("journal", "show", "--json", *filters)
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def of_command(rows: list[dict], prefix: str) -> list[dict]:
    return [c for c in rows if c["command"].startswith(prefix)]


def fields(rows: list[dict]) -> dict[tuple[str, int | None, str], tuple[object, object]]:
    """(record_type, record_id, field) -> (old, new)."""
    return {(c["record_type"], c["record_id"], c["field"]): (c["old"], c["new"]) for c in rows}


def verified_head(cli) -> tuple[int, str]:
    r = cli("journal", "verify")
    assert r.exit_code == 0, r.stderr
    m = HEAD.search(r.stdout)
    assert m, r.stdout
    assert m.group(1) == m.group(2)
    return int(m.group(1)), m.group(3)


def journal_counts(db) -> tuple[int, int, list[tuple]]:
    return db.count("journal"), db.count("journal_field"), db.query("SELECT seq, hash FROM journal_head")


def drop_guards(db, backend) -> None:
    """Remove the triggers that protect the journal, as someone with direct access to the database could."""
    if backend == "sqlite":
        con = sqlite3.connect(db.location.path)
        try:
            for name in ("journal_no_update", "journal_no_delete", "journal_field_no_delete", "journal_field_erase_only"):
                con.execute(f"DROP TRIGGER {name}")
            con.commit()
        finally:
            con.close()
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER journal_append_only ON journal")
            conn.exec_driver_sql("DROP TRIGGER journal_field_erase_only ON journal_field")


def tamper(db, backend, sql: str, *params) -> None:
    """Change the database behind salescrm's back: the sqlite3 module on SQLite, plain SQL on PostgreSQL."""
    if backend == "sqlite":
        con = sqlite3.connect(db.location.path)
        try:
            con.execute(sql, params)
            con.commit()
        finally:
            con.close()
    else:
        names = iter(range(len(params)))
        bound = re.sub(r"\?", lambda _: f":p{next(names)}", sql)
        with db.engine.begin() as conn:
            conn.execute(sa.text(bound), {f"p{i}": v for i, v in enumerate(params)})


def seq_of(db, record_type: str, field: str) -> int:
    """The journal row that first recorded `field` of a `record_type` (seeded data: its insert)."""
    return db.query(
        "SELECT min(j.seq) FROM journal j JOIN journal_field f ON f.seq = j.seq WHERE j.record_type = ? AND f.field = ?",
        record_type, field,
    )[0][0]


def execute(db, sql: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text(sql))


# --- what a write records ------------------------------------------------------------------------


def test_team_add_is_journaled(cli, db):
    r = cli("team", "add", "Ana García", "--role", "JD-019", "--reason", "New hire")
    assert r.exit_code == 0, r.stderr
    rows = changes(cli)
    assert [(c["seq"], c["record_type"], c["record_id"]) for c in rows] == [(1, "team_member", 1), (1, "team_member", 1)]
    assert fields(rows) == {
        ("team_member", 1, "name"): (None, "Ana García"),
        ("team_member", 1, "role"): (None, "JD-019"),
    }
    for c in rows:
        assert c["by"] == "tester"
        assert c["command"] == "salescrm team add 'Ana García' --role JD-019 --reason 'New hire'"
        assert c["reason"] == "New hire"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", c["at"])
        assert set(c) == {"seq", "at", "by", "command", "reason", "record_type", "record_id", "field", "old", "new"}
    assert db.query("SELECT seq, actor, action FROM journal") == [(1, "tester", "insert")]


def test_seeded_records_are_journaled_with_json_names_and_units(seeded):
    rows = changes(seeded)
    assert all(c["by"] == "tester" and c["reason"] is None for c in rows)
    found = fields(rows)
    assert found[("company", 1, "name")] == (None, "Sanitas Hospitales")
    assert found[("company", 1, "website")] == (None, "https://www.sanitas.es")
    assert found[("contact", 1, "email")] == (None, "marta@sanitas.es")
    assert found[("contact", 1, "companies")] == (None, 1)
    assert found[("deal", 1, "amount")] == (None, 12000)  # currency units, not cents
    assert found[("deal", 1, "owner")] == (None, "Ana García")  # the member's name, not an id
    assert found[("deal", 1, "close_date")] == (None, "2027-03-31")
    assert found[("deal", 1, "stage")] == (None, "Prospected")
    assert found[("deal", 1, "name")] == (None, "ES Sanitas Hospitales Proof of Concept")
    assert found[("deal", 1, "contacts")] == (None, 1)
    assert not any(c["field"] in ("amount_cents", "owner_id") for c in rows)
    deal_rows = of_command(rows, "salescrm deal create ")
    assert {(c["record_type"], c["record_id"]) for c in deal_rows} == {("deal", 1), ("company", 1)}
    assert fields(deal_rows)[("company", 1, "lead_status")] == ("New", "Open deal")


def test_deal_edit_is_journaled_with_reason(seeded):
    before = len(changes(seeded))
    r = seeded("deal", "edit", "1", "--amount", "15000", "--close-date", "2027-06-30", "--reason", "Bigger scope")
    assert r.exit_code == 0, r.stderr
    rows = changes(seeded)[before:]
    assert fields(rows) == {
        ("deal", 1, "amount"): (12000, 15000),
        ("deal", 1, "close_date"): ("2027-03-31", "2027-06-30"),
    }
    for c in rows:
        assert c["command"] == "salescrm deal edit 1 --amount 15000 --close-date 2027-06-30 --reason 'Bigger scope'"
        assert c["command"].startswith(DEAL_EDIT_COMMAND)
        assert c["reason"] == "Bigger scope"
        assert c["by"] == "tester"


def test_fractional_amount_is_journaled_in_currency_units(seeded):
    before = len(changes(seeded))
    assert seeded("deal", "edit", "1", "--amount", "12000.50").exit_code == 0
    assert fields(changes(seeded)[before:]) == {("deal", 1, "amount"): (12000, 12000.5)}


def test_owner_change_is_journaled_by_name(seeded):
    assert seeded(*LUIS).exit_code == 0
    before = len(changes(seeded))
    r = seeded("deal", "edit", "1", "--owner", "Luis Pérez")
    assert r.exit_code == 0, r.stderr
    assert fields(changes(seeded)[before:]) == {("deal", 1, "owner"): ("Ana García", "Luis Pérez")}


def test_gate_values_and_stage_are_journaled(seeded):
    before = len(changes(seeded))
    r = seeded("deal", "advance", "1", *QUALIFIED, "--reason", "Call with Marta")
    assert r.exit_code == 0, r.stderr
    rows = changes(seeded)[before:]
    assert fields(rows) == {
        ("deal", 1, "gates.segment_verified"): (None, "yes"),
        ("deal", 1, "gates.decision_maker"): (None, "marta@sanitas.es"),
        ("deal", 1, "stage"): ("Prospected", "Qualified"),
    }
    assert {c["reason"] for c in rows} == {"Call with Marta"}
    assert {c["command"] for c in rows} == {
        "salescrm deal advance 1 --set segment_verified=yes --set decision_maker=marta@sanitas.es "
        "--reason 'Call with Marta'"
    }


def test_gate_value_update_is_journaled(seeded):
    assert seeded("deal", "advance", "1", *QUALIFIED).exit_code == 0
    assert seeded("deal", "advance", "1", *BANT).exit_code == 0
    before = len(changes(seeded))
    r = seeded("deal", "edit", "1", "--set", "budget=Approved for 2028", "--reason", "Budget moved a year")
    assert r.exit_code == 0, r.stderr
    rows = changes(seeded)[before:]
    assert fields(rows) == {("deal", 1, "gates.budget"): ("Approved for 2027", "Approved for 2028")}
    assert rows[0]["reason"] == "Budget moved a year"
    assert rows[0]["command"].startswith(DEAL_EDIT_COMMAND)


def test_deal_contact_links_are_journaled(seeded):
    assert seeded("contact", "add", "--first-name", "Pablo", "--last-name", "Sanz", "--job-title", "CFO",
                  "--company", "Sanitas Hospitales", "--email", "pablo@sanitas.es").exit_code == 0
    before = len(changes(seeded))
    r = seeded("deal", "edit", "1", "--add-contact", "pablo@sanitas.es", "--remove-contact", "marta@sanitas.es")
    assert r.exit_code == 0, r.stderr
    rows = changes(seeded)[before:]
    assert sorted(((c["record_type"], c["record_id"], c["field"], c["old"], c["new"]) for c in rows), key=repr) == [
        ("deal", 1, "contacts", 1, None),
        ("deal", 1, "contacts", None, 2),
    ]


def test_contact_company_links_and_fields_are_journaled(seeded):
    assert seeded("company", "add", "DKV", "--country", "ES", "--website", "dkv.es").exit_code == 0
    before = len(changes(seeded))
    r = seeded("contact", "edit", "marta@sanitas.es", "--add-company", "DKV", "--job-title", "Medical Director",
               "--reason", "Moved to DKV")
    assert r.exit_code == 0, r.stderr
    rows = changes(seeded)[before:]
    assert fields(rows) == {
        ("contact", 1, "job_title"): ("Head of Dermatology", "Medical Director"),
        ("contact", 1, "companies"): (None, 2),
    }
    assert {c["reason"] for c in rows} == {"Moved to DKV"}
    before = len(changes(seeded))
    assert seeded("contact", "edit", "marta@sanitas.es", "--remove-company", "Sanitas Hospitales").exit_code == 0
    assert fields(changes(seeded)[before:]) == {("contact", 1, "companies"): (1, None)}


def test_company_edit_is_journaled(seeded):
    before = len(changes(seeded))
    r = seeded("company", "edit", "Sanitas Hospitales", "--legal-name", "Sanitas, S.A. de Hospitales", "--reason", "Registry")
    assert r.exit_code == 0, r.stderr
    rows = changes(seeded)[before:]
    assert fields(rows) == {("company", 1, "legal_name"): (None, "Sanitas, S.A. de Hospitales")}
    assert rows[0]["reason"] == "Registry"
    assert rows[0]["command"] == "salescrm company edit 'Sanitas Hospitales' --legal-name 'Sanitas, S.A. de Hospitales' --reason Registry"


def test_journal_is_written_in_the_same_transaction(seeded, db):
    # The head is advanced with the rows; each entry's fields sit beside it.
    seq, = db.query("SELECT max(seq) FROM journal")[0]
    assert db.query("SELECT seq FROM journal_head") == [(seq,)]
    assert db.count("journal") == seq
    assert db.count("journal_field", "seq NOT IN (SELECT seq FROM journal)") == 0
    assert db.count("journal_field") == len(changes(seeded))


def test_lose_reason_is_the_journal_reason(seeded):
    before = len(changes(seeded))
    r = seeded("deal", "lose", "1", "--category", "Bad timing", "--reason", "Budget frozen until 2028")
    assert r.exit_code == 0, r.stderr
    rows = changes(seeded)[before:]
    assert rows
    assert {c["reason"] for c in rows} == {"Budget frozen until 2028"}
    found = fields(rows)
    assert found[("deal", 1, "stage")] == ("Prospected", "Lost")
    assert found[("deal", 1, "lost_reason_category")] == (None, "Bad timing")
    assert found[("deal", 1, "lost_reason")] == (None, "Budget frozen until 2028")


# --- journal show filters ------------------------------------------------------------------------


def test_show_filters_by_record(seeded):
    assert seeded("company", "add", "DKV", "--country", "ES", "--website", "dkv.es").exit_code == 0
    assert seeded("deal", "advance", "1", *QUALIFIED).exit_code == 0
    everything = changes(seeded)
    deal = changes(seeded, "--deal", "1")
    assert deal == [c for c in everything if c["record_type"] == "deal" and c["record_id"] == 1]
    assert {c["field"] for c in deal} >= {"amount", "contacts", "gates.segment_verified", "stage"}
    sanitas = changes(seeded, "--company", "Sanitas Hospitales")
    assert sanitas == [c for c in everything if c["record_type"] == "company" and c["record_id"] == 1]
    assert sanitas and all(c["record_id"] == 1 for c in sanitas)
    marta = changes(seeded, "--contact", "marta@sanitas.es")
    assert marta == [c for c in everything if c["record_type"] == "contact" and c["record_id"] == 1]
    assert {c["field"] for c in marta} == {"first_name", "last_name", "job_title", "email", "phone", "companies"}


def test_show_filters_by_date(seeded):
    today = datetime.now(timezone.utc).date()
    everything = changes(seeded)
    assert changes(seeded, "--since", str(today - timedelta(days=1))) == everything
    assert changes(seeded, "--since", str(today + timedelta(days=1))) == []


def test_show_filters_by_user(seeded, monkeypatch):
    monkeypatch.setenv("SALESCRM_USER", "carmen")
    assert seeded("deal", "edit", "1", "--amount", "13000").exit_code == 0
    carmen = changes(seeded, "--by", "carmen")
    assert fields(carmen) == {("deal", 1, "amount"): (12000, 13000)}
    assert {c["by"] for c in carmen} == {"carmen"}
    assert "carmen" not in {c["by"] for c in changes(seeded, "--by", "tester")}
    assert changes(seeded, "--by", "nobody") == []


def test_show_refuses_a_bad_date_and_an_unknown_deal(seeded):
    r = seeded("journal", "show", "--since", "23/11/2026")
    assert r.exit_code == 2
    assert "--since" in r.stderr
    r = seeded("journal", "show", "--deal", "99")
    assert r.exit_code == 1


def test_show_table_lists_each_change(seeded):
    r = seeded("journal", "show", "--deal", "1")
    assert r.exit_code == 0, r.stderr
    assert "Ana García" in r.stdout
    assert "12000" in r.stdout
    assert "website" not in r.stdout  # the company's own changes are not the deal's


# --- nothing journaled when nothing is saved -----------------------------------------------------


def test_refused_edit_writes_no_journal_rows(seeded, db):
    before = journal_counts(db)
    r = seeded("deal", "edit", "1", "--amount", "99000", "--owner", "Elena Ortiz")
    assert r.exit_code == 1
    assert "cannot be a deal owner" in r.stderr
    assert journal_counts(db) == before
    assert db.query("SELECT amount_cents FROM deal") == [(1200000,)]


def test_gate_refusal_after_flush_writes_no_journal_rows(seeded, db):
    # The gate values are flushed (and journaled) before the gate check refuses: all of it rolls back.
    before = journal_counts(db)
    r = seeded("deal", "advance", "1", "--to", "Discovered", *QUALIFIED)
    assert r.exit_code == 1
    assert journal_counts(db) == before
    assert db.count("gate_value") == 0
    assert db.query("SELECT stage FROM deal") == [("Prospected",)]
    verified_head(seeded)


def test_duplicate_writes_no_journal_rows(seeded, db):
    before = journal_counts(db)
    r = seeded("team", "add", "Ana García", "--role", "JD-019")
    assert r.exit_code == 1
    assert journal_counts(db) == before


def test_invalid_value_writes_no_journal_rows(seeded, db):
    before = journal_counts(db)
    r = seeded("deal", "edit", "1", "--amount", "lots")
    assert r.exit_code == 2
    assert journal_counts(db) == before


def test_ctrl_c_at_a_prompt_writes_no_journal_rows(seeded, db):
    before = journal_counts(db)
    p = FakePrompter([("confirm", "Segment verified", KeyboardInterrupt())])  # the only contact is chosen, not asked
    r = seeded("deal", "advance", "1", prompter=p)
    assert r.exit_code == 130
    assert journal_counts(db) == before


def _writer_is_active(backend, db, path) -> bool:
    if backend == "sqlite":
        con = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            con.close()
    name = db.engine.url.database
    rows = db.query("SELECT count(*) FROM pg_stat_activity WHERE datname = ? AND backend_xid IS NOT NULL", name)
    return rows[0][0] > 0


def test_ctrl_c_during_a_write_writes_no_journal_rows(cli, db, backend, db_url, tmp_path):
    assert cli("db", "upgrade").exit_code == 0  # the schema exists: a write lock now means the demo's transaction
    assert db.count("journal") == 0
    p = subprocess.Popen([sys.executable, "-m", "salescrm", "demo", "--size", "1000000"], cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not _writer_is_active(backend, db, db.location.path) and p.poll() is None:
            assert time.monotonic() < deadline, "the demo never started writing"
            time.sleep(0.05)
        time.sleep(0.5)
        assert p.poll() is None, "the demo finished before it could be interrupted"
        p.send_signal(signal.SIGINT)
        try:
            out, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            pytest.fail(f"Ctrl-C did not stop the write within 30 s; stderr: {err[-1500:]}")
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode == 130, err
    assert "Interrupted; nothing was saved." in err
    assert db.count("journal") == 0
    assert db.count("journal_field") == 0
    assert db.query("SELECT seq FROM journal_head") == [(0,)]
    assert db.count("deal") == 0


# --- the command line as recorded ----------------------------------------------------------------


def test_password_in_database_url_is_hidden_in_the_journal(cli, backend, db_url):
    if backend != "postgresql":
        pytest.skip("a password belongs to a PostgreSQL URL")
    url = sa.engine.make_url(db_url).set(password="s3cr3t-Pa55").render_as_string(hide_password=False)
    assert "s3cr3t-Pa55" in url
    r = cli("--db", url, "team", "add", "Ana García", "--role", "JD-019")
    assert r.exit_code == 0, r.stderr
    rows = changes(cli)
    assert rows
    for c in rows:
        assert "s3cr3t-Pa55" not in c["command"]
        assert ":***@" in c["command"]
        assert c["command"].startswith("salescrm --db ")
        assert c["command"].endswith(" team add 'Ana García' --role JD-019")


# --- journal verify ------------------------------------------------------------------------------


def test_verify_prints_count_and_head(seeded, db):
    r = seeded("journal", "verify")
    assert r.exit_code == 0, r.stderr
    n = db.count("journal")
    seq, head_hash = db.query("SELECT seq, hash FROM journal_head")[0]
    assert seq == n == 9  # Ana, Elena, Sanitas and its follow-up call, Marta and her company, the deal and its contact, the lead status
    assert r.stdout.splitlines()[0] == f"Journal intact: {n} rows. Head {n}:{head_hash}"
    assert re.fullmatch(r"[0-9a-f]{64}", head_hash)


def test_verify_on_an_empty_journal(cli):
    r = cli("journal", "verify")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[0] == f"Journal intact: 0 rows. Head 0:{'0' * 64}"


def test_verify_accepts_an_earlier_head(seeded):
    count, digest = verified_head(seeded)
    assert seeded("deal", "edit", "1", "--amount", "13000").exit_code == 0
    r = seeded("journal", "verify", "--head", f"{count}:{digest}")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith(f"Journal intact: {count + 1} rows.")


def test_verify_refuses_a_head_with_a_wrong_hash(seeded):
    count, digest = verified_head(seeded)
    wrong = ("0" if digest[0] != "0" else "1") + digest[1:]
    r = seeded("journal", "verify", "--head", f"{count}:{wrong}")
    assert r.exit_code == 1
    assert "not part of this chain" in r.stderr
    assert r.stdout == ""


def test_verify_refuses_a_head_past_the_end(seeded):
    count, digest = verified_head(seeded)
    r = seeded("journal", "verify", "--head", f"{count + 5}:{digest}")
    assert r.exit_code == 1
    assert "past the end" in r.stderr


@pytest.mark.parametrize("head", ["8", "eight:" + "0" * 64, "8:abc", "8-" + "0" * 64])
def test_verify_refuses_a_malformed_head(seeded, head):
    r = seeded("journal", "verify", "--head", head)
    assert r.exit_code == 2
    assert "COUNT:HASH" in r.stderr


# --- the database refuses changes to the journal -------------------------------------------------


@pytest.mark.parametrize("sql, message", [
    ("DELETE FROM journal_field WHERE seq = 8", "append-only"),
    ("DELETE FROM journal WHERE seq = 8", "append-only"),
    ("UPDATE journal SET actor = 'mallory' WHERE seq = 1", "append-only"),
    ("UPDATE journal SET reason = 'backdated' WHERE seq = 8", "append-only"),
    ("UPDATE journal_field SET new_digest = old_digest WHERE seq = 8", "can only be erased"),
    ("UPDATE journal_field SET new_value = '[\"00\", \"Closed\"]' WHERE seq = 8", "can only be erased"),
    ("UPDATE journal_field SET field = 'other' WHERE seq = 8", "can only be erased"),
])
def test_database_refuses_changing_the_journal(seeded, db, sql, message):
    before = db.query("SELECT * FROM journal ORDER BY seq"), db.query("SELECT * FROM journal_field ORDER BY seq, field")
    with pytest.raises(sa.exc.DBAPIError) as raised:
        execute(db, sql)
    assert message in str(raised.value)
    assert (db.query("SELECT * FROM journal ORDER BY seq"), db.query("SELECT * FROM journal_field ORDER BY seq, field")) == before
    verified_head(seeded)


def test_erasing_a_value_keeps_the_journal_verifiable(seeded, db):
    seq = seq_of(db, "contact", "email")
    execute(db, f"UPDATE journal_field SET new_value = NULL WHERE seq = {seq} AND field = 'email'")
    assert db.query(f"SELECT new_value, new_digest IS NOT NULL FROM journal_field WHERE seq = {seq} AND field = 'email'") == [(None, True)]
    r = seeded("journal", "verify")
    assert r.exit_code == 0, r.stderr
    erased = [c for c in changes(seeded, "--contact", "marta@sanitas.es") if c["field"] == "email"]
    assert [(c["old"], c["new"]) for c in erased] == [(None, "(erased)")]
    table = seeded("journal", "show", "--contact", "marta@sanitas.es")
    assert "(erased)" in table.stdout
    assert "marta@sanitas.es" not in table.stdout


def test_erasing_an_old_value_keeps_the_journal_verifiable(seeded, db):
    assert seeded("contact", "edit", "marta@sanitas.es", "--phone", "+34 611 111 111").exit_code == 0
    seq = db.query("SELECT max(seq) FROM journal")[0][0]
    execute(db, f"UPDATE journal_field SET old_value = NULL, new_value = NULL WHERE seq = {seq} AND field = 'phone'")
    assert seeded("journal", "verify").exit_code == 0
    phone = [c for c in changes(seeded, "--contact", "1") if c["seq"] == seq]
    assert [(c["field"], c["old"], c["new"]) for c in phone] == [("phone", "(erased)", "(erased)")]


# --- tampering behind the triggers' back is detected ---------------------------------------------


def test_changed_actor_is_detected(seeded, db, backend):
    drop_guards(db, backend)
    tamper(db, backend, "UPDATE journal SET actor = 'mallory' WHERE seq = 3")
    r = seeded("journal", "verify")
    assert r.exit_code == 1
    assert "Journal row 3 " in r.stderr
    assert r.stdout == ""


def test_changed_value_is_detected(seeded, db, backend):
    drop_guards(db, backend)
    seq = seq_of(db, "deal", "amount")
    stored, = db.query(f"SELECT new_value FROM journal_field WHERE seq = {seq} AND field = 'amount'")[0]
    salt, value = json.loads(stored)
    assert value == 12000
    tamper(db, backend, f"UPDATE journal_field SET new_value = ? WHERE seq = {seq} AND field = 'amount'", json.dumps([salt, 1200]))
    r = seeded("journal", "verify")
    assert r.exit_code == 1
    assert f"Journal row {seq}, field amount" in r.stderr


def test_changed_value_with_its_digest_is_detected(seeded, db, backend):
    from salescrm.store.journal import value_digest

    drop_guards(db, backend)
    seq = seq_of(db, "deal", "amount")
    stored, = db.query(f"SELECT new_value FROM journal_field WHERE seq = {seq} AND field = 'amount'")[0]
    salt, _ = json.loads(stored)
    tamper(db, backend, f"UPDATE journal_field SET new_value = ?, new_digest = ? WHERE seq = {seq} AND field = 'amount'",
           json.dumps([salt, 1200]), value_digest(salt, 1200))
    r = seeded("journal", "verify")
    assert r.exit_code == 1
    assert f"Journal row {seq} " in r.stderr


def test_removed_row_is_detected(seeded, db, backend):
    drop_guards(db, backend)
    tamper(db, backend, "DELETE FROM journal_field WHERE seq = 3")
    tamper(db, backend, "DELETE FROM journal WHERE seq = 3")
    r = seeded("journal", "verify")
    assert r.exit_code == 1
    assert "Journal row 3 is missing" in r.stderr


def test_cut_off_rows_are_detected_with_a_recorded_head(seeded, db, backend):
    count, digest = verified_head(seeded)
    drop_guards(db, backend)
    previous, = db.query("SELECT hash FROM journal WHERE seq = ?", count - 1)[0]
    tamper(db, backend, "DELETE FROM journal_field WHERE seq = ?", count)
    tamper(db, backend, "DELETE FROM journal WHERE seq = ?", count)
    tamper(db, backend, "UPDATE journal_head SET seq = ?, hash = ?", count - 1, previous)
    assert seeded("journal", "verify").exit_code == 0  # a chain alone cannot show its newest rows were cut off
    r = seeded("journal", "verify", "--head", f"{count}:{digest}")
    assert r.exit_code == 1
    assert "past the end" in r.stderr


# --- demo --------------------------------------------------------------------------------------


def test_demo_size_writes_one_row_for_the_synthetic_batch(cli, db):
    r = cli("demo", "--size", "300")
    assert r.exit_code == 0, r.stderr
    rows = changes(cli)
    synthetic = [c for c in rows if c["field"] == "synthetic_deals"]
    assert [(c["record_type"], c["record_id"], c["old"], c["new"]) for c in synthetic] == [("deal", None, None, 300)]
    assert synthetic[0]["command"] == "salescrm demo --size 300"
    examples = db.count("deal") - 300
    assert examples > 0
    # The examples are journaled one by one; the synthetic deals only as the batch.
    assert db.count("journal", "record_type = 'deal' AND action = 'insert'") == examples
    assert db.count("journal", "action = 'bulk insert'") == 1
    assert len(rows) > 1
    verified_head(cli)
