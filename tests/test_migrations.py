"""Schema migrations: an older SQLite file is upgraded with nothing lost, an older shared PostgreSQL
database is left to `salescrm db upgrade`, a newer one is refused, and first use is serialised."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import sqlite3
import subprocess
import sys

import pytest
import sqlalchemy as sa

from salescrm.store import engine as store_engine
from salescrm.store import migrate
from salescrm.store.engine import HEAD_REVISION
from tests.conftest import Database
from tests.helpers import FIXTURES, old_copy

_numbers = itertools.count(1)
# Each schema revision's fixture database, with its records as its `show --json` printed them (capture.py).
FIXTURE_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008")
# Fields that `show --json` gained with later revisions, and what an upgraded record holds in them.
ADDED_FIELDS = {
    "team": {"login": None},
    "companies": {"properties": {}},
    "contacts": {"channel": None, "search_engine": None, "keyword": None, "source_page": None, "consent": [],
                 "consent_state": {}, "properties": {}, "manual_lifecycle": None},
    "deals": {"currency": "EUR"},
    "tasks": {"closed_as": None},
}
# Fields added since that show a stored value under another name: a deal's `properties` are its gate values.
ADDED_AS = {"deals": {"properties": "gates"}}
# Migration 0005 writes one baseline journal entry per record the journal did not explain: every
# record of a 0001 file (its journal began empty), and the deals made before 0004 gave them a currency.
BASELINE_COMMAND = "salescrm (schema upgrade to revision 0005)"
_DEALS = {("deal", n) for n in range(1, 13)}
BASELINES = {
    "0001": {("team_member", n) for n in range(1, 5)} | {("company", n) for n in range(1, 9)}
    | {("contact", n) for n in range(1, 10)} | _DEALS,
    "0002": _DEALS, "0003": _DEALS, "0004": _DEALS,
    "0005": _DEALS,  # written when this fixture was brought from 0004 to 0005, before it was captured
    "0006": _DEALS,  # the same rows, which the 0005 fixture held when it was brought to 0006
    "0007": _DEALS,  # and again, from the 0006 fixture it was made from
    "0008": _DEALS,  # the 0007 fixture brought to 0008
}
# Keys the JSON gained without a new column (a stored value shown since): compared when captured.
JSON_ADDED = {"deals": {"owner_id"}}
# Lists of other records nested in a record's JSON, and the kind of record they hold.
NESTED = {"companies": {"deals": "deals"}}
# Computed by `show` (from activities, tasks and stage changes, or the clock), not stored.
SHOW_ONLY = {"timeline", "overdue"}


def records_of(revision: str) -> dict:
    return json.loads((FIXTURES / f"schema-{revision}.json").read_text(encoding="utf-8"))


def same_record(kind: str, now: dict, captured: dict) -> bool:
    """A record after the upgrade equals the captured one, plus the fields added since, at their defaults."""
    added = {k: v for k, v in ADDED_FIELDS.get(kind, {}).items() if k not in captured}
    added.update({k: captured[source] for k, source in ADDED_AS.get(kind, {}).items() if k not in captured and source in captured})
    kept = {k: v for k, v in now.items() if k not in SHOW_ONLY
            and not (k in JSON_ADDED.get(kind, ()) and k not in captured)}
    expected = {k: v for k, v in {**captured, **added}.items() if k not in SHOW_ONLY}
    for key, nested_kind in NESTED.get(kind, {}).items():
        if isinstance(kept.get(key), list) and isinstance(expected.get(key), list):
            if len(kept[key]) != len(expected[key]):
                return False
            if not all(same_record(nested_kind, a, b) for a, b in zip(kept[key], expected[key])):
                return False
            kept, expected = {k: v for k, v in kept.items() if k != key}, {k: v for k, v in expected.items() if k != key}
    return kept == expected


def sqlite_rows(path, sql: str) -> list[tuple]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def shown(cli, *args: str):
    r = cli(*args, "--json")
    assert r.exit_code == 0, (args, r.stderr)
    return json.loads(r.stdout)


# --- an older SQLite file ------------------------------------------------------------------------


@pytest.mark.parametrize("revision", FIXTURE_REVISIONS)
def test_fixture_is_at_its_revision(revision):
    assert sqlite_rows(FIXTURES / f"schema-{revision}.db", "SELECT version_num FROM alembic_version") == [(revision,)]
    sizes = {k: len(v) for k, v in records_of(revision).items()}
    assert sizes == {"0001": {"companies": 8, "contacts": 9, "deals": 12, "team": 4},
                     "0002": {"companies": 9, "contacts": 9, "deals": 12, "team": 4, "journal": 363},
                     "0003": {"companies": 9, "contacts": 9, "deals": 12, "team": 4, "journal": 435,
                              "tasks": 5, "activities": 5},
                     "0004": {"companies": 10, "contacts": 10, "deals": 13, "team": 4, "journal": 470,
                              "tasks": 6, "activities": 5},
                     "0005": {"companies": 11, "contacts": 11, "deals": 13, "team": 4, "journal": 507,
                              "tasks": 7, "activities": 6},
                     "0006": {"companies": 12, "contacts": 12, "deals": 14, "team": 4, "journal": 566,
                              "tasks": 9, "activities": 7},
                     "0007": {"companies": 13, "contacts": 13, "deals": 15, "team": 4, "journal": 624,
                              "tasks": 11, "activities": 8},
                     "0008": {"companies": 13, "contacts": 13, "deals": 15, "team": 4, "journal": 624,
                              "tasks": 11, "activities": 8}}[revision]


@pytest.mark.sqlite_only
def test_older_file_is_upgraded_on_first_use_with_a_copy(sh, tmp_path):
    path = old_copy(tmp_path)
    r = sh("--db", str(path), "team", "list")
    assert r.exit_code == 0, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    [copy] = sorted(tmp_path.glob("*.bak"))
    assert lines[0].startswith("Upgraded the database")
    assert lines[0] == (f"Upgraded the database {path} from schema revision 0001 to {HEAD_REVISION}; "
                        f"the copy from before is {copy}.")
    assert sqlite_rows(path, "SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]
    assert sqlite_rows(copy, "SELECT version_num FROM alembic_version") == [("0001",)]
    assert "Ana García" in r.stdout
    again = sh("--db", str(path), "team", "list")
    assert again.exit_code == 0
    assert again.stderr == ""
    assert len(list(tmp_path.glob("*.bak"))) == 1


@pytest.mark.sqlite_only
@pytest.mark.parametrize("revision", FIXTURE_REVISIONS)
def test_upgrade_loses_and_changes_nothing(cli, tmp_path, monkeypatch, revision):
    path = old_copy(tmp_path, revision)
    records = records_of(revision)
    monkeypatch.setenv("SALESCRM_DB", str(path))
    r = cli("team", "list", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.stderr.startswith(f"Upgraded the database {path} from schema revision {revision} to {HEAD_REVISION}")
    assert sqlite_rows(path, "SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]
    team = sorted(json.loads(r.stdout), key=lambda m: m["id"])
    assert len(team) == len(records["team"])
    for member, captured in zip(team, sorted(records["team"], key=lambda m: m["id"])):
        assert same_record("team", member, captured), (member, captured)
    for kind, command in (("deals", "deal"), ("companies", "company"), ("contacts", "contact")):
        ids = [obj["id"] for obj in records[kind]]
        assert len(ids) == len(set(ids))
        for captured in records[kind]:
            now = shown(cli, command, "show", str(captured["id"]))
            assert same_record(kind, now, captured), (kind, captured["id"], now, captured)
        listed = shown(cli, command, "list")
        assert sorted(obj["id"] for obj in listed) == sorted(ids), kind  # nothing added either
    journal = shown(cli, "journal", "show")
    assert [c for c in journal if c["command"] != BASELINE_COMMAND] == [
        c for c in records.get("journal", []) if c["command"] != BASELINE_COMMAND]
    baseline = {(c["record_type"], c["record_id"]) for c in journal if c["command"] == BASELINE_COMMAND}
    assert baseline == BASELINES[revision]
    tasks = shown(cli, "task", "list", "--all")
    assert len(tasks) == len(records.get("tasks", []))
    for now, captured in zip(tasks, records.get("tasks", [])):
        assert same_record("tasks", now, captured), (now, captured)
    assert shown(cli, "activity", "list") == records.get("activities", [])
    v = cli("journal", "verify")
    assert v.exit_code == 0, v.stderr
    rows = len({e["seq"] for e in records.get("journal", [])} | {c["seq"] for c in journal if c["command"] == BASELINE_COMMAND})
    assert v.stdout.startswith(f"Journal intact: {rows} rows.")
    check = cli("db", "check")
    assert check.exit_code == 0, check.stderr


@pytest.mark.sqlite_only
@pytest.mark.parametrize("revision", ("0001", "0006"))
def test_upgrade_binds_the_file_to_the_shipped_process(cli, tmp_path, monkeypatch, revision):
    """Migration 0007: an existing file follows sp-009-001, as the released schema's databases did; its
    stage changes keep their rows, made before any revision (NULL), none of them a back-out or an import."""
    from salescrm.process import load

    path = old_copy(tmp_path, revision)
    columns = "id, deal_id, from_stage, to_stage, changed_at, changed_by"
    before = sqlite_rows(path, f"SELECT {columns} FROM stage_change ORDER BY id")
    monkeypatch.setenv("SALESCRM_DB", str(path))
    monkeypatch.setenv("SALESCRM_USER", "admin")
    assert cli("team", "list").exit_code == 0
    text = load.shipped_text("sp-009-001")
    assert sqlite_rows(path, "SELECT id, name, revision, body, sha256, reason, applied_by FROM process_revision") == [
        (1, "sp-009-001", "1", text, hashlib.sha256(text.encode()).hexdigest(), "bound at upgrade to schema 0007", "admin")]
    assert sqlite_rows(path, f"SELECT {columns} FROM stage_change ORDER BY id") == before
    assert sqlite_rows(path, "SELECT DISTINCT process_revision_id, import_batch_id, backout FROM stage_change") == [
        (None, None, 0)]
    for table in ("company", "contact", "deal"):
        assert sqlite_rows(path, f"SELECT DISTINCT external_id, source_system FROM {table}") == [(None, None)]
    assert sqlite_rows(path, "SELECT DISTINCT source_name FROM deal") == [(None,)]
    assert [sqlite_rows(path, f"SELECT count(*) FROM {t}") for t in ("company_property", "contact_property",
                                                                     "import_batch")] == [[(0,)]] * 3
    assert not any(c["record_type"] == "process_revision" for c in shown(cli, "journal", "show"))
    assert cli("db", "check").exit_code == 0


@pytest.mark.sqlite_only
def test_upgrade_keeps_every_reference_to_the_copied_tables(tmp_path):
    """SQLite's batch mode copies `company` and `contact`: the rows that point at them survive it."""
    tables = ("contact_company", "deal_contact", "deal", "stage_change", "gate_value")
    # The columns each table had then (later revisions add columns, and those are checked elsewhere).
    columns = {t: ", ".join(c[1] for c in sqlite_rows(FIXTURES / "schema-0002.db", f"PRAGMA table_info({t})"))
               for t in tables}
    before = {t: sqlite_rows(FIXTURES / "schema-0002.db", f"SELECT {columns[t]} FROM {t} ORDER BY 1, 2") for t in tables}
    path = old_copy(tmp_path, "0002")
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    for table, rows in before.items():
        assert sqlite_rows(path, f"SELECT {columns[table]} FROM {table} ORDER BY 1, 2") == rows, table
    assert sqlite_rows(path, "PRAGMA foreign_key_check") == []
    assert sqlite_rows(path, "PRAGMA integrity_check") == [("ok",)]


