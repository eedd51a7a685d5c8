"""Migration 0008 (erasure): a 0007 file upgraded keeps everything (test_migrations.py compares its records) and
gains the three ledgers, empty; each database its own erasure secret; and the ledgers refuse every change
but an insert, on both backends."""

from __future__ import annotations

import re
import sqlite3

import pytest
import sqlalchemy as sa

from salescrm.store.engine import HEAD_REVISION
from tests.helpers import new_database, ok, old_copy

def _rows(path, sql: str) -> list[tuple]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.sqlite_only
def test_a_0007_file_upgraded_gains_the_ledgers_empty_its_secret_and_the_phone_index(cli, tmp_path, monkeypatch):
    path = old_copy(tmp_path, "0007")
    monkeypatch.setenv("SALESCRM_DB", str(path))
    ok(cli("contact", "list"))
    assert _rows(path, "SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]  # through 0008
    assert [_rows(path, f"SELECT count(*) FROM {t}") for t in ("erasure", "erased_identity")] == [[(0,)], [(0,)]]
    [copy] = sorted(tmp_path.glob("*.bak"))
    assert _rows(path, "SELECT path, kind FROM backup_record") == [(str(copy), "migration")]
    [(secret,)] = _rows(path, "SELECT value FROM setting WHERE key = 'erasure_secret'")
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    assert _rows(path, "SELECT count(*) FROM contact WHERE manual_lifecycle IS NOT NULL") == [(0,)]
    assert ("ix_contact_phone",) in _rows(path, "SELECT name FROM sqlite_master WHERE type = 'index'")
    # The properties set at 0007 are still there, and an erasure works on the upgraded file.
    assert _rows(path, "SELECT contact_id, key, value FROM contact_property") == [(13, "preferred_language", "es")]
    ok(cli("contact", "erase", "irene@norte.example", "--reason", "Her request", "--yes"))
    assert _rows(path, "SELECT count(*) FROM contact_property") == [(0,)]
    assert b"irene@norte.example" not in path.read_bytes()
    ok(cli("journal", "verify"))
    ok(cli("db", "check"))


def test_each_new_database_gets_its_own_secret(cli, request, backend, tmp_path):
    secrets = []
    for _ in range(2):
        url = new_database(request, backend, tmp_path, schema=False)
        ok(cli("--db", url, "init"))
        from tests.conftest import Database

        db = Database(url)
        try:
            secrets += db.query("SELECT value FROM setting WHERE key = 'erasure_secret'")
        finally:
            db.close()
    assert len(secrets) == 2 and secrets[0] != secrets[1]


@pytest.mark.parametrize("table, where", [("erasure", "id = 1"), ("erased_identity", "erasure_id = 1"),
                                          ("backup_record", "id = 1")])
def test_the_erasure_ledgers_refuse_updates_and_deletes(seeded, db, table, where):
    ok(seeded("db", "status"))
    with db.engine.begin() as conn:
        conn.exec_driver_sql('INSERT INTO erasure (contact_id, at, "by", reason) VALUES (1, CURRENT_TIMESTAMP, \'x\', \'y\')')
        conn.exec_driver_sql("INSERT INTO erased_identity (digest, kind, erasure_id) VALUES ('d', 'email', 1)")
        conn.exec_driver_sql("INSERT INTO backup_record (path, kind, made_at, made_by) "
                             "VALUES ('/b.db', 'backup', CURRENT_TIMESTAMP, 'x')")
    column = '"by"' if table == "erasure" else "kind"
    statements = [f"UPDATE {table} SET {column} = 'z' WHERE {where}",
                  f"DELETE FROM {table} WHERE {where}"]
    if db.engine.dialect.name == "postgresql":
        statements.append(f"TRUNCATE {table} CASCADE")
    for statement in statements:
        with pytest.raises(sa.exc.DatabaseError) as caught:
            with db.engine.begin() as conn:
                conn.exec_driver_sql(statement)
        assert f"{table} is a ledger: its rows are never changed or removed" in str(caught.value), statement
    assert db.count(table) == 1
