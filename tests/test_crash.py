"""Crashes and signals: a write is all or nothing whatever happens to the process.

- SIGKILL at random moments of `demo --size 2000` (SQLite): the file passes `PRAGMA integrity_check`
  and holds none of the command's records or all of them.
- SIGTERM and SIGINT inside the write transaction of a long `demo` (seen through the database: SQLite's
  write lock, PostgreSQL's transaction id), at several moments of it: exit 143 / 130, one line on
  stderr, nothing written. After the commit: the message does not claim that nothing was saved.
- Output into a closed pipe (`deal list | head -1`): no traceback, exit status 0.

The random delays come from random.Random(SEED); set SALESCRM_CRASH_SEED to replay another run.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from salescrm.store.engine import HEAD_REVISION
from tests.conftest import copy_sqlite_template

SEED = int(os.environ.get("SALESCRM_CRASH_SEED", "20260418"))
KILLS = 24
KILL_SIZE = 2000
EXAMPLE_DEALS = 12  # the SP-009-001 examples `demo` writes before the synthetic deals
SIGNAL_SIZE = 30000
TABLES = ("team_member", "company", "contact", "contact_company", "deal", "deal_contact", "gate_value",
          "stage_change", "journal", "journal_field")


def _crm(*args: str) -> list[str]:
    return [sys.executable, "-m", "salescrm", *args]


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _sqlite_counts(path: Path) -> tuple[str | None, str | None, dict[str, int]]:
    """(integrity_check result, schema revision, row count per table) of a SQLite file, opened as the next user would."""
    conn = sqlite3.connect(path, timeout=5)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] if "alembic_version" in tables else None
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES if t in tables}
    finally:
        conn.close()
    return integrity, revision, counts


# --- SIGKILL -------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_sigkill_at_random_moments_leaves_all_or_nothing(backend, tmp_path):
    rng = random.Random(SEED)
    env = dict(os.environ)

    # The command's usual duration, and what a complete run leaves in each table.
    durations, complete = [], None
    for n in range(2):
        path = tmp_path / f"measure{n}.db"
        start = time.perf_counter()
        done = subprocess.run(_crm("--db", str(path), "demo", "--size", str(KILL_SIZE)), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120)
        durations.append(time.perf_counter() - start)
        assert done.returncode == 0, done.stderr
        integrity, revision, counts = _sqlite_counts(path)
        assert integrity == "ok" and revision == HEAD_REVISION
        assert counts["deal"] == EXAMPLE_DEALS + KILL_SIZE
        complete = counts
        _remove(path)
    duration = statistics.mean(durations)

    outcomes: dict[str, int] = {"exited before the kill": 0, "no file yet": 0, "during schema creation": 0,
                                "during the demo transaction": 0, "after the commit": 0}
    alive_at_kill = wal_nonempty_at_kill = 0
    problems = []
    for kill in range(KILLS):
        path = tmp_path / f"kill{kill}.db"
        delay = rng.uniform(0.05, duration)
        proc = subprocess.Popen(_crm("--db", str(path), "demo", "--size", str(KILL_SIZE)), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        alive = proc.poll() is None
        wal = Path(f"{path}-wal")
        wal_size = wal.stat().st_size if wal.exists() else 0
        proc.kill()
        proc.wait(timeout=30)
        alive_at_kill += alive
        wal_nonempty_at_kill += alive and wal_size > 0

        where = f"kill {kill} after {delay:.2f} s"
        if not alive:
            outcomes["exited before the kill"] += 1
            if proc.returncode != 0:
                problems.append(f"{where}: the command exited {proc.returncode} before the kill")
        if not path.exists() or path.stat().st_size == 0:
            outcomes["no file yet"] += alive
            if not alive:
                problems.append(f"{where}: the command exited but left no database")
            continue
        integrity, revision, counts = _sqlite_counts(path)
        if integrity != "ok":
            problems.append(f"{where}: integrity_check says {integrity!r}")
        deals = counts.get("deal", 0)
        if revision != HEAD_REVISION:
            outcomes["during schema creation"] += 1
            if any(counts.values()):
                problems.append(f"{where}: no schema revision, yet rows {counts}")
        elif deals == 0:
            outcomes["during the demo transaction"] += alive
            if any(counts.values()):
                problems.append(f"{where}: no deals but a part of the other records: {counts}")
        elif counts == complete:
            outcomes["after the commit"] += alive
        else:
            problems.append(f"{where}: a part of the command's records: {counts} (complete: {complete})")
        _remove(path)

    report = (f"seed {SEED}; {KILLS} kills within {duration:.2f} s (the command's mean duration); alive at kill: "
              f"{alive_at_kill}; WAL non-empty at kill: {wal_nonempty_at_kill}; " + "; ".join(f"{k}: {v}" for k, v in outcomes.items()))
    print("\n" + report)
    assert not problems, report + "\n" + "\n".join(problems)
    # The test means something only when kills landed while the command was writing.
    assert alive_at_kill >= KILLS // 2, report
    assert outcomes["during the demo transaction"] >= 3, report
    assert outcomes["during the demo transaction"] + outcomes["during schema creation"] >= 4, report


# --- SIGTERM and SIGINT inside the transaction ---------------------------------------------


def _sqlite_writing(path: Path) -> bool:
    """True while a writer holds the file's write lock after the schema is in place (the demo transaction).

    Opens the file only if it exists (mode=rw), so that probing never creates it.
    """
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=0, isolation_level=None)
    except sqlite3.OperationalError:
        return False
    try:
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:
            return False  # no schema yet, or the migration holds the file
        if not row or row[0] != HEAD_REVISION:
            return False
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            return "locked" in str(e) or "busy" in str(e)
        conn.execute("ROLLBACK")
        return False
    finally:
        conn.close()


class _PostgresProbe:
    """Whether another session of this database has written in its open transaction (holds a transaction id).

    One connection, reused, so that each look takes a millisecond.
    """

    def __init__(self, url: str):
        import sqlalchemy as sa

        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
        self.conn = self.engine.connect()

    def __call__(self) -> bool:
        return bool(self.conn.exec_driver_sql(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' "
            "AND a.datname = current_database() AND a.pid <> pg_backend_pid()"
        ).scalar())

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()


def _probe(backend: str, url: str):
    """A callable telling whether the command under test is inside its write transaction, and its closer."""
    if backend == "sqlite":
        return (lambda: _sqlite_writing(Path(url))), (lambda: None)
    probe = _PostgresProbe(url)
    return probe, probe.close


@pytest.fixture
def writing(backend, db_url):
    """Whether the command under test is inside its write transaction, on this test's database."""
    probe, close = _probe(backend, db_url)
    yield probe
    close()


