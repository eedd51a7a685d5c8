"""Restores and writers take turns on a SQLite file, through the lock file beside it: `PATH.lock`.

Every salescrm write transaction on a SQLite file (a command's session, a schema upgrade) holds a shared
lock on `PATH.lock` from before its BEGIN until after its COMMIT or ROLLBACK. `db restore` holds it
exclusively while it copies the database "as it was before" and swaps the backup in. A write that exited 0
is therefore either in that copy, or it began after the swap and is in the restored database.

Only salescrm takes this lock. A program that writes the file by itself (the sqlite3 shell, a script) is
not held back by it, and a restore can lose what such a program writes meanwhile (docs/backup.md).

The lock is a POSIX record lock (`fcntl.lockf`) on two bytes, so that a stream of writers whose shared
locks overlap cannot starve a restore: byte 0 is a turnstile that each writer passes in an instant and a
restore keeps while it waits for the writers inside; byte 1 is the shared or exclusive lock itself.
Record locks belong to the process and go when any descriptor of the file is closed, so this module keeps
one descriptor per lock file and counts nested holds instead of locking again (a restore's own writes run
inside its exclusive hold). The lock file stays beside the database: removing it would let two processes
lock two different files.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from salescrm.errors import DatabaseUnavailable

_TURNSTILE = 0
_LOCK = 1
_held: dict[str, list] = {}  # lock file -> [descriptor, depth, exclusive]


def lock_file(path: Path) -> Path:
    """The lock file of the SQLite database `path`."""
    return path.with_name(path.name + ".lock")


@contextmanager
def for_writes(path: Path | None) -> Iterator[None]:
    """What a write transaction holds: the shared lock of a SQLite file (`path`), nothing on a server (None)."""
    if path is None:
        yield
        return
    with shared(path):
        yield


@contextmanager
def shared(path: Path) -> Iterator[None]:
    """Held by one write transaction on `path`: any number of writers at once, none during a restore."""
    with _hold(path, exclusive=False):
        yield


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Held by a restore: waits until the writers inside have finished, and keeps new ones out."""
    with _hold(path, exclusive=True):
        yield


@contextmanager
def _hold(path: Path, exclusive: bool) -> Iterator[None]:
    key = str(lock_file(Path(os.path.abspath(path))))
    held = _held.get(key)
    if held is not None:  # nested: this process already holds it
        if exclusive and not held[2]:
            raise RuntimeError("an exclusive hold inside a shared one would give the shared lock up")
        held[1] += 1
        try:
            yield
        finally:
            held[1] -= 1
        return
    fd = _open(key, path)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX, 1, _TURNSTILE)
        if exclusive:
            fcntl.lockf(fd, fcntl.LOCK_EX, 1, _LOCK)  # the turnstile stays held until the end
        else:
            try:
                fcntl.lockf(fd, fcntl.LOCK_SH, 1, _LOCK)
            finally:
                fcntl.lockf(fd, fcntl.LOCK_UN, 1, _TURNSTILE)
        _held[key] = [fd, 1, exclusive]
        try:
            yield
        finally:
            del _held[key]
    finally:
        os.close(fd)  # gives up every lock this process holds on the file


def _open(key: str, path: Path) -> int:
    try:
        return os.open(key, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as e:
        raise DatabaseUnavailable(
            f"Cannot open the lock file {key} beside the database {path}: {e.strerror}. Writing the database "
            "needs it; check that you may write its directory."
        ) from None
