"""How salescrm opens SQLite (store/engine.py opens PostgreSQL the plain way).

A write session on SQLite begins with BEGIN IMMEDIATE, so that concurrent writers wait on the 30 s busy
timeout instead of losing updates (pysqlite's default runs the first SELECT outside any transaction) or
failing with "database is locked" when a read lock cannot be upgraded. A write connection is in WAL mode
with `synchronous=FULL`; a read opens the file read-only (store/sqlite_file.py).
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from sqlalchemy import event

from salescrm.store import sqlite_file
from salescrm.store.location import DatabaseLocation

BUSY_TIMEOUT_MS = 30_000
# Test hook: a SQLite file opened for writing grows to at most this many pages (`PRAGMA max_page_count`),
# so that a test meets SQLite's "database or disk is full" without filling a disk. Unset in real use.
ENV_TEST_MAX_PAGES = "SALESCRM_TEST_SQLITE_MAX_PAGES"
WRITE = "salescrm_write"  # the execution option of a write transaction: BEGIN IMMEDIATE


def sqlite_engine(location: DatabaseLocation, write: bool) -> sa.Engine:
    """The engine of a SQLite file, opened for writing or read-only, with the settings below."""
    if not write:
        path = location.path
        engine = sa.create_engine(location.url, creator=lambda: sqlite_file.connect_read_only(path, BUSY_TIMEOUT_MS / 1000))
        event.listen(engine, "connect", _read_only_on_connect)
        event.listen(engine, "begin", _on_begin)
    else:
        engine = sa.create_engine(location.url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _on_connect)
        event.listen(engine, "begin", _on_begin)
        event.listen(engine, "commit", _before_commit)
    return engine


def _on_connect(dbapi_connection, _record) -> None:
    _read_only_on_connect(dbapi_connection, _record)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    if os.environ.get(ENV_TEST_MAX_PAGES):
        cursor.execute(f"PRAGMA max_page_count={int(os.environ[ENV_TEST_MAX_PAGES])}")
    cursor.close()


def _read_only_on_connect(dbapi_connection, _record) -> None:
    # Opened with mode=ro: no journal mode switch (a backup stays as it is), and nothing can be written.
    # Take BEGIN over from pysqlite (SQLAlchemy's documented recipe).
    dbapi_connection.isolation_level = None
    # SQLite's lower() folds ASCII only; PostgreSQL's folds every letter. Filters that ignore case
    # (contact list --source) must find `CLÍNICA` by `clínica` on both.
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _before_commit(_connection) -> None:
    from salescrm.store import test_hook

    test_hook.pause("commit")  # tests only: see store/test_hook.py


def _on_begin(connection) -> None:
    write = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
