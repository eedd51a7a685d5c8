"""The process a database is bound to (issue 12): the `process_revision` ledger that migration 0007 adds,
its first row, and the triggers that keep it append-only."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa

from salescrm.process import load
from tests.conftest import QUALIFIED, Database
from tests.helpers import new_database, ok


def test_a_new_database_follows_the_default_process(cli, db):
    ok(cli("team", "list"))
    text = load.shipped_text("sp-009-001")
    assert db.query("SELECT id, name, revision, body, sha256, reason FROM process_revision") == [
        (1, "sp-009-001", "1", text, hashlib.sha256(text.encode()).hexdigest(), "chosen when the database was created")]


def test_the_ledger_of_revisions_cannot_be_changed_or_emptied(cli, db, backend):
    ok(cli("team", "list"))
    for sql in ("UPDATE process_revision SET reason = 'rewritten'", "DELETE FROM process_revision",
                *(["TRUNCATE process_revision CASCADE"] if backend == "postgresql" else [])):
        with pytest.raises(sa.exc.DatabaseError, match="process_revision is a ledger"):
            with db.engine.begin() as conn:
                conn.exec_driver_sql(sql)
    assert db.query("SELECT reason FROM process_revision") == [("chosen when the database was created",)]
    assert ok(cli("db", "check")).exit_code == 0


def test_db_check_reports_a_dropped_revision_trigger(cli, db, backend):
    drop = ("DROP TRIGGER process_revision_no_update" if backend == "sqlite"
            else "DROP TRIGGER process_revision_ledger ON process_revision")
    with db.engine.begin() as conn:
        conn.exec_driver_sql(drop)
    r = cli("db", "check")
    assert r.exit_code == 1
    trigger = "process_revision_no_update" if backend == "sqlite" else "process_revision_ledger"
    assert (f"journal-protection: the trigger {trigger} on process_revision is missing, so the journal can be "
            "changed without the database refusing it") in r.stderr


# --- salescrm init --process NAME ----------------------------------------------------------------


def test_init_binds_the_new_database_to_the_process_chosen(sh, request, backend, tmp_path):
    url = new_database(request, backend, tmp_path, schema=False)
    r = sh("--db", url, "init", "--process", "sp-009-001", "--json")
    assert r.exit_code == 0, r.stderr
    other = Database(url)
    try:
        assert json.loads(r.stdout) == {"database": other.location.display, "currency": "EUR",
                                        "process": {"name": "sp-009-001", "revision": 1}}
        assert other.query("SELECT id, name, revision, reason FROM process_revision") == [
            (1, "sp-009-001", "1", "chosen when the database was created")]
    finally:
        other.close()


def test_init_refuses_a_process_that_is_not_shipped_and_makes_nothing(sh, request, backend, tmp_path):
    url = new_database(request, backend, tmp_path, schema=False)
    r = sh("--db", url, "init", "--process", "health", "--currency", "USD")
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == (f"--process 'health' is not a process shipped with salescrm: choose one of "
                        f"{', '.join(load.shipped_names())} (a revision of it is applied later with "
                        "`salescrm process apply FILE`).\n")
    other = Database(url)
    try:
        assert not sa.inspect(other.engine).get_table_names()
    finally:
        other.close()


@pytest.fixture
def acme(tmp_path, monkeypatch):
    """A second shipped process, `acme` (sp-009-001 under another name), as the package could ship."""
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    text = load.shipped_text("sp-009-001")
    (shipped / "sp-009-001.toml").write_text(text, encoding="utf-8")
    (shipped / "acme.toml").write_text(text.replace('name = "sp-009-001"', 'name = "acme"', 1), encoding="utf-8")
    monkeypatch.setattr(load, "SHIPPED_DIR", shipped)
    return (shipped / "acme.toml").read_text(encoding="utf-8")


def test_init_takes_any_shipped_process_and_only_for_that_database(cli, request, backend, tmp_path, acme):
    url = new_database(request, backend, tmp_path, schema=False)
    r = cli("--db", url, "init", "--process", "acme")
    assert (r.exit_code, r.stdout.splitlines()[0]) == (
        0, f"Database {Database(url).location.display} ready; it follows acme revision 1, and its currency is EUR.")
    other = Database(url)
    try:
        assert other.query("SELECT name, body, reason FROM process_revision") == [
            ("acme", acme, "chosen when the database was created")]
    finally:
        other.close()
    shown = json.loads(ok(cli("--db", url, "process", "show", "--json")).stdout)
    assert (shown["name"], shown["revision"]) == ("acme", 1)
    assert ok(cli("--db", url, "process", "export")).stdout == acme
    # The next database made in this run follows the default again.
    later = new_database(request, backend, tmp_path, schema=False)
    ok(cli("--db", later, "init"))
    after = Database(later)
    try:
        assert after.query("SELECT name FROM process_revision") == [("sp-009-001",)]
    finally:
        after.close()


@pytest.mark.sqlite_only
def test_show_and_export_without_a_database_say_it_is_the_shipped_default(sh, tmp_path):
    path = tmp_path / "none.db"
    r = sh("--db", str(path), "process", "export")
    assert (r.exit_code, r.stdout) == (0, load.shipped_text("sp-009-001"))
    assert r.stderr == (f"No database at {path} yet: this is the shipped sp-009-001, which `salescrm init` binds a new "
                        "database to (`init --process NAME` for another).\n")
    assert sh("--db", str(path), "process", "show").exit_code == 0
    assert not path.exists()


# --- Every stage change records the revision that allowed it -------------------------------------


def test_create_advance_and_lose_record_the_revision(seeded, db, tmp_path, monkeypatch):
    ok(seeded("deal", "advance", "1", *QUALIFIED))
    ok(seeded("team", "set-login", "Elena Ortiz", "elena"))
    monkeypatch.setenv("SALESCRM_USER", "elena")
    rev = tmp_path / "rev2.toml"
    rev.write_text(load.shipped_text("sp-009-001").replace("revision = 1", "revision = 2", 1), encoding="utf-8")
    ok(seeded("process", "apply", str(rev), "--reason", "rev 2"))
    ok(seeded("deal", "lose", "1", "--category", "Bad timing", "--reason", "Budget frozen"))
    ok(seeded("deal", "create", "--from", "1", "--amount", "15000", "--close-date", "2027-09-30"))
    assert db.query("SELECT deal_id, from_stage, to_stage, process_revision_id, import_batch_id, backout "
                    "FROM stage_change ORDER BY id") == [
        (1, None, "Prospected", 1, None, False), (1, "Prospected", "Qualified", 1, None, False),
        (1, "Qualified", "Lost", 2, None, False), (2, None, "Prospected", 2, None, False)]


# --- The accessor ----------------------------------------------------------------------------------


def test_the_process_is_read_once_per_session_and_falls_back_without_a_row(location, db, backend):
    from salescrm import process
    from salescrm.process import bound
    from salescrm.store import engine as store_engine

    with store_engine.read_session(location) as s:
        first = process.of(s)
        assert process.of(s) is first
        assert bound.revision_of(s).id == 1
    with store_engine.read_session(location) as s:
        assert process.of(s) is first  # parsed once per run, by the file's digest
    drop = (["DROP TRIGGER process_revision_no_delete"] if backend == "sqlite" else
            ["DROP TRIGGER process_revision_ledger ON process_revision"])
    with db.engine.begin() as conn:
        for sql in [*drop, "DELETE FROM process_revision"]:
            conn.exec_driver_sql(sql)
    with store_engine.read_session(location) as s:
        assert process.of(s) is load.shipped("sp-009-001")
        assert bound.revision_of(s).id is None


def test_a_stored_process_this_salescrm_cannot_read_is_said(cli, db):
    with db.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO process_revision (name, revision, body, sha256, reason, applied_by, applied_at) "
                             "VALUES ('future', '9', 'name = \"future\"\nrevision = 9\nshapes = 3\n', 'x', 'by SQL', "
                             "'someone', CURRENT_TIMESTAMP)"))
    r = cli("process", "show")
    assert r.exit_code == 1
    assert r.stderr.startswith("the database's process (revision 2) is not a valid process file: ")
    assert r.stderr.endswith("This salescrm cannot follow the process the database was bound to (future revision 9, "
                             "applied by someone): use the salescrm release that applied it, or apply a valid revision "
                             "with `salescrm process apply FILE`.\n")