def _fresh_database(backend: str, request, tmp_path: Path, name: str) -> str:
    if backend == "sqlite":
        return copy_sqlite_template(request, tmp_path / f"{name}.db")
    return request.getfixturevalue("pg_server").create_database(f"t{os.getpid()}_{name}_{time.monotonic_ns()}",
                                                                 template="salescrm_template")


def _counts(url: str, tables: tuple[str, ...]) -> dict[str, int]:
    import sqlalchemy as sa

    from salescrm.store.location import resolve

    engine = sa.create_engine(resolve(url).url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in tables}
    finally:
        engine.dispose()


SIGNAL_ATTEMPTS = 5  # at different moments of the transaction: a signal can land in Python or inside a driver call


@pytest.mark.parametrize(
    "signum, status, message",
    [(signal.SIGTERM, 143, "Terminated; nothing was saved."), (signal.SIGINT, 130, "Interrupted; nothing was saved.")],
    ids=["SIGTERM", "SIGINT"],
)
def test_signal_inside_the_write_transaction_saves_nothing(backend, db_url, request, tmp_path, signum, status, message):
    rng = random.Random(SEED + signum)
    offsets = [0.3] + [rng.uniform(0.05, 1.0) for _ in range(SIGNAL_ATTEMPTS - 1)]
    failures, lines = [], []
    for attempt, offset in enumerate(offsets):
        # The first attempt uses this test's database; the others a fresh one each (demo wants an empty one).
        url = db_url if attempt == 0 else _fresh_database(backend, request, tmp_path, f"attempt{attempt}")
        writing, close = _probe(backend, url)
        proc = subprocess.Popen(_crm("demo", "--size", str(SIGNAL_SIZE)), env={**os.environ, "SALESCRM_DB": url},
                                cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            start = time.perf_counter()
            while not writing():
                assert proc.poll() is None, (
                    f"demo --size {SIGNAL_SIZE} ended ({proc.returncode}) before its transaction was seen: "
                    f"{proc.communicate()[1]}"
                )
                assert time.perf_counter() - start < 60, "the demo transaction did not start within 60 s"
                time.sleep(0.01)
            seen = time.perf_counter() - start
            time.sleep(offset)  # inside the transaction, which lasts seconds
            assert proc.poll() is None, "the command finished before the signal could be sent"
            assert writing(), f"the transaction ended within {offset:.2f} s, before the signal could be sent"
            proc.send_signal(signum)
            _, err = proc.communicate(timeout=60)
        finally:
            close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        counts = _counts(url, ("deal", "journal", "company", "team_member"))
        where = f"attempt {attempt}: {signum.name} {offset:.2f} s after the transaction was seen ({seen:.2f} s)"
        lines.append(f"{where}: exit {proc.returncode}, stderr {err.strip()[-80:]!r}, rows {counts}")
        if proc.returncode != status or err != message + "\n" or "Traceback" in err:
            failures.append(f"{where}: exit {proc.returncode} (expected {status}); stderr:\n{err}")
        if any(counts.values()):
            failures.append(f"{where}: written although interrupted: {counts}")
    print(f"\n{backend}: " + "\n".join(lines))
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "signum, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"],
)
def test_signal_after_the_commit_does_not_claim_nothing_was_saved(backend, db, writing, tmp_path, signum, status):
    """A signal that arrives once the transaction is committed (while the pipeline is printed) may stop the
    command, but must not tell the user that nothing was saved."""
    env = dict(os.environ)
    proc = subprocess.Popen(_crm("demo", "--size", str(SIGNAL_SIZE)), env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        start = time.perf_counter()
        while not writing():  # wait for the transaction ...
            assert proc.poll() is None and time.perf_counter() - start < 60, proc.communicate()[1]
            time.sleep(0.01)
        while writing():  # ... and for its end
            assert proc.poll() is None and time.perf_counter() - start < 120, proc.communicate()[1]
            time.sleep(0.005)
        committed = db.count("deal")
        still_running = proc.poll() is None
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert committed == EXAMPLE_DEALS + SIGNAL_SIZE
    if not still_running:
        pytest.skip("the command ended before the signal; nothing to check")
    assert "Traceback" not in err
    assert proc.returncode in (0, status, -signum), (proc.returncode, err)
    assert "nothing was saved" not in err, (
        f"the deals were committed before the signal, yet the command exited {proc.returncode} saying: {err.strip()!r}"
    )


_DRIVER_NOISE = r"""
import logging, os, signal
from salescrm import interrupts
from salescrm.errors import Interrupted

def noise(label):
    for name in ("psycopg", "sqlalchemy.pool.impl.QueuePool", "salescrm.other"):
        try:
            raise RuntimeError("cannot exit pipeline mode while busy")
        except RuntimeError:
            logging.getLogger(name).error("%s: %s", label, name, exc_info=True)

interrupts.install()
noise("before")
try:
    os.kill(os.getpid(), signal.SIGTERM)
except Interrupted:
    pass
noise("after")
"""


def test_driver_cleanup_logs_are_quiet_once_a_signal_arrived():
    """When a signal breaks a statement off, psycopg and SQLAlchemy's pool log their failed tidying
    ("Exception during reset or similar") with a traceback; the person gets only the one line."""
    done = subprocess.run([sys.executable, "-c", _DRIVER_NOISE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    headlines = [line for line in done.stderr.splitlines() if line.startswith(("before", "after"))]
    assert headlines == ["before: psycopg", "before: sqlalchemy.pool.impl.QueuePool", "before: salescrm.other",
                         "after: salescrm.other"]


# --- Output into a closed pipe ----------------------------------------------------------------


def test_output_into_a_closed_pipe_is_quiet(backend, sh, tmp_path):
    made = sh("demo", "--size", "3000", timeout=180)
    assert made.exit_code == 0, made.stderr
    for listing in (["deal", "list"], ["deal", "list", "--json"]):
        command = " ".join([sys.executable, "-m", "salescrm", *listing])
        for _ in range(3):
            p = subprocess.run(["bash", "-c", f"set -o pipefail; {command} | head -1"], capture_output=True, text=True,
                               env=dict(os.environ), cwd=tmp_path, timeout=120)
            for bad in ("Traceback", "BrokenPipeError", "Exception ignored"):
                assert bad not in p.stderr, (listing, p.stderr)
            assert p.stderr == "", (listing, p.stderr)
            assert p.returncode == 0, (listing, p.returncode, p.stderr)
            assert len(p.stdout.splitlines()) == 1, (listing, p.stdout[:500])
