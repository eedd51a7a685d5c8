"""The outcome said is the outcome on disk (issue 11).

- A full or failing disk under the database is said as such (exit 3), whatever statement met it: SQLite's
  "database or disk is full" (met through `PRAGMA max_page_count`, set by the store's test hook
  SALESCRM_TEST_SQLITE_MAX_PAGES) even when it surfaces as "no such savepoint"; PostgreSQL's SQLSTATE
  53100 disk_full and 58030 io_error (raised by the real server, from a trigger of the test's database).
- stdout or stderr that cannot be written: a committed change exits 4 and says so on stderr if it can;
  a closed pipe stays exit 0; `--help | head -1` exits 0.
- A signal during a multi-row import says "nothing was saved" when nothing was.
"""

from __future__ import annotations

import json
import shlex
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from salescrm.store.location import resolve

LEADS = 300


def _leads_file(tmp_path: Path, count: int = LEADS) -> Path:
    path = tmp_path / "leads.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for i in range(count):
            f.write(json.dumps({"first_name": f"Lead{i}", "last_name": "Person", "email": f"lead{i}@example.com",
                                "company": f"Clinic {i}", "country": "ES", "channel": "web-form",
                                "note": "Asked for a call back about dermatology triage. " * 4}) + "\n")
    return path


def _disk_full_message(db_url: str, cause: str = "the disk that holds it is full") -> str:
    return (f"Cannot write the database at {resolve(db_url).display}: {cause}; nothing was saved. "
            "Free space on that disk (or check it), then run the command again.\n")


# --- Disk full is said as disk full --------------------------------------------------------------


@pytest.mark.sqlite_only
def test_sqlite_disk_full_during_a_lead_import_is_said_as_disk_full(sh, db_url, db, tmp_path):
    """Today: "no such savepoint: sa_savepoint_N" (the full disk rolled the transaction back under a lead's
    savepoint). The file may grow by a few pages only: the import meets "database or disk is full"."""
    pages = sqlite3.connect(db_url).execute("PRAGMA page_count").fetchone()[0]
    run = sh("lead", "add", "--from-json", str(_leads_file(tmp_path)),
             env={"SALESCRM_TEST_SQLITE_MAX_PAGES": str(pages + 8)})
    assert run.exit_code == 3, run.stderr
    assert run.stderr == _disk_full_message(db_url)
    assert "savepoint" not in run.stderr
    assert db.count("contact") == 0 and db.count("company") == 0 and db.count("task") == 0
    assert db.count("journal") == 0


@pytest.mark.sqlite_only
def test_sqlite_disk_full_while_creating_the_tables(sh, tmp_path):
    """Today "Unexpected error: OperationalError": the first command on a new file meets the full disk."""
    path = tmp_path / "new.db"
    run = sh("--db", str(path), *QUIET, env={"SALESCRM_TEST_SQLITE_MAX_PAGES": "5"})
    assert (run.exit_code, run.stderr) == (3, _disk_full_message(str(path)))
    assert sqlite3.connect(path).execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone() == (0,)


_RAISE_FROM_CONTACT = """
CREATE FUNCTION fake_storage_fault() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT count(*) FROM contact) >= 40 THEN
    RAISE EXCEPTION 'could not extend file "base/16384/16385": No space left on device' USING ERRCODE = '{code}';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER fake_storage_fault BEFORE INSERT ON contact FOR EACH ROW EXECUTE FUNCTION fake_storage_fault();
"""


@pytest.mark.parametrize("code, cause", [("disk_full", "the disk that holds it is full"),
                                         ("io_error", "the disk that holds it reported an I/O error")])