@pytest.mark.sqlite_only
def test_upgraded_file_journals_new_changes(cli, tmp_path, monkeypatch):
    path = old_copy(tmp_path)
    monkeypatch.setenv("SALESCRM_DB", str(path))
    r = cli("deal", "edit", "12", "--amount", "16000", "--reason", "After the upgrade")
    assert r.exit_code == 0, r.stderr
    rows = [c for c in shown(cli, "journal", "show") if c["command"] != BASELINE_COMMAND]
    assert [(c["record_type"], c["record_id"], c["field"], c["old"], c["new"], c["reason"]) for c in rows] == [
        ("deal", 12, "amount", 15000, 16000, "After the upgrade"),
    ]
    assert cli("journal", "verify").exit_code == 0
    assert cli("db", "check").exit_code == 0


# --- an older PostgreSQL database ----------------------------------------------------------------


@pytest.fixture
def pg_at_0001(backend, request):
    """A new PostgreSQL database migrated to revision 0001 only."""
    if backend != "postgresql":
        pytest.skip("about shared PostgreSQL databases (SQLite files are upgraded by themselves)")
    server = request.getfixturevalue("pg_server")
    if isinstance(server, str):
        pytest.skip(server)
    url = server.create_database(f"old_{os.getpid()}_{next(_numbers)}")
    engine = sa.create_engine(url)
    migrate.upgrade(engine, "0001")
    yield url, engine
    engine.dispose()
    store_engine.dispose_all()


