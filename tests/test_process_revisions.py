"""The process a database is bound to (issue 12): the `process_revision` ledger that migration 0007 adds,
its first row, and the triggers that keep it append-only."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from salescrm.process import load
from tests.helpers import ok


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