def test_postgresql_disk_full_during_a_lead_import_is_said_as_disk_full(backend, sh, db_url, db, tmp_path, code, cause):
    """The server raises SQLSTATE 53100 (disk_full) or 58030 (io_error) at the 41st lead, as it would on a
    full or failing disk: psycopg gives psycopg.errors.DiskFull / IoError, exactly the driver's error."""
    if backend != "postgresql":
        pytest.skip("a PostgreSQL server's SQLSTATE")
    import psycopg
    import sqlalchemy as sa

    engine = sa.create_engine(resolve(db_url).url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(_RAISE_FROM_CONTACT.format(code=code).replace("%", "%%"))
    engine.dispose()
    assert psycopg.errors.lookup(code.upper()).sqlstate in ("53100", "58030")
    run = sh("lead", "add", "--from-json", str(_leads_file(tmp_path)))
    assert (run.exit_code, run.stderr) == (3, _disk_full_message(db_url, cause))
    assert db.count("contact") == 0 and db.count("company") == 0 and db.count("journal") == 0


@pytest.mark.no_database
def test_storage_fault_reads_every_form_of_a_full_or_failing_disk():
    """The one mapping the store and `db backup` use: driver errors, OSErrors, and a cause found in the context."""
    import errno

    from salescrm.errors import EXIT_DATABASE, storage_failure, storage_fault

    full, io = "the disk that holds it is full", "the disk that holds it reported an I/O error"
    assert storage_fault(sqlite3.OperationalError("database or disk is full")) == full
    assert storage_fault(sqlite3.OperationalError("disk I/O error")) == io
    assert storage_fault(OSError(errno.ENOSPC, "No space left on device")) == full
    assert storage_fault(OSError(errno.EDQUOT, "Disk quota exceeded")) == full
    assert storage_fault(OSError(errno.EIO, "Input/output error")) == io
    assert storage_fault(OSError(errno.EACCES, "Permission denied")) is None
    assert storage_fault(sqlite3.OperationalError("database is locked")) is None
    try:
        try:
            raise sqlite3.OperationalError("database or disk is full")
        except sqlite3.OperationalError:
            raise sqlite3.OperationalError("no such savepoint: sa_savepoint_3")
    except sqlite3.OperationalError as e:
        assert storage_fault(e) == full
    failure = storage_failure(OSError(errno.ENOSPC, "No space left on device"), "the backup /b/crm.bak",
                              "no backup was written")
    assert failure.exit_code == EXIT_DATABASE
    assert failure.message == ("Cannot write the backup /b/crm.bak: the disk that holds it is full; no backup was "
                               "written. Free space on that disk (or check it), then run the command again.")
    assert storage_failure(ValueError("x"), "the database at crm.db") is None


# --- Interrupting a multi-row command tells the truth ----------------------------------------------


@pytest.mark.parametrize("signum, status, message", [
    (signal.SIGTERM, 143, "Terminated; nothing was saved.\n"),
    (signal.SIGINT, 130, "Interrupted; nothing was saved.\n"),
], ids=["SIGTERM", "SIGINT"])
def test_signal_during_a_lead_import_says_nothing_was_saved(backend, db_url, db, tmp_path, signum, status, message):
    """Today "the change was already saved", 12 times out of 12: each lead's savepoint set the flag."""
    from tests.test_crash import _probe

    writing, close = _probe(backend, db_url)
    proc = subprocess.Popen([sys.executable, "-m", "salescrm", "lead", "add", "--from-json",
                             str(_leads_file(tmp_path, 2000))], cwd=tmp_path, env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        start = time.perf_counter()
        while not writing():
            assert proc.poll() is None, proc.communicate()[1]
            assert time.perf_counter() - start < 60, "the import's transaction did not start within 60 s"
            time.sleep(0.01)
        time.sleep(1.5)  # a dozen leads' savepoints released, the outermost transaction still open
        assert proc.poll() is None and writing(), "the import ended before the signal"
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (proc.returncode, err) == (status, message)
    assert db.count("contact") == 0 and db.count("company") == 0 and db.count("journal") == 0


# --- When stdout or stderr cannot be written ---------------------------------------------------

SAVED = "The change was saved, but its output could not be written (stdout: {})."
QUIET = ["company", "add", "Quiet Clinic", "--country", "ES", "--website", "q.es"]


def _shell(tmp_path: Path, args: list[str], redirect: str) -> subprocess.CompletedProcess:
    """`salescrm ARGS REDIRECT` through bash (`>&-` closes stdout before the program starts)."""
    command = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "salescrm", *args])
    return subprocess.run(["bash", "-c", f"set -o pipefail; {command} {redirect}"], capture_output=True, text=True,
                          env=dict(os.environ), cwd=tmp_path, timeout=300)