def _revision(engine) -> str:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def test_older_postgresql_database_is_not_touched(pg_at_0001, cli):
    url, engine = pg_at_0001
    assert _revision(engine) == "0001"
    r = cli("--db", url, "team", "add", "Ana García", "--role", "JD-019")
    assert r.exit_code == 3
    assert "salescrm db upgrade" in r.stderr
    assert "0001" in r.stderr
    assert _revision(engine) == "0001"
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM team_member").scalar() == 0
        assert not sa.inspect(conn).has_table("journal")
    assert cli("--db", url, "team", "list").exit_code == 3
    status = cli("--db", url, "db", "status", "--json")
    assert status.exit_code == 0, status.stderr
    assert json.loads(status.stdout)["state"] == "older: run `salescrm db upgrade`"


def test_db_upgrade_brings_postgresql_to_head(pg_at_0001, cli):
    url, engine = pg_at_0001
    assert cli("--db", url, "team", "list").exit_code == 3
    r = cli("--db", url, "db", "upgrade")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("Upgraded ")
    assert f"from schema revision 0001 to {HEAD_REVISION}." in r.stdout
    assert _revision(engine) == HEAD_REVISION
    with engine.connect() as conn:  # bound to the shipped sp-009-001, as every database the released schema made
        assert conn.exec_driver_sql("SELECT id, name, revision, reason FROM process_revision").all() == [
            (1, "sp-009-001", "1", "bound at upgrade to schema 0007")]
    added = cli("--db", url, "team", "add", "Ana García", "--role", "JD-019")
    assert added.exit_code == 0, added.stderr
    listed = cli("--db", url, "team", "list", "--json")
    assert [m["name"] for m in json.loads(listed.stdout)] == ["Ana García"]
    v = cli("--db", url, "journal", "verify")
    assert v.exit_code == 0, v.stderr
    assert v.stdout.startswith("Journal intact: 1 rows.")
    assert cli("--db", url, "db", "upgrade").stdout.endswith(f"is already at schema revision {HEAD_REVISION}.\n")


