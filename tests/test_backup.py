"""`db backup` and `db restore` under faults and concurrent writers: a failed or interrupted backup leaves no
file, a full disk is said as such, and a restore loses no write another salescrm process acknowledged.

The concurrent tests pause a real process at a known point through the test-only hook of
salescrm/store/test_hook.py (`SALESCRM_TEST_PAUSE=POINT:FILE`). The random race is in bench/concurrency.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import DEAL

LOG = ["activity", "log", "--contact", "marta@sanitas.es", "--type", "call", "--direction", "outbound"]


def rows(path, sql: str, *params) -> list[tuple]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def summaries(path) -> list[str]:
    return [s for (s,) in rows(path, "SELECT summary FROM activity ORDER BY id")]


def start(*args: str, pause: str | None = None) -> subprocess.Popen:
    """The real program in the background, optionally paused at a point (`commit:FILE`, `backup:FILE`)."""
    env = {**os.environ}
    if pause:
        env["SALESCRM_TEST_PAUSE"] = pause
    return subprocess.Popen([sys.executable, "-m", "salescrm", *args], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"exited {process.returncode} before pausing: {process.stderr.read()}")
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.02)


def finish(process: subprocess.Popen, seconds: float = 60) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=seconds)
    return process.returncode, out, err


def still_waiting(process: subprocess.Popen, seconds: float = 1.5) -> bool:
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return True
    return False


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture
def backup_file(seeded, tmp_path) -> Path:
    target = tmp_path / "backup.db"
    r = seeded("db", "backup", str(target))
    assert r.exit_code == 0, r.stderr
    return target


def _can_mount_tmpfs() -> bool:
    if not shutil.which("unshare"):
        return False
    p = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"], capture_output=True)
    return p.returncode == 0


full_disk = pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs `unshare -m` and a tmpfs mount (root)")


def on_a_full_disk(directory: Path, *args: str) -> tuple[int, str, str]:
    """Run salescrm with `directory` a 64 KiB file system of its own (a private mount namespace); the
    directory's listing afterwards is the last line of stdout."""
    directory.mkdir(exist_ok=True)
    command = (f"mount -t tmpfs -o size=64k,mode=0700 tmpfs {directory} && "
               f"{sys.executable} -m salescrm {' '.join(args)}; rc=$?; echo; ls -A {directory} | tr '\\n' ' '; exit $rc")
    p = subprocess.run(["unshare", "-m", "sh", "-c", command], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


# --- backup ---------------------------------------------------------------------------------------


@pytest.mark.sqlite_only
@full_disk
def test_a_backup_onto_a_full_disk_says_so_and_leaves_no_file(seeded, tmp_path, db_path):
    small = tmp_path / "small"
    code, out, err = on_a_full_disk(small, "db", "backup", str(small / "crm-backup.db"))
    assert code == 3, err
    assert err == (f"Cannot write the backup {small / 'crm-backup.db'}: the disk that holds it is full; nothing was "
                   "written. Free space on that disk (or check it), then run the command again.\n")
    assert out.splitlines()[-1].strip() == ""  # nothing left on the small file system


@pytest.mark.sqlite_only
def test_a_backup_that_cannot_be_written_says_the_io_error_and_leaves_no_file(seeded, tmp_path):
    import resource

    target = tmp_path / "archive" / "crm-backup.db"
    target.parent.mkdir()

    def limit_file_size():  # writes past 64 KiB fail (EFBIG), as on a broken disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    p = subprocess.run([sys.executable, "-m", "salescrm", "db", "backup", str(target)], capture_output=True, text=True,
                       preexec_fn=limit_file_size, timeout=60)
    assert p.returncode == 3, p.stderr
    assert p.stderr == (f"Cannot write the backup {target}: the disk that holds it reported an I/O error; nothing was "
                        "written. Free space on that disk (or check it), then run the command again.\n")
    assert listing(target.parent) == []


@pytest.mark.sqlite_only
@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"])
def test_an_interrupted_backup_leaves_no_file(seeded, tmp_path, signum, code):
    target = tmp_path / "archive" / "crm-backup.db"
    target.parent.mkdir()
    paused = tmp_path / "paused"
    backup = start("db", "backup", str(target), pause=f"backup:{paused}")
    wait_for(paused, backup)
    [temporary] = listing(target.parent)  # the copy is written, under a temporary name, not yet checked
    assert temporary.startswith(".crm-backup.db.") and temporary.endswith(".tmp")
    assert stat.S_IMODE(os.stat(target.parent / temporary).st_mode) == 0o600
    backup.send_signal(signum)
    returncode, out, err = finish(backup)
    assert returncode == code, err
    assert out == ""
    assert listing(target.parent) == []