@pytest.mark.parametrize("redirect, error", [(">&-", "Bad file descriptor"), (">/dev/full", "No space left on device")],
                         ids=["closed", "full"])
def test_a_saved_change_whose_output_cannot_be_written_exits_4(backend, db, tmp_path, redirect, error):
    """Today: exit 1, "Unexpected error: AttributeError (OSError); nothing was saved", yet the company exists."""
    run = _shell(tmp_path, QUIET, redirect)
    assert (run.returncode, run.stderr) == (4, SAVED.format(error) + "\n")
    assert db.query("SELECT name, website FROM company") == [("Quiet Clinic", "https://q.es")]


def test_a_warning_into_a_closed_stderr_exits_4(backend, db, tmp_path):
    """The legal form in the name gives a warning on stderr, which is closed: nothing can say so, exit 4."""
    run = _shell(tmp_path, ["company", "add", "Quiet Clinic S.L.", "--country", "ES", "--website", "q.es"], "2>&-")
    assert run.returncode == 4
    assert run.stdout.startswith("Added company 1: Quiet Clinic S.L. (ES)\n")
    assert db.query("SELECT name FROM company") == [("Quiet Clinic S.L.",)]


def test_neither_stream_writable_still_exits_4(backend, db, tmp_path):
    run = _shell(tmp_path, QUIET, ">/dev/full 2>&-")
    assert (run.returncode, run.stdout) == (4, "")
    assert db.count("company") == 1


def test_a_lead_import_whose_json_cannot_be_written_exits_4(backend, db, tmp_path):
    """Today: "Unexpected error: OSError; nothing was saved" after the leads and their activities were written."""
    run = _shell(tmp_path, ["lead", "add", "--from-json", str(_leads_file(tmp_path)), "--json"], ">/dev/full")
    assert (run.returncode, run.stderr) == (4, SAVED.format("No space left on device") + "\n")
    assert db.count("contact") == LEADS and db.count("activity") == LEADS and db.count("task") == LEADS


def test_a_read_whose_output_cannot_be_written_exits_4(backend, db, tmp_path):
    assert _shell(tmp_path, QUIET, ">/dev/null").returncode == 0
    for redirect, error in ((">/dev/full", "No space left on device"), (">&-", "Bad file descriptor")):
        run = _shell(tmp_path, ["company", "list"], redirect)
        assert (run.returncode, run.stderr) == (4, f"The output could not be written (stdout: {error}); nothing was changed.\n")


def test_a_write_into_a_closed_pipe_exits_0(backend, db, tmp_path):
    run = _shell(tmp_path, ["lead", "add", "--from-json", str(_leads_file(tmp_path)), "--json"], "| head -1")
    assert (run.returncode, run.stdout, run.stderr) == (0, "[\n", "")
    assert db.count("contact") == LEADS


@pytest.mark.no_database
@pytest.mark.parametrize("command", [[], ["company"], ["lead", "add"], ["db", "backup"]], ids=" ".join)
def test_help_into_a_closed_pipe_exits_0(tmp_path, command):
    """Today exit 1: rich and Typer's Click turn the BrokenPipeError into exit 1."""
    run = _shell(tmp_path, [*command, "--help"], "| head -1")
    assert (run.returncode, run.stderr) == (0, "")
    assert len(run.stdout.splitlines()) == 1


@pytest.mark.no_database
def test_help_into_a_full_device_exits_4(tmp_path):
    run = _shell(tmp_path, ["--help"], ">/dev/full")
    assert (run.returncode, run.stderr) == (4, "The output could not be written (stdout: No space left on device); "
                                               "nothing was changed.\n")


def test_an_unexpected_error_after_the_commit_does_not_say_nothing_was_saved(cli, db, monkeypatch):
    """A failure while the confirmation is printed (after the commit) says the change was saved."""
    from salescrm.cli import output

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(output, "say", broken)
    run = cli(*QUIET)
    assert run.exit_code == 1
    assert run.stderr.startswith("Unexpected error: RuntimeError; the change was already saved. Details are in ")
    assert db.count("company") == 1
