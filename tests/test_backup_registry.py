"""The registry of backups (`backup_record`, migration 0008): `db backup`, a migration's copy from before and a
restore's copy of the database as it was are recorded in the database, and `db status` lists those made
before an erasure as still holding the erased people's data."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.helpers import ok

FIXTURES = Path(__file__).parent / "fixtures"
ERASE = ["contact", "erase", "marta@sanitas.es", "--reason", "Her request", "--yes"]


def _registry(db) -> list[tuple]:
    return db.query("SELECT path, kind, made_by FROM backup_record ORDER BY id")


@pytest.mark.sqlite_only
def test_db_backup_is_recorded_and_status_lists_those_made_before_an_erasure(seeded, db, tmp_path):
    before, after = tmp_path / "before.db", tmp_path / "after.db"
    ok(seeded("db", "backup", str(before)))
    assert _registry(db) == [(str(before), "backup", "tester")]
    assert json.loads(ok(seeded("db", "status", "--json")).stdout)["backups_holding_erased_data"] == []
    r = ok(seeded(*ERASE))
    assert r.stdout.splitlines()[-1] == "1 backup made before still holds the person's data: `salescrm db status` lists them."
    ok(seeded("db", "backup", str(after)))
    assert [k for _, k, _ in _registry(db)] == ["backup", "backup"]
    status = json.loads(ok(seeded("db", "status", "--json")).stdout)
    assert [(b["path"], b["kind"], b["made_by"]) for b in status["backups_holding_erased_data"]] == [
        (str(before), "backup", "tester")]
    text = ok(seeded("db", "status")).stdout
    assert "Backups holding erased data\t1\n# backups\n" in text
    assert text.rstrip("\n").splitlines()[-1].endswith(f"\tbackup\t{before}\ttester")


@pytest.mark.sqlite_only
def test_a_migrations_copy_from_before_is_recorded(cli, tmp_path, monkeypatch, db):
    path = tmp_path / "old.db"
    shutil.copyfile(FIXTURES / "schema-0006.db", path)
    os.chmod(path, 0o600)
    monkeypatch.setenv("SALESCRM_DB", str(path))
    ok(cli("team", "list"))
    [copy] = sorted(tmp_path.glob("*.bak"))
    from tests.conftest import Database

    old = Database(str(path))
    try:
        assert _registry(old) == [(str(copy), "migration", "tester")]
    finally:
        old.close()


@pytest.mark.sqlite_only
def test_a_restores_copy_of_the_database_as_it_was_is_recorded(seeded, db, tmp_path):
    backup = tmp_path / "b.db"
    ok(seeded("db", "backup", str(backup)))
    r = ok(seeded("db", "restore", str(backup), "--force"))
    [safety] = sorted(tmp_path.glob("*.before-restore-*.bak"))
    assert str(safety) in r.stdout
    # The restored database is the backup's, whose registry did not know the backup itself yet.
    assert _registry(db) == [(str(safety), "restore", "tester")]


def test_status_on_either_backend_lists_nothing_without_an_erasure(seeded):
    assert json.loads(ok(seeded("db", "status", "--json")).stdout)["backups_holding_erased_data"] == []


@pytest.mark.sqlite_only
def test_restoring_a_backup_made_before_an_erasure_says_who_is_back(seeded, db, tmp_path):
    backup = tmp_path / "b.db"
    ok(seeded("db", "backup", str(backup)))
    ok(seeded(*ERASE))
    r = ok(seeded("db", "restore", str(backup), "--force"))
    assert r.stderr == ("Warning: The backup was made before 1 erasure: the restored database holds the data of "
                        "contact 1 again. Erase it again: salescrm contact erase ID --reason \"Erased again after a "
                        "restore\" --yes\n")
    assert db.query("SELECT first_name FROM contact WHERE id = 1") == [("Marta",)]
    ok(seeded(*ERASE))
    assert seeded("db", "restore", str(tmp_path / "b.db"), "--force").stderr.startswith("Warning: The backup was made")