@pytest.mark.sqlite_only
def test_a_backup_onto_a_dangling_symbolic_link_is_refused(seeded, tmp_path):
    link = tmp_path / "latest.db"
    link.symlink_to(tmp_path / "gone" / "crm.db")
    r = seeded("db", "backup", str(link))
    assert r.exit_code == 1
    assert r.stderr == (f"{link} is a symbolic link to {tmp_path / 'gone' / 'crm.db'}, which does not exist; salescrm "
                        "does not write a backup through a link: give the backup a new file name.\n")
    assert os.readlink(link) == str(tmp_path / "gone" / "crm.db")
    assert not (tmp_path / "gone").exists()


@pytest.mark.sqlite_only
def test_a_backup_into_a_missing_directory_is_refused(seeded, tmp_path):
    target = tmp_path / "nowhere" / "crm-backup.db"
    r = seeded("db", "backup", str(target))
    assert r.exit_code == 2
    assert r.stderr == f"No directory {target.parent} for the backup {target}; create it first.\n"
    assert not target.parent.exists()


@pytest.mark.sqlite_only
def test_a_backup_name_too_long_for_its_temporary_file_is_refused(seeded, tmp_path):
    r = seeded("db", "backup", str(tmp_path / ("x" * 250)))
    assert r.exit_code == 2
    assert r.stderr == "The backup's file name is longer than 233 bytes: choose a shorter one.\n"
    assert [name for name in listing(tmp_path) if "xxxx" in name] == []


@pytest.mark.sqlite_only
def test_a_backup_leaves_only_itself(seeded, tmp_path):
    target = tmp_path / "archive" / "crm-backup.db"
    target.parent.mkdir()
    assert seeded("db", "backup", str(target)).exit_code == 0
    assert listing(target.parent) == ["crm-backup.db"]
    assert rows(target, "PRAGMA integrity_check") == [("ok",)]


# --- restore: no file left behind ---------------------------------------------------------------


@pytest.mark.sqlite_only
@full_disk
def test_a_restore_onto_a_full_disk_leaves_no_file(backup_file, tmp_path):
    small = tmp_path / "small"
    code, out, err = on_a_full_disk(small, "--db", str(small / "crm.db"), "db", "restore", str(backup_file), "--force")
    assert code == 3, err
    assert "the disk that holds it is full; nothing was written" in err
    assert out.splitlines()[-1].strip() == ""  # no 0-byte database, no temporary file


@pytest.mark.sqlite_only
def test_an_interrupted_restore_into_a_new_file_leaves_no_file(backup_file, tmp_path):
    target = tmp_path / "fresh" / "crm.db"
    target.parent.mkdir()
    paused = tmp_path / "paused"
    restore = start("--db", str(target), "db", "restore", str(backup_file), "--force", pause=f"commit:{paused}")
    wait_for(paused, restore)  # the restore's journal row, written into the prepared copy
    restore.send_signal(signal.SIGTERM)
    returncode, out, err = finish(restore)
    assert returncode == 143, err
    assert listing(target.parent) == []


@pytest.mark.sqlite_only
def test_a_refused_restore_into_a_new_file_leaves_no_file(seeded, tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database\n" * 100)
    target = tmp_path / "fresh" / "crm.db"
    target.parent.mkdir()
    r = seeded("--db", str(target), "db", "restore", str(garbage), "--force")
    assert r.exit_code == 1
    assert listing(target.parent) == []


@pytest.mark.sqlite_only
def test_a_restore_into_a_new_file_makes_a_private_database(backup_file, seeded, tmp_path):
    target = tmp_path / "fresh" / "crm.db"
    target.parent.mkdir()
    r = seeded("--db", str(target), "db", "restore", str(backup_file), "--force")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == f"Restored {target} from {backup_file}.\n"
    assert listing(target.parent) == ["crm.db", "crm.db.lock"]
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(target.parent / "crm.db.lock").st_mode) == 0o600
    assert rows(target, "SELECT count(*) FROM deal") == [(1,)]


# --- restore: the journal says so ----------------------------------------------------------------


