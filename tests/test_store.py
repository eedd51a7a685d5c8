"""The store: connection settings, transactions, concurrency, the schema revision, file modes, locations."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, select

from salescrm.domain import companies
from salescrm.errors import Refused
from salescrm.store import engine as store_engine
from salescrm.store import migrate
from salescrm.store import models
from salescrm.store.location import resolve
from salescrm.store.models import Company

from .conftest import SANITAS, Database
from .helpers import new_database


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# --- Connection settings ---------------------------------------------------------------


def _pragmas(session) -> dict:
    conn = session.connection()
    return {
        name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
        for name in ("foreign_keys", "journal_mode", "synchronous", "busy_timeout")
    }


EXPECTED_PRAGMAS = {"foreign_keys": 1, "journal_mode": "wal", "synchronous": 2, "busy_timeout": 30000}


@pytest.mark.sqlite_only
def test_read_session_connection_settings(location):
    with store_engine.read_session(location) as s:
        assert _pragmas(s) == EXPECTED_PRAGMAS


@pytest.mark.sqlite_only
def test_every_pooled_connection_has_the_settings(location):
    # Two sessions open at once hold two distinct connections of the pool.
    with store_engine.read_session(location) as a, store_engine.write_session(location, actor="tester") as b:
        assert a.connection().connection.dbapi_connection is not b.connection().connection.dbapi_connection
        assert _pragmas(a) == EXPECTED_PRAGMAS
        assert _pragmas(b) == EXPECTED_PRAGMAS


# --- Transactions -------------------------------------------------------------------------


def _other_writer_can_begin(path) -> bool:
    other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as e:
        assert "database is locked" in str(e)
        return False
    else:
        other.execute("ROLLBACK")
        return True
    finally:
        other.close()


@pytest.mark.sqlite_only
def test_write_session_begins_immediate(location, db_path):
    with store_engine.write_session(location, actor="tester") as s:
        # A read first: with pysqlite's default it would run outside any transaction and take no write lock.
        assert s.exec(select(Company)).all() == []
        assert not _other_writer_can_begin(db_path)
    assert _other_writer_can_begin(db_path)


@pytest.mark.sqlite_only
def test_read_session_does_not_block_writers(location, db_path):
    with store_engine.read_session(location) as s:
        assert s.exec(select(Company)).all() == []
        assert _other_writer_can_begin(db_path)


WRITER = textwrap.dedent(
    """
    import contextlib, io, json, os, sys, time
    from salescrm.cli.app import main

    proc, go = sys.argv[1], sys.argv[2]
    open(f"{go}.ready{proc}", "w").close()
    while not os.path.exists(go):
        time.sleep(0.005)
    results = []
    for i in range(10):
        sys.argv = ["salescrm", "company", "add", f"Co {proc}-{i}", "--country", "ES", "--website", "x.example"]
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                main()
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        results.append([code, err.getvalue()])
    print(json.dumps(results))
    """
)


def test_concurrent_writers_lose_nothing(tmp_path, db_url, db, cli):
    assert cli("team", "list").exit_code == 0  # the schema exists before the race
    go = tmp_path / "go"
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(p), str(go)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env={**os.environ, "SALESCRM_DB": db_url}, cwd=tmp_path)
        for p in range(4)
    ]
    deadline = time.monotonic() + 20  # every process imports the CLI, then they all start together
    while not all((tmp_path / f"go.ready{p}").exists() for p in range(4)) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    outputs = [p.communicate(timeout=60) for p in procs]
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err
        results = json.loads(out)
        assert [code for code, _ in results] == [0] * 10, results
    names = sorted(n for (n,) in db.query("SELECT name FROM company"))
    assert names == sorted(f"Co {p}-{i}" for p in range(4) for i in range(10))


def test_failed_write_leaves_nothing(location, read):
    with pytest.raises(Refused):
        with store_engine.write_session(location, actor="tester") as s:
            companies.add_company(s, "Sanitas Hospitales", "ES", "https://www.sanitas.es")
            companies.add_company(s, "Sanitas Hospitales", "ES", "https://www.sanitas.es")  # a duplicate: refused
    assert read(lambda s: s.exec(select(Company)).all()) == []


# --- Schema -------------------------------------------------------------------------------


def test_new_database_is_at_head(cli, db):
    assert cli("team", "list").exit_code == 0
    assert db.query("SELECT version_num FROM alembic_version") == [(store_engine.HEAD_REVISION,)]
    assert store_engine.HEAD_REVISION == migrate.head_revision()
    assert store_engine.KNOWN_REVISIONS[-1] == store_engine.HEAD_REVISION


def test_migrations_and_models_agree(cli, db):
    assert cli("team", "list").exit_code == 0
    models.declare_partial_indexes()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def _assert_clean_failure(r, code=3):
    assert r.exit_code == code, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr + r.stdout


@pytest.mark.parametrize("command", [["team", "list"], SANITAS])
def test_database_with_other_tables_is_refused(sh, request, backend, tmp_path, command):
    # Not the test's own database: on PostgreSQL that one is a copy of a template that holds salescrm's tables.
    other = Database(new_database(request, backend, tmp_path, schema=False))
    try:
        with other.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE foo(x integer)")
        r = sh("--db", other.location.url, *command)
        _assert_clean_failure(r)
        assert other.location.display in r.stderr
        assert "not salescrm's" in r.stderr
        assert sa.inspect(other.engine).get_table_names() == ["foo"]
    finally:
        other.close()


def test_newer_schema_revision_is_refused(sh, cli, db):
    assert cli("team", "list").exit_code == 0
    store_engine.dispose_all()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    r = sh("team", "list")
    _assert_clean_failure(r)
    assert db.location.display in r.stderr
    assert "9999" in r.stderr
    assert "Upgrade salescrm" in r.stderr


@pytest.mark.sqlite_only
def test_file_that_is_not_sqlite_is_refused(sh, tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"These are my notes, not a database.\n" * 200)
    r = sh("--db", str(path), "team", "list")
    _assert_clean_failure(r)
    assert str(path) in r.stderr
    assert path.read_bytes() == b"These are my notes, not a database.\n" * 200


# --- File modes ---------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_new_database_files_are_private(tmp_path):
    db_path = tmp_path / "new.db"
    location = resolve(str(db_path))
    old = os.umask(0o022)
    try:
        with store_engine.write_session(location, actor="tester") as s:
            s.exec(select(Company)).all()
            # While a write session is open, the -wal and -shm files are there (closing removes them).
            for suffix in ("", "-wal", "-shm"):
                path = f"{db_path}{suffix}"
                assert os.path.exists(path), path
                assert mode(path) == 0o600, (path, oct(mode(path)))
    finally:
        os.umask(old)


@pytest.mark.sqlite_only
def test_new_data_directory_is_private(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("SALESCRM_DB")
    data = tmp_path / "new" / "nested" / "data"
    monkeypatch.setenv("SALESCRM_DATA_DIR", str(data))
    old = os.umask(0o022)
    try:
        r = cli(*SANITAS)  # a write: a read creates nothing
    finally:
        os.umask(old)
    assert r.exit_code == 0, r.stderr
    assert (data / "salescrm.db").is_file()
    assert mode(data / "salescrm.db") == 0o600
    for d in (tmp_path / "new", tmp_path / "new" / "nested", data):
        assert mode(d) == 0o700, (d, oct(mode(d)))


# --- Locations ----------------------------------------------------------------------------


@pytest.mark.no_database
def test_resolve_bare_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    loc = resolve("crm-file.db")
    assert loc.path == tmp_path / "crm-file.db"
    assert loc.url == f"sqlite:///{tmp_path / 'crm-file.db'}"
    assert loc.is_sqlite and loc.explicit
    assert loc.display == str(tmp_path / "crm-file.db")


@pytest.mark.no_database
def test_resolve_sqlite_url(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    loc = resolve("sqlite:///x.db")
    assert loc.path == tmp_path / "x.db"
    assert loc.url == f"sqlite:///{tmp_path / 'x.db'}"
    assert loc.is_sqlite and loc.explicit


@pytest.mark.no_database
def test_resolve_postgres_url_hides_password():
    url = "postgresql+psycopg://u:secret@h/db"
    loc = resolve(url)
    assert loc.url == url
    assert loc.path is None
    assert not loc.is_sqlite
    assert loc.display == "postgresql+psycopg://u:***@h/db"
    assert "secret" not in loc.display


@pytest.mark.no_database
def test_resolve_falls_back_to_env_then_data_dir(tmp_path, monkeypatch):
    assert resolve(None).path == tmp_path / "crm.db"
    monkeypatch.delenv("SALESCRM_DB")
    loc = resolve(None)
    assert loc.path == tmp_path / "data" / "salescrm.db"
    assert not loc.explicit


def _read_kind(column: sa.Column) -> str:
    """How store/tables.py spells a column's type: what its values need to come back as."""
    for kind, types in (("int", sa.Integer), ("time", sa.DateTime), ("date", sa.Date), ("bool", sa.Boolean)):
        if isinstance(column.type, types):
            return kind
    return ""


@pytest.mark.no_database
def test_the_read_tables_have_exactly_their_models_columns():
    # A column added to a model and not to store/tables.py would be missing from every read.
    from salescrm.store import tables

    models.declare_partial_indexes()
    for name, spec in tables.COLUMNS.items():
        expected = " ".join(c.name + (f":{_read_kind(c)}" if _read_kind(c) else "")
                            for c in SQLModel.metadata.tables[name].columns)
        assert spec == expected, f"store/tables.py COLUMNS[{name!r}] should be: {expected!r}"
    read = {t.__table__.name for t in vars(tables).values() if isinstance(t, tables.ReadTable)}
    assert read == set(tables.COLUMNS)


@pytest.mark.no_database
def test_a_task_title_is_limited_to_its_column():
    from salescrm.domain import tasks

    assert tasks.TITLE_LENGTH == models.size(models.Task.title)