# --- a newer database ----------------------------------------------------------------------------


def test_newer_postgresql_database_is_refused(cli, sh, db, backend):
    # SQLite: tests/test_store.py::test_newer_schema_revision_is_refused.
    if backend != "postgresql":
        pytest.skip("SQLite is covered in test_store.py")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    r = sh("team", "list")
    assert r.exit_code == 3
    assert "9999" in r.stderr
    assert "Upgrade salescrm" in r.stderr
    assert "Traceback" not in r.stderr
    u = sh("db", "upgrade")
    assert u.exit_code == 3
    assert "Upgrade salescrm" in u.stderr
    assert db.query("SELECT version_num FROM alembic_version") == [("9999",)]


# --- first use, by several processes at once -----------------------------------------------------


@pytest.mark.sqlite_only
def test_concurrent_first_use_of_a_new_file(tmp_path):
    db_path = tmp_path / "new.db"  # not the test's own database, which exists at the latest schema
    env = {**os.environ, "SALESCRM_DB": str(db_path)}
    processes = [
        subprocess.Popen([sys.executable, "-m", "salescrm", "team", "add", f"P{i}", "--role", "JD-019"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
        for i in range(4)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    results = [(p.returncode, out, err) for p, (out, err) in zip(processes, outputs)]
    for code, out, err in results:
        assert code == 0, err
    # The process that made the database says so; the others found it made.
    assert sorted(err for _, _, err in results) == ["", "", "", f"Created a new database at {db_path}\n"]
    db = Database(str(db_path))
    try:
        assert sorted(name for (name,) in db.query("SELECT name FROM team_member")) == ["P0", "P1", "P2", "P3"]
        assert db.query("SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]
        assert db.query("SELECT seq FROM journal_head") == [(4,)]
    finally:
        db.close()
