"""The journal proves what it claims: `db check` reconciles every record with the journal, checks the
journal's protective triggers, anchors kept outside the file catch a rewritten chain, and chain v2
lets an erasure blank a command or a reason."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from tests.test_journal import drop_guards, execute, tamper

ANCHOR = re.compile(r"^([0-9a-f-]{36}) (\d+):([0-9a-f]{64})$")


@contextmanager
def guards_down(db, backend):
    """Drop the journal's triggers for the block, then re-create them exactly as they were."""
    if backend == "sqlite":
        saved = [sql for (sql,) in db.query("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                                            "AND tbl_name IN ('journal', 'journal_field', 'journal_head')")]
    else:
        saved = [d for (d,) in db.query(
            "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND c.relname IN ('journal', 'journal_field', 'journal_head')")]
    drop_guards(db, backend)
    if backend == "postgresql":
        with db.engine.begin() as conn:
            for table in ("journal", "journal_field", "journal_head"):
                conn.exec_driver_sql(f"DROP TRIGGER {table}_no_truncate ON {table}")
    yield
    if backend == "sqlite":
        con = sqlite3.connect(db.location.path)
        try:
            for sql in saved:
                con.execute(sql)
            con.commit()
        finally:
            con.close()
    else:
        with db.engine.begin() as conn:
            for sql in saved:
                conn.exec_driver_sql(sql)


def check(cli):
    """`db check`'s exit code and its problem lines (without the closing line naming the checks run)."""
    r = cli("db", "check")
    lines = r.stderr.splitlines()
    if r.exit_code == 1:
        assert re.fullmatch(r"Checks run on (SQLite|PostgreSQL): .*journal-protection, reconciliation.*\.", lines[-1]), lines
        lines = lines[:-1]
    return r.exit_code, lines


def reconciliation_problems(lines: list[str]) -> list[str]:
    return [line.removeprefix("Problem: reconciliation: ") for line in lines if line.startswith("Problem: reconciliation: ")]


def rechain(db, backend) -> None:
    """Recompute every row's hash and the head, as a 19-line script with the database's access could."""
    from salescrm.store.journal_chain import GENESIS, entry_hash

    prev = GENESIS
    rows = db.query("SELECT seq, at, actor, command, reason, record_type, record_id, action, version, salt, "
                    "command_digest, reason_digest FROM journal ORDER BY seq")
    keys = ("seq", "at", "actor", "command", "reason", "record_type", "record_id", "action", "version", "salt",
            "command_digest", "reason_digest")
    for n, row in enumerate(rows, start=1):
        entry = dict(zip(keys, row))
        digests = db.query("SELECT field, old_digest, new_digest FROM journal_field WHERE seq = ?", entry["seq"])
        if isinstance(entry["at"], str):
            from datetime import datetime
            entry["at"] = datetime.fromisoformat(entry["at"])
        new_hash = entry_hash(prev, entry, [tuple(d) for d in digests])
        tamper(db, backend, "UPDATE journal SET seq = ?, prev_hash = ?, hash = ? WHERE seq = ?", n, prev, new_hash, entry["seq"])
        tamper(db, backend, "UPDATE journal_field SET seq = ? WHERE seq = ?", n, entry["seq"])
        prev = new_hash
    tamper(db, backend, "UPDATE journal_head SET seq = ?, hash = ?", len(rows), prev)


# --- reconciliation ------------------------------------------------------------------------------


def test_a_sound_database_reconciles(seeded):
    assert check(seeded) == (0, [])


def test_an_amount_changed_by_sql_is_reported(seeded, db, backend):
    assert seeded("deal", "edit", "1", "--amount", "13000").exit_code == 0
    tamper(db, backend, "UPDATE deal SET amount_cents = 99900000 WHERE id = 1")
    assert seeded("journal", "verify").exit_code == 0  # the chain is intact: only the record changed
    code, lines = check(seeded)
    assert code == 1
    assert lines == ["Problem: reconciliation: Deal 1 changed outside salescrm: amount is 999000 in the database, "
                     "13000 in the journal."]


def test_fields_and_links_changed_by_sql_are_each_reported(seeded, db, backend):
    tamper(db, backend, "UPDATE contact SET email = 'mallory@example.com' WHERE id = 1")
    tamper(db, backend, "DELETE FROM deal_contact WHERE deal_id = 1")
    tamper(db, backend, "UPDATE team_member SET role = 'JD-001' WHERE id = 1")
    code, lines = check(seeded)
    assert code == 1
    assert reconciliation_problems(lines) == [
        'Team member 1 changed outside salescrm: role is "JD-001" in the database, "JD-019" in the journal.',
        'Contact 1 changed outside salescrm: email is "mallory@example.com" in the database, "marta@sanitas.es" in the journal.',
        "Deal 1 changed outside salescrm: contacts is empty in the database, [1] in the journal.",
    ]


def test_a_record_added_or_removed_by_sql_is_reported(seeded, db, backend):
    tamper(db, backend, "INSERT INTO team_member (name, name_key, role, created_at) VALUES ('Eve', 'eve', 'JD-019', ?)",
           "2026-01-01 00:00:00")
    tamper(db, backend, "DELETE FROM task WHERE id = 1")
    code, lines = check(seeded)
    assert code == 1
    problems = reconciliation_problems(lines)
    assert problems[0] == "Team member 3 changed outside salescrm: no journal row records it."
    assert problems[1].startswith("Task 1 changed outside salescrm: the journal has it, the database does not")


def test_three_newest_rows_cut_off_with_the_head_moved_back_are_caught(seeded, db, backend):
    n = db.count("journal")
    with guards_down(db, backend):
        tamper(db, backend, "DELETE FROM journal_field WHERE seq > ?", n - 3)
        tamper(db, backend, "DELETE FROM journal WHERE seq > ?", n - 3)
        previous, = db.query("SELECT hash FROM journal WHERE seq = ?", n - 3)[0]
        tamper(db, backend, "UPDATE journal_head SET seq = ?, hash = ?", n - 3, previous)
    assert seeded("journal", "verify").exit_code == 0  # a chain alone cannot show it
    code, lines = check(seeded)
    assert code == 1
    assert not [line for line in lines if "journal-protection" in line]  # the triggers are back
    assert reconciliation_problems(lines)


def test_a_wiped_journal_is_caught(seeded, db, backend):
    with guards_down(db, backend):
        tamper(db, backend, "DELETE FROM journal_field")
        tamper(db, backend, "DELETE FROM journal")
        tamper(db, backend, "UPDATE journal_head SET seq = 0, hash = ?", "0" * 64)
    verify = seeded("journal", "verify")
    assert verify.stdout.startswith("Journal intact: 0 rows.")
    code, lines = check(seeded)
    assert code == 1
    assert reconciliation_problems(lines) == [
        "Team member 1 changed outside salescrm: no journal row records it.",
        "Team member 2 changed outside salescrm: no journal row records it.",
        "Company 1 changed outside salescrm: no journal row records it.",
        "Contact 1 changed outside salescrm: no journal row records it.",
        "Deal 1 changed outside salescrm: no journal row records it.",
        "Task 1 changed outside salescrm: no journal row records it.",
    ]


def test_a_rechained_journal_is_caught(seeded, db, backend):
    line = seeded("journal", "anchor")
    assert line.exit_code == 0, line.stderr
    assert seeded("deal", "edit", "1", "--amount", "13000").exit_code == 0
    edit, = db.query("SELECT max(seq) FROM journal")[0]
    with guards_down(db, backend):  # remove the edit's row and re-chain the rest
        tamper(db, backend, "DELETE FROM journal_field WHERE seq = ?", edit)
        tamper(db, backend, "DELETE FROM journal WHERE seq = ?", edit)
        rechain(db, backend)
    assert seeded("journal", "verify", "--head", line.stdout.split()[1]).exit_code == 0  # the old head is still there
    code, lines = check(seeded)
    assert code == 1
    assert reconciliation_problems(lines) == [
        "Deal 1 changed outside salescrm: amount is 13000 in the database, 12000 in the journal."]


def test_a_rechained_history_is_caught_by_an_anchor(seeded, db, backend):
    line = seeded("journal", "anchor").stdout.strip()
    with guards_down(db, backend):  # change who made the first row, and re-chain
        tamper(db, backend, "UPDATE journal SET actor = 'mallory' WHERE seq = 1")
        rechain(db, backend)
    assert check(seeded) == (0, [])  # the records still match the journal's values
    r = seeded("journal", "verify")
    assert r.exit_code == 1
    count = line.split()[1].split(":")[0]
    assert re.fullmatch(rf"The anchor {count}:[0-9a-f]{{64}} taken .* UTC \(in .*journal-anchors.txt\) fails: it is "
                        rf"not part of this chain: row {count} has hash [0-9a-f]{{64}}\.", r.stderr.strip()), r.stderr


def test_an_erased_value_is_compared_by_digest(seeded, db, backend):
    seq, = db.query("SELECT min(seq) FROM journal_field WHERE field = 'email'")[0]
    execute(db, f"UPDATE journal_field SET new_value = NULL WHERE seq = {seq} AND field = 'email'")  # allowed: an erasure
    assert check(seeded) == (0, [])
    tamper(db, backend, "UPDATE contact SET email = 'mallory@example.com' WHERE id = 1")
    code, lines = check(seeded)
    assert code == 1
    assert reconciliation_problems(lines) == [
        'Contact 1 changed outside salescrm: email is "mallory@example.com" in the database, '
        "an erased value (its digest differs) in the journal."]
    assert "marta" not in "\n".join(lines)


def test_demo_size_records_are_reconciled_against_their_bulk_row(cli, db, backend):
    assert cli("demo", "--size", "1500").exit_code == 0
    bulk = {c["field"]: c["new"] for c in json.loads(cli("journal", "show", "--json").stdout) if c["record_id"] is None
            and c["record_type"] == "deal"}
    first, last = bulk["deal_ids"]
    assert last - first + 1 == 1500 == bulk["synthetic_deals"]
    assert len(bulk["deal_digests"]) == 2
    assert check(cli) == (0, [])
    assert cli("deal", "edit", str(first + 3), "--amount", "5").exit_code == 0  # a journaled change is fine
    assert check(cli) == (0, [])
    tamper(db, backend, f"UPDATE deal SET amount_cents = 1 WHERE id = {last}")
    code, lines = check(cli)
    assert code == 1
    assert lines == [f"Problem: reconciliation: Changed outside salescrm: the deal records {first + 1000}-{last}, written "
                     f"in bulk by journal row {db.query('SELECT seq FROM journal WHERE action = ?', 'bulk insert')[0][0]}, "
                     "no longer match the digest that row recorded (a record was changed, added or removed)."]


# --- the protection is checked -------------------------------------------------------------------


def test_a_dropped_trigger_is_reported(seeded, db, backend):
    name, table = ("journal_no_delete", "journal") if backend == "sqlite" else ("journal_append_only", "journal")
    tamper(db, backend, f"DROP TRIGGER {name}" + (f" ON {table}" if backend == "postgresql" else ""))
    code, lines = check(seeded)
    assert code == 1
    assert lines == [f"Problem: journal-protection: the trigger {name} on {table} is missing, so the journal can be "
                     "changed without the database refusing it"]


def test_a_disabled_trigger_is_reported(seeded, db, backend):
    if backend != "postgresql":
        pytest.skip("SQLite triggers cannot be disabled, only dropped")
    tamper(db, backend, "ALTER TABLE journal_field DISABLE TRIGGER journal_field_erase_only")
    code, lines = check(seeded)
    assert code == 1
    assert lines == ["Problem: journal-protection: the trigger journal_field_erase_only on journal_field is disabled; "
                     "enable it with: ALTER TABLE journal_field ENABLE TRIGGER journal_field_erase_only"]


@pytest.mark.parametrize("table", ["journal", "journal_field", "journal_head"])
def test_truncate_of_the_journal_is_refused(seeded, db, backend, table):
    if backend != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its DELETE triggers refuse")
    before = db.count("journal"), db.count("journal_field")
    with pytest.raises(sa.exc.DBAPIError) as raised:
        execute(db, f"TRUNCATE {table} CASCADE")
    assert "append-only" in str(raised.value)
    assert (db.count("journal"), db.count("journal_field")) == before


# --- chain v2 ------------------------------------------------------------------------------------


def test_erasing_a_command_and_a_reason_keeps_the_chain(seeded, db):
    assert seeded("deal", "edit", "1", "--amount", "13000", "--reason", "Marta Ruiz asked").exit_code == 0
    seq, = db.query("SELECT max(seq) FROM journal")[0]
    execute(db, f"UPDATE journal SET command = '', reason = NULL WHERE seq = {seq}")
    assert db.query(f"SELECT command, reason FROM journal WHERE seq = {seq}") == [("", None)]
    assert seeded("journal", "verify").exit_code == 0


@pytest.mark.parametrize("sql", [
    "UPDATE journal SET command = 'salescrm deal show 1' WHERE seq = {seq}",
    "UPDATE journal SET reason = 'Another reason' WHERE seq = {seq}",
    "UPDATE journal SET command_digest = NULL, command = '' WHERE seq = {seq}",
])
def test_a_command_or_reason_can_only_be_erased(seeded, db, sql):
    assert seeded("deal", "edit", "1", "--amount", "13000", "--reason", "Why").exit_code == 0
    seq, = db.query("SELECT max(seq) FROM journal")[0]
    with pytest.raises(sa.exc.DBAPIError) as raised:
        execute(db, sql.format(seq=seq))
    assert "append-only" in str(raised.value)


def test_a_changed_command_is_detected(seeded, db, backend):
    drop_guards(db, backend)
    tamper(db, backend, "UPDATE journal SET command = 'salescrm team list' WHERE seq = 3")
    r = seeded("journal", "verify")
    assert r.exit_code == 1
    assert r.stderr.strip() == ("Journal row 3: its command does not match its digest: it was changed after it was "
                                "written.")


def test_new_rows_are_chain_v2(seeded, db):
    rows = db.query("SELECT version, length(salt), length(command_digest), reason_digest FROM journal")
    assert rows and set(rows) == {(2, 16, 64, None)}


# --- anchors -------------------------------------------------------------------------------------


def anchor_path(tmp_path):
    return tmp_path / "data" / "journal-anchors.txt"


def test_anchor_prints_the_head_and_keeps_it_in_a_private_file(seeded, db, tmp_path):
    r = seeded("journal", "anchor")
    assert r.exit_code == 0, r.stderr
    dbid, = db.query("SELECT value FROM setting WHERE key = 'database_id'")[0]
    seq, head_hash = db.query("SELECT seq, hash FROM journal_head")[0]
    assert r.stdout == f"{dbid} {seq}:{head_hash}\n"
    path = anchor_path(tmp_path)
    assert r.stderr == f"Appended to {path}; `salescrm journal verify` checks it.\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert re.fullmatch(rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ {dbid} {seq}:{head_hash}\n", path.read_text())
    assert seeded("deal", "edit", "1", "--amount", "13000").exit_code == 0
    assert seeded("journal", "anchor").exit_code == 0
    v = seeded("journal", "verify")
    assert v.exit_code == 0, v.stderr
    assert v.stdout.splitlines()[1] == f"Checked 2 anchors of database {dbid} in {path}: 2 part of this chain."


def test_verify_ignores_anchors_of_other_databases(seeded, db, tmp_path):
    dbid, = db.query("SELECT value FROM setting WHERE key = 'database_id'")[0]
    path = anchor_path(tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"2026-01-01T00:00:00Z 00000000-0000-4000-8000-000000000000 3:{'a' * 64}\n")
    v = seeded("journal", "verify")
    assert v.exit_code == 0, v.stderr
    assert v.stdout.splitlines()[1].startswith(f"No anchors of database {dbid} in {path}")


def test_an_anchor_past_the_end_fails(seeded, db, backend, tmp_path):
    assert seeded("journal", "anchor").exit_code == 0
    n = db.count("journal")
    with guards_down(db, backend):
        tamper(db, backend, "DELETE FROM journal_field WHERE seq = ?", n)
        tamper(db, backend, "DELETE FROM journal WHERE seq = ?", n)
        previous, = db.query("SELECT hash FROM journal WHERE seq = ?", n - 1)[0]
        tamper(db, backend, "UPDATE journal_head SET seq = ?, hash = ?", n - 1, previous)
    r = seeded("journal", "verify")
    assert r.exit_code == 1
    assert f"fails: it is past the end of the journal ({n - 1} rows): rows were cut off." in r.stderr


def test_an_anchor_before_a_journaled_restore_is_superseded(seeded, db, location, tmp_path):
    from datetime import datetime, timezone

    from salescrm.store import engine as store_engine
    from salescrm.store import journal

    assert seeded("deal", "edit", "1", "--amount", "13000").exit_code == 0
    assert seeded("journal", "anchor").exit_code == 0
    dbid, = db.query("SELECT value FROM setting WHERE key = 'database_id'")[0]
    n = db.count("journal")
    # What `db restore` leaves: the backup's journal (here: the rows up to n - 1, re-chained as a new
    # branch by one differing row) and the row saying that it was restored.
    path = anchor_path(tmp_path)
    lines = path.read_text().splitlines()
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    path.write_text("\n".join(lines) + f"\n2020-01-01T00:00:00Z {dbid} {n}:{'b' * 64}\n")
    with store_engine.write_session(location, actor="tester", command="salescrm db restore backup.db --force") as s:
        journal.append(s.connection(), s.info, [journal.Change("database", None, "restore", {
            "from_file": (None, "/backups/backup.db"), "journal_head": (None, f"{n}:{'c' * 64}")})])
    r = seeded("journal", "verify")
    assert r.exit_code == 0, r.stderr
    out = r.stdout.splitlines()
    assert out[1] == f"Checked 2 anchors of database {dbid} in {path}: 1 part of this chain, 1 superseded."
    assert re.fullmatch(rf"The anchor {n}:b{{64}} taken 2020-01-01 00:00 UTC is superseded by the restore of {when} "
                        r"\d\d:\d\d UTC\.", out[2])


@pytest.mark.no_database
def test_docs_list_the_fields_reconciled():
    from pathlib import Path

    from salescrm.store.reconcile import journaled_fields

    text = (Path(__file__).resolve().parent.parent / "docs" / "journal.md").read_text(encoding="utf-8")
    for record_type, names in journaled_fields().items():
        line = next(line for line in text.splitlines() if line.startswith(f"| {record_type} |"))
        assert line == f"| {record_type} | " + ", ".join(f"`{n}`" for n in names) + " |"


@pytest.mark.sqlite_only
def test_an_anchor_superseded_by_a_real_restore(seeded, db, tmp_path):
    from datetime import datetime, timezone

    backup = tmp_path / "backup.db"
    assert seeded("db", "backup", str(backup)).exit_code == 0
    kept = seeded("journal", "anchor").stdout.split()[1]  # the backup's head: still part of the chain
    assert seeded("deal", "edit", "1", "--amount", "13000").exit_code == 0
    lost = seeded("journal", "anchor").stdout.split()[1]  # the edit's head: gone with the restore
    r = seeded("db", "restore", str(backup), "--force")
    assert r.exit_code == 0, r.stderr
    v = seeded("journal", "verify")
    assert v.exit_code == 0, v.stderr
    out = v.stdout.splitlines()
    assert out[1].startswith("Checked 2 anchors of database ") and out[1].endswith(": 1 part of this chain, 1 superseded.")
    assert re.fullmatch(rf"The anchor {lost} taken .* UTC is superseded by the restore of "
                        rf"{datetime.now(timezone.utc):%Y-%m-%d} \d\d:\d\d UTC\.", out[2])
    assert kept != lost
    assert check(seeded) == (0, [])  # the restored records match the restored journal
