"""The SQLite file itself, looked at before SQLite opens it: is it there, is it a database, may we write it.

Standard library only. Reads open the file read-only (`mode=ro`), so that they never switch a backup to
WAL mode nor create a database; writes create a missing file, readable by its owner only. When the last
connection closes, the write-ahead log is checkpointed into the file, so that a copy of the file alone
holds every committed change.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path
from urllib.parse import quote

from salescrm.errors import DatabaseUnavailable

HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 30  # as the engine waits for another writer
_WAL_MODE = 2  # header bytes 18 and 19 (file format versions): 2 means WAL, 1 a rollback journal


def no_database(path: Path) -> DatabaseUnavailable:
    return DatabaseUnavailable(
        f"No database at {path}. Check --db / SALESCRM_DB, or create one with `salescrm init`"
    )


def check_directory(path: Path, explicit: bool) -> None:
    """The directory that holds (or will hold) the file must exist when the path was given."""
    directory = path.parent
    if directory.is_dir() or (not explicit and not directory.exists()):
        return
    if directory.exists() or _under_a_file(directory):
        raise DatabaseUnavailable(f"{directory} is not a directory, so it cannot hold the database {path}.")
    raise DatabaseUnavailable(f"No directory {directory} for the database {path}; create it first")


def _under_a_file(directory: Path) -> bool:
    return any(p.exists() and not p.is_dir() for p in directory.parents)


def exists(path: Path) -> bool:
    """True for a SQLite database file; False when missing or 0 bytes (nothing to read); else an error."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    except OSError as e:
        raise DatabaseUnavailable(f"Cannot use the database at {path}: {e.strerror}.") from None
    if stat.S_ISDIR(st.st_mode):
        raise DatabaseUnavailable(
            f"{path} is a directory, not a database file: give a file in it, e.g. --db {path / 'salescrm.db'}"
        )
    if not stat.S_ISREG(st.st_mode):
        raise DatabaseUnavailable(f"{path} is not a regular file (a device, a pipe or a socket), so it cannot hold a database.")
    if st.st_size == 0:
        return False
    try:
        with open(path, "rb") as f:
            head = f.read(len(HEADER))
    except OSError as e:
        raise DatabaseUnavailable(f"Cannot read the database at {path}: {e.strerror}.") from None
    if head != HEADER:
        raise DatabaseUnavailable(f"{path} is not a SQLite database; nothing was changed. Check --db / SALESCRM_DB.")
    return True


def create(path: Path) -> bool:
    """Create a new SQLite file readable by its owner only (its -wal and -shm get the same mode),
    with private directories for the default location; True when this call made the file, False when
    it found an empty one."""
    try:
        _make_private_dirs(path.parent)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        return True
    except FileExistsError:  # a 0-byte file, or another process got there first
        try:
            st = path.stat()
            if st.st_size == 0 and st.st_uid == os.geteuid():
                os.chmod(path, 0o600)
        except OSError:
            pass
        return False
    except OSError as e:
        raise DatabaseUnavailable(
            f"Cannot create the database file {path}: {e.strerror}. "
            "Choose another location with --db or SALESCRM_DB."
        ) from None


def holds_records(path: Path) -> bool:
    """Whether a salescrm file holds anything a command wrote: every change appends to the journal."""
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error:
        return True
    try:
        return conn.execute("SELECT EXISTS (SELECT 1 FROM journal)").fetchone()[0] == 1
    except sqlite3.Error:  # no journal table: the schema was never made, so nothing was written
        return conn.execute("SELECT EXISTS (SELECT 1 FROM sqlite_master)").fetchone()[0] == 1
    finally:
        conn.close()


def remove(path: Path, keep_empty: bool = False) -> None:
    """Remove a database file with its log, its shared memory and its lock file; or, `keep_empty`,
    leave the file as it was found: 0 bytes."""
    if keep_empty:
        os.truncate(path, 0)
    for name in ((path,) if not keep_empty else ()) + (_beside(path, "-wal"), _beside(path, "-shm"), _beside(path, ".lock")):
        try:
            os.remove(name)
        except FileNotFoundError:
            pass


def _make_private_dirs(directory: Path) -> None:
    missing = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for d in reversed(missing):
        d.mkdir(mode=0o700)


def writable(path: Path) -> bool:
    """Whether this process may change the file: the file and its directory (for -wal, -shm, journals)."""
    return os.access(path, os.W_OK, effective_ids=True) and os.access(path.parent, os.W_OK, effective_ids=True)


def read_only_uri(path: Path) -> str:
    """The URI that opens the file read-only: it makes no WAL switch and cannot write.

    A WAL-mode file needs its -shm beside it, or a directory where SQLite may create one. Where neither
    is there, no process has the file open in WAL mode, and `immutable=1` reads it as it lies (a
    process that could write the directory and starts writing during the read is not seen).
    """
    uri = f"file:{quote(str(path))}?mode=ro"
    if _wal_mode(path) and not _beside(path, "-shm").exists() and not os.access(path.parent, os.W_OK, effective_ids=True):
        if _beside(path, "-wal").exists():
            raise DatabaseUnavailable(
                f"The database {path} has changes in {_beside(path, '-wal')} that cannot be read without write "
                "access to its directory; open it once where it may be written."
            )
        uri += "&immutable=1"
    return uri


def connect_read_only(path: Path, timeout: float) -> sqlite3.Connection:
    return sqlite3.connect(read_only_uri(path), uri=True, timeout=timeout, check_same_thread=False)


def _wal_mode(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            f.seek(18)
            return f.read(1) == bytes([_WAL_MODE])
    except OSError:
        return False


def _beside(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def checkpoint(path: Path) -> None:
    """Move what the write-ahead log holds into the file, and remove the log when nobody else has it open.

    Runs after the command's own connections closed: after a read (a read-only connection cannot
    checkpoint and leaves -wal and -shm behind) and after a SIGKILL left a log for the next command.
    """
    if not _beside(path, "-wal").exists() or not writable(path):
        return
    try:
        conn = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    except sqlite3.Error:
        return
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error:
        pass  # another process is writing: its own last close checkpoints
    finally:
        conn.close()  # the last connection to close removes the log