@pytest.mark.sqlite_only
def test_a_restore_is_journaled_with_its_file_and_the_restored_head(backup_file, seeded, db_path):
    head = seeded("--db", str(backup_file), "journal", "verify").stdout.split("Head ")[1].split()[0]
    assert seeded(*DEAL[:5], "Second deal", *DEAL[6:]).exit_code == 0
    r = seeded("db", "restore", str(backup_file), "--force", "--reason", "Undo the import")
    assert r.exit_code == 0, r.stderr
    count = int(head.split(":")[0])
    assert rows(db_path, "SELECT seq, actor, record_type, record_id, action, reason FROM journal WHERE seq > ?", count) == [
        (count + 1, "tester", "database", None, "restore", "Undo the import")]
    fields = rows(db_path, "SELECT field, old_value, new_value FROM journal_field WHERE seq = ? ORDER BY field", count + 1)
    assert [(f, old) for f, old, _ in fields] == [("from_file", None), ("journal_head", None)]
    import json

    assert [json.loads(new)[1] for _, _, new in fields] == [str(backup_file), head]
    assert seeded("journal", "verify").exit_code == 0
    assert seeded("db", "check").exit_code == 0


@pytest.mark.sqlite_only
def test_a_restored_older_backup_is_upgraded_and_journaled(seeded, db_path, tmp_path):
    from salescrm.store.engine import HEAD_REVISION

    old = tmp_path / "old.db"
    shutil.copyfile(Path(__file__).parent / "fixtures" / "schema-0001.db", old)
    os.chmod(old, 0o600)
    r = seeded("db", "restore", str(old), "--force")
    assert r.exit_code == 0, r.stderr
    [before] = sorted(tmp_path.glob("crm.db.before-restore-*.bak"))
    assert r.stdout == (f"Restored {db_path} from {old}. It was upgraded from schema revision 0001 to {HEAD_REVISION}. "
                        f"The database as it was before is kept in {before}.\n")
    assert rows(db_path, "SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]
    assert rows(db_path, "SELECT record_type, action FROM journal ORDER BY seq DESC LIMIT 1") == [("database", "restore")]
    assert rows(old, "SELECT version_num FROM alembic_version") == [("0001",)]  # the backup itself is untouched
    assert seeded("journal", "verify").exit_code == 0


# --- restore under writers -----------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_a_restore_waits_for_a_write_in_progress_which_is_kept_in_the_copy_from_before(backup_file, db_path, tmp_path):
    paused = tmp_path / "paused"
    writer = start(*LOG, "--summary", "Written during the restore", pause=f"commit:{paused}")
    wait_for(paused, writer)  # between its BEGIN and its COMMIT
    restore = start("db", "restore", str(backup_file), "--force")
    assert still_waiting(restore)
    assert sorted(tmp_path.glob("*.bak")) == []  # not even the copy from before is begun
    paused.unlink()
    code, out, err = finish(writer)
    assert code == 0, err
    assert out.startswith("Logged activity ")
    code, out, err = finish(restore)
    assert code == 0, err
    [before] = sorted(tmp_path.glob("crm.db.before-restore-*.bak"))
    assert "Written during the restore" in summaries(before)
    assert "Written during the restore" not in summaries(db_path)


@pytest.mark.sqlite_only
def test_a_write_started_during_a_restore_waits_and_lands_in_the_restored_database(backup_file, db_path, tmp_path):
    paused = tmp_path / "paused"
    restore = start("db", "restore", str(backup_file), "--force", pause=f"backup:{paused}")
    wait_for(paused, restore)  # holding the lock, copying the database as it was before
    writer = start(*LOG, "--summary", "Written after the restore")
    assert still_waiting(writer)
    paused.unlink()
    code, out, err = finish(restore)
    assert code == 0, err
    code, out, err = finish(writer)
    assert code == 0, err
    [before] = sorted(tmp_path.glob("crm.db.before-restore-*.bak"))
    assert "Written after the restore" not in summaries(before)
    assert "Written after the restore" in summaries(db_path)
    assert subprocess.run([sys.executable, "-m", "salescrm", "journal", "verify"], capture_output=True).returncode == 0


@pytest.mark.sqlite_only
def test_reads_do_not_wait_for_a_restore(backup_file, tmp_path):
    paused = tmp_path / "paused"
    restore = start("db", "restore", str(backup_file), "--force", pause=f"backup:{paused}")
    wait_for(paused, restore)
    try:
        listed = subprocess.run([sys.executable, "-m", "salescrm", "deal", "list"], capture_output=True, text=True, timeout=30)
        assert listed.returncode == 0, listed.stderr
    finally:
        paused.unlink()
        assert finish(restore)[0] == 0


def test_writes_to_postgresql_take_no_lock_file(cli, backend, tmp_path):
    if backend != "postgresql":
        pytest.skip("about PostgreSQL: the lock is a SQLite file's")
    r = cli("company", "add", "Sanitas Hospitales", "--country", "ES", "--website", "https://www.sanitas.es")
    assert r.exit_code == 0, r.stderr
    assert sorted(tmp_path.rglob("*.lock")) == []
