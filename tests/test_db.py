"""`salescrm db`: status, upgrade, backup, restore and check."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import stat
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from salescrm.store.engine import HEAD_REVISION
from salescrm.store.location import resolve

from .conftest import DEAL, SANITAS

FIXTURE = Path(__file__).parent / "fixtures" / "schema-0001.db"
PASSWORD = "s3cr3t-Pa55"


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def sqlite_rows(path, sql: str) -> list[tuple]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def dump(path) -> list[str]:
    """The schema and every row, as SQL."""
    con = sqlite3.connect(path)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def old_copy(tmp_path) -> Path:
    path = tmp_path / "old.db"
    shutil.copyfile(FIXTURE, path)
    os.chmod(path, 0o600)  # as salescrm made it (a readable file earns a warning on stderr)
    return path


def baks(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.bak"))


def with_password(url: str) -> str:
    return sa.engine.make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


def second_deal(cli):
    r = cli(*DEAL[:5], "Second deal", *DEAL[6:])
    assert r.exit_code == 0, r.stderr


# --- status --------------------------------------------------------------------------------------


def test_status_on_a_current_database(cli, backend):
    assert cli("team", "list").exit_code == 0
    r = cli("db", "status")
    assert r.exit_code == 0, r.stderr
    assert re.search(rf"^Revision\s+{HEAD_REVISION}$", r.stdout, re.MULTILINE), r.stdout
    assert re.search(r"^State\s+current$", r.stdout, re.MULTILINE), r.stdout
    assert re.search(rf"^Backend\s+{backend}$", r.stdout, re.MULTILINE), r.stdout


def test_status_json_on_a_current_database(cli, backend, db_url):
    assert cli("team", "list").exit_code == 0
    r = cli("db", "status", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == {
        "database": resolve(db_url).display, "backend": backend, "revision": HEAD_REVISION,
        "salescrm_revision": HEAD_REVISION, "state": "current", "currency": "EUR", "backups_holding_erased_data": [],
    }


def test_status_hides_the_password(cli, backend, db_url):
    if backend != "postgresql":
        pytest.skip("a password belongs to a PostgreSQL URL")
    r = cli("--db", with_password(db_url), "db", "status", "--json")
    assert r.exit_code == 0, r.stderr
    assert PASSWORD not in r.stdout + r.stderr
    assert ":***@" in json.loads(r.stdout)["database"]


@pytest.mark.sqlite_only
def test_status_on_an_older_file_changes_nothing(cli, tmp_path):
    path = old_copy(tmp_path)
    before = dump(path)
    r = cli("--db", str(path), "db", "status", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == {
        "database": str(path), "backend": "sqlite", "revision": "0001", "salescrm_revision": HEAD_REVISION,
        "state": "older: run `salescrm db upgrade`", "currency": None, "backups_holding_erased_data": [],
    }
    assert r.stderr == ""
    assert sqlite_rows(path, "SELECT version_num FROM alembic_version") == [("0001",)]
    assert baks(tmp_path) == []
    assert dump(path) == before


@pytest.mark.sqlite_only
def test_status_text_on_an_older_file(cli, tmp_path):
    path = old_copy(tmp_path)
    r = cli("--db", str(path), "db", "status")
    assert r.exit_code == 0, r.stderr
    assert "older: run `salescrm db upgrade`" in r.stdout
    assert re.search(r"^Revision\s+0001$", r.stdout, re.MULTILINE)
    assert baks(tmp_path) == []


@pytest.mark.sqlite_only
def test_status_on_a_newer_file(cli, db_path):
    assert cli("team", "list").exit_code == 0
    con = sqlite3.connect(db_path)
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()
    r = cli("db", "status", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["state"] == "newer than this salescrm: upgrade salescrm"


# --- upgrade -------------------------------------------------------------------------------------


def test_upgrade_on_a_current_database(cli, db):
    assert cli("team", "list").exit_code == 0
    location = db.location
    r = cli("db", "upgrade")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == f"The database {location.display} is already at schema revision {HEAD_REVISION}.\n"
    assert db.query("SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]


@pytest.mark.sqlite_only
def test_upgrade_on_a_current_file_keeps_no_copy(cli, tmp_path):
    assert cli("team", "list").exit_code == 0
    assert cli("db", "upgrade").exit_code == 0
    assert baks(tmp_path) == []


@pytest.mark.sqlite_only
def test_upgrade_an_older_file_keeps_a_copy(cli, tmp_path):
    path = old_copy(tmp_path)
    r = cli("--db", str(path), "db", "upgrade")
    assert r.exit_code == 0, r.stderr
    [copy] = baks(tmp_path)
    assert copy.name.startswith("old.db.schema-0001-")
    assert r.stdout == f"Upgraded {path} from schema revision 0001 to {HEAD_REVISION}. The copy from before is {copy}.\n"
    assert sqlite_rows(path, "SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]
    assert sqlite_rows(copy, "SELECT version_num FROM alembic_version") == [("0001",)]
    assert sqlite_rows(copy, "SELECT count(*) FROM deal") == sqlite_rows(path, "SELECT count(*) FROM deal") == [(12,)]
    assert mode(copy) == 0o600
    assert cli("--db", str(path), "journal", "verify").exit_code == 0


# --- backup --------------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_backup_writes_a_private_sound_copy(seeded, tmp_path, db):
    target = tmp_path / "backups" / "crm-backup.db"
    target.parent.mkdir()
    old = os.umask(0o022)
    try:
        r = seeded("db", "backup", str(target))
    finally:
        os.umask(old)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == f"Backed up {db.location.path} to {target}.\n"
    assert mode(target) == 0o600
    assert sqlite_rows(target, "PRAGMA integrity_check") == [("ok",)]
    assert sqlite_rows(target, "SELECT count(*) FROM deal") == [(db.count("deal"),)] == [(1,)]
    assert sqlite_rows(target, "SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]
    assert sqlite_rows(target, "PRAGMA journal_mode") == [("delete",)]  # one self-contained file
    assert not Path(f"{target}-wal").exists()


@pytest.mark.sqlite_only
def test_backup_refuses_an_existing_file(seeded, tmp_path):
    target = tmp_path / "taken.db"
    target.write_bytes(b"keep me")
    r = seeded("db", "backup", str(target))
    assert r.exit_code == 1
    assert "already exists" in r.stderr
    assert target.read_bytes() == b"keep me"


def test_backup_of_postgresql_points_at_pg_dump(cli, backend, db_url, tmp_path):
    if backend != "postgresql":
        pytest.skip("about PostgreSQL databases")
    target = tmp_path / "pg.dump"
    r = cli("--db", with_password(db_url), "db", "backup", str(target))
    assert r.exit_code == 1
    assert "pg_dump" in r.stderr
    assert PASSWORD not in r.stderr + r.stdout
    assert not target.exists()


# --- restore -------------------------------------------------------------------------------------


@pytest.fixture
def backed_up(seeded, tmp_path):
    """The seeded database backed up, then a second deal added after the backup."""
    target = tmp_path / "backup.db"
    assert seeded("db", "backup", str(target)).exit_code == 0
    second_deal(seeded)
    return target


@pytest.mark.sqlite_only
def test_restore_without_force_off_a_terminal_changes_nothing(backed_up, sh, db, tmp_path):
    assert db.count("deal") == 2
    r = sh("db", "restore", str(backed_up))
    assert r.exit_code == 1
    assert "pass --force" in r.stderr
    assert "nothing was restored" in r.stderr
    assert db.count("deal") == 2
    assert baks(tmp_path) == []


@pytest.mark.sqlite_only
def test_restore_with_force_brings_back_the_backup(backed_up, cli, db, tmp_path):
    assert db.count("deal") == 2
    r = cli("db", "restore", str(backed_up), "--force")
    assert r.exit_code == 0, r.stderr
    [safety] = baks(tmp_path)
    assert r.stdout == (f"Restored {db.location.path} from {backed_up}. "
                        f"The database as it was before is kept in {safety}.\n")
    assert db.query("SELECT id FROM deal") == [(1,)]  # the deal added after the backup is gone
    assert sqlite_rows(safety, "SELECT count(*) FROM deal") == [(2,)]  # ... and kept in the earlier copy
    assert mode(safety) == 0o600
    listed = cli("deal", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert [d["id"] for d in json.loads(listed.stdout)] == [1]
    assert cli("journal", "verify").exit_code == 0
    second_deal(cli)
    assert db.count("deal") == 2


@pytest.mark.sqlite_only
def test_restores_in_quick_succession_keep_every_earlier_copy(backed_up, cli, db, tmp_path):
    # Three restores within a second or so: at least two of them share a wall-clock second.
    started = time.monotonic()
    for _ in range(3):
        r = cli("db", "restore", str(backed_up), "--force")
        assert r.exit_code == 0, r.stderr
    assert len(baks(tmp_path)) == 3
    assert db.count("deal") == 1


@pytest.mark.sqlite_only
def test_restore_refuses_a_garbage_file(seeded, tmp_path, db):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all\n" * 100)
    r = seeded("db", "restore", str(garbage), "--force")
    assert r.exit_code == 1
    assert "not a salescrm database backup" in r.stderr
    assert "nothing was restored" in r.stderr
    assert db.count("deal") == 1
    assert baks(tmp_path) == []


@pytest.mark.sqlite_only
def test_restore_refuses_a_missing_file(seeded, tmp_path):
    r = seeded("db", "restore", str(tmp_path / "nowhere.db"), "--force")
    assert r.exit_code == 2
    assert "No backup file" in r.stderr


@pytest.mark.sqlite_only
def test_restore_refuses_a_database_of_another_program(seeded, tmp_path, db):
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE notes (x)")
    con.commit()
    con.close()
    r = seeded("db", "restore", str(other), "--force")
    assert r.exit_code == 1
    assert db.count("deal") == 1
    assert db.query("SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]


def test_restore_refuses_postgresql(cli, backend, tmp_path):
    if backend != "postgresql":
        pytest.skip("about PostgreSQL databases")
    assert cli(*SANITAS).exit_code == 0
    r = cli("db", "restore", str(tmp_path / "backup.db"), "--force")
    assert r.exit_code == 1
    assert "pg_restore" in r.stderr


# --- check ---------------------------------------------------------------------------------------


def test_check_on_a_sound_database(seeded, db, backend):
    """`db check` names the checks it ran on this backend, and no other: PostgreSQL has no integrity_check."""
    r = seeded("db", "check")
    assert r.exit_code == 0, r.stderr
    rows = db.count("journal")
    if backend == "sqlite":
        ran = ["SQLite:",
               "  integrity: PRAGMA integrity_check",
               "  foreign-keys: PRAGMA foreign_key_check"]
        protection = "  journal-protection: the journal's triggers exist and raise (sqlite_master)"
    else:
        ran = ["PostgreSQL:",
               "  foreign-keys: every foreign key exists, is validated (pg_constraint.convalidated) and enforced "
               "(its triggers enabled)"]
        protection = ("  journal-protection: the journal's triggers exist and are enabled (pg_trigger.tgenabled), "
                      "TRUNCATE included")
    assert r.stdout.splitlines() == [
        f"Database {db.location.display} is sound. Checks run on {ran[0]}",
        f"  schema-revision: the schema revision is {HEAD_REVISION}, the one this salescrm needs",
        *ran[1:],
        f"  journal: the hash chain of the journal's {rows} rows and their values",
        protection,
        "  reconciliation: every record's journaled fields against the journal's last values (docs/journal.md)",
        "  process-revisions: each process revision's file against its SHA-256 and the journal; the latest loads",
        "  unknown-value: stages, classes, owners, roles, statuses and types are values salescrm knows",
    ]
    assert "integrity" not in r.stdout or backend == "sqlite"


def test_check_json_lists_the_checks_run(seeded, backend):
    r = seeded("db", "check", "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["sound"] is True and out["backend"] == backend
    expected = ["schema-revision", "integrity", "foreign-keys", "journal", "journal-protection", "reconciliation",
                "process-revisions", "unknown-value"]
    if backend == "postgresql":
        expected.remove("integrity")
    assert [c["check"] for c in out["checks"]] == expected
    assert all(c["problems"] == [] and c["how"] for c in out["checks"])


def test_check_on_postgresql_finds_a_dropped_or_unvalidated_foreign_key(seeded, db, backend):
    if backend != "postgresql":
        pytest.skip("SQLite: PRAGMA foreign_key_check reads the rows")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE deal DROP CONSTRAINT fk_deal_owner_id_team_member")
        conn.exec_driver_sql("ALTER TABLE deal_contact DROP CONSTRAINT fk_deal_contact_deal_id_deal")
        conn.exec_driver_sql("ALTER TABLE deal_contact ADD CONSTRAINT fk_deal_contact_deal_id_deal FOREIGN KEY (deal_id) "
                             "REFERENCES deal (id) ON DELETE CASCADE NOT VALID")
        conn.exec_driver_sql("ALTER TABLE contact_company DISABLE TRIGGER ALL")  # a superuser's: the keys go unchecked
    r = seeded("db", "check", "--json")
    assert r.exit_code == 1
    [fks] = [c for c in json.loads(r.stdout)["checks"] if c["check"] == "foreign-keys"]
    assert fks["problems"] == [
        "the foreign key fk_contact_company_company_id_company is not enforced: a trigger of it is disabled",
        "the foreign key fk_contact_company_contact_id_contact is not enforced: a trigger of it is disabled",
        "the foreign key fk_deal_contact_deal_id_deal is not validated (NOT VALID): rows may break it",
        "the foreign key fk_deal_owner_id_team_member is missing (dropped)",
    ]


def test_check_on_an_empty_database(cli):
    assert cli("team", "list").exit_code == 0
    assert cli("db", "check").exit_code == 0


@pytest.mark.sqlite_only
def test_check_lists_a_tampered_journal(seeded, db_path):
    con = sqlite3.connect(db_path)
    con.execute("DROP TRIGGER journal_no_update")
    con.execute("UPDATE journal SET actor = 'mallory' WHERE seq = 2")
    con.commit()
    con.close()
    r = seeded("db", "check")
    assert r.exit_code == 1
    assert "Problem: journal: Journal row 2 " in r.stderr
    assert r.stdout == ""


def test_check_lists_a_tampered_journal_on_postgresql(seeded, db, backend):
    if backend != "postgresql":
        pytest.skip("SQLite: test_check_lists_a_tampered_journal")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER journal_append_only ON journal")
        conn.exec_driver_sql("UPDATE journal SET actor = 'mallory' WHERE seq = 2")
    r = seeded("db", "check")
    assert r.exit_code == 1
    assert "Problem: journal: Journal row 2 " in r.stderr


@pytest.mark.sqlite_only
def test_check_lists_an_older_revision(cli, tmp_path):
    path = old_copy(tmp_path)
    r = cli("--db", str(path), "db", "check")
    assert r.exit_code == 1
    assert f"Problem: schema-revision: the database is at schema revision 0001, salescrm needs {HEAD_REVISION}" in r.stderr
    assert "Checks run on SQLite: schema-revision, integrity, foreign-keys." in r.stderr
    assert baks(tmp_path) == []


# --- file modes ----------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_every_new_sqlite_file_is_private(cli, tmp_path, db_path):
    old = os.umask(0o022)
    try:
        assert cli(*SANITAS).exit_code == 0
        assert cli("db", "backup", str(tmp_path / "b.db")).exit_code == 0
        older = old_copy(tmp_path)
        os.chmod(older, 0o644)
        assert cli("--db", str(older), "db", "upgrade").exit_code == 0
        assert cli("db", "restore", str(tmp_path / "b.db"), "--force").exit_code == 0
    finally:
        os.umask(old)
    made = [db_path, tmp_path / "b.db", *baks(tmp_path)]
    assert len(made) == 4  # the database, the backup, the copy before the upgrade and the one before the restore
    for path in made:
        assert mode(path) == 0o600, (path, oct(mode(path)))


def test_check_finds_a_dropped_trigger_of_the_erasure_ledgers(seeded, db, backend):
    """Migration 0008's ledgers are protected like the journal's: `db check` says when a trigger is gone."""
    dropped = ("DROP TRIGGER erased_identity_ledger ON erased_identity" if backend == "postgresql"
               else "DROP TRIGGER erased_identity_no_delete")
    with db.engine.begin() as conn:
        conn.exec_driver_sql(dropped)
    r = seeded("db", "check")
    assert r.exit_code == 1
    name = "erased_identity_ledger" if backend == "postgresql" else "erased_identity_no_delete"
    assert (f"Problem: journal-protection: the trigger {name} on erased_identity is missing, so the journal can be "
            "changed without") in r.stderr
