"""Consistent copies of a SQLite database, made while others may be writing (restores: store/restore.py).

Copying a live database with `cp` is not a backup (a copied WAL database can lose its tables): these use
SQLite's online backup API, and every file they create is readable by its owner only.

A copy is never written under its own name. It goes to a temporary file beside its target
(`.NAME.XXXXXXXX.tmp`, mode 0600), is fsynced and checked (SQLite's integrity check, every table of the
database it copies, the journal whole), and only then linked to its name, which is never replaced. On
a failure or a signal the temporary file is removed: a failed backup leaves no file.
"""

from __future__ import annotations

import errno
import os
import secrets
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from salescrm.errors import DatabaseUnavailable, InvalidValue, Refused
from salescrm.store import sqlite_file, test_hook

_TEMPORARY_SUFFIXES = ("", "-journal", "-wal", "-shm")
_LONGEST_NAME = 255 - len(".XXXXXXXX.tmp-journal") - 1  # NAME_MAX, less what the temporary file adds


# --- Writing a copy ------------------------------------------------------------------------------


def copy_database(source: Path, target: Path) -> None:
    """Copy the SQLite database `source` into the new file `target` (mode 0600), or leave no file at all."""
    _refuse_taken(target)
    temporary = temporary_beside(target, "backup")
    try:
        tables, revision = copy_snapshot(source, temporary)
        fsync(temporary)
        test_hook.pause("backup")  # tests only: see store/test_hook.py
        _check_copy(temporary, tables, revision)
        publish(temporary, target)
    except BaseException as e:
        remove_temporary(temporary)
        if isinstance(e, (sqlite3.Error, OSError)):
            raise write_failure(f"the backup {target}", e) from None
        raise


def copy_beside(path: Path, label: str, kind: str = "migration") -> Path:
    """A copy of `path` next to it (`crm.db.LABEL-20261123T055021Z.bak`), kept before it is changed wholesale;
    recorded in the database's registry by the change that follows (`record_pending`), as `kind`."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.{label}-{stamp}.bak")
    number = 1
    while os.path.lexists(target):  # several copies within one second
        number += 1
        target = path.with_name(f"{path.name}.{label}-{stamp}-{number}.bak")
    copy_database(path, target)
    _pending.append((_key(path), target, kind))
    return target


# --- The registry of backups (`backup_record`, migration 0008) -----------------------------------
#
# Every copy salescrm makes of a database is recorded in that database: those made before an erasure still
# hold the erased data (`db status` names them). A copy made before a migration or a restore is recorded
# by the change it preceded, once the database has the table (a file upgraded from before 0008 too).

_pending: list[tuple[str, Path, str]] = []  # (database, copy, kind): made by this process, not yet recorded


def _key(path: Path) -> str:
    return str(Path(os.path.abspath(path)))


def record_pending(conn, database: Path) -> int:
    """Record the copies this process made of `database` (in the connection's transaction); how many."""
    import sqlalchemy as sa

    mine = [item for item in _pending if item[0] == _key(database)]
    if not mine or not sa.inspect(conn).has_table("backup_record"):
        return 0
    record(conn, [(copy, kind) for _, copy, kind in mine])
    for item in mine:
        _pending.remove(item)
    return len(mine)


def record(conn, copies: list[tuple[Path, str]]) -> None:
    """Add each (copy, kind) to the registry: kind backup, migration or restore."""
    import sqlalchemy as sa

    from salescrm.store.actors import current_user

    table = sa.table("backup_record", sa.column("path"), sa.column("kind"), sa.column("made_at", sa.DateTime(timezone=True)),
                     sa.column("made_by"))
    at, by = datetime.now(timezone.utc), current_user()
    conn.execute(sa.insert(table), [{"path": str(copy), "kind": kind, "made_at": at, "made_by": by} for copy, kind in copies])


def write_failure(what: str, error: BaseException) -> DatabaseUnavailable:
    """A copy that could not be written: a full or failing disk said as such (errors.storage_failure, the one
    mapping), any other error by its own words."""
    from salescrm.errors import storage_failure

    return storage_failure(error, what, "nothing was written") or DatabaseUnavailable(
        f"Cannot write {what}: {_reason(error)}; nothing was written.")


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _refuse_taken(target: Path) -> None:
    """The target is a new name: not a file, a directory or a symbolic link (even to nothing)."""
    if "\0" in str(target):
        raise InvalidValue("The backup's file name holds a NUL character, which no file name may hold.")
    if len(os.fsencode(target.name)) > _LONGEST_NAME:
        raise InvalidValue(f"The backup's file name is longer than {_LONGEST_NAME} bytes: choose a shorter one.")
    if target.is_symlink() and not target.exists():
        raise Refused(f"{target} is a symbolic link to {os.readlink(target)}, which does not exist; salescrm does not "
                      "write a backup through a link: give the backup a new file name.")
    if target.is_dir():
        raise Refused(f"{target} is a directory: give the backup a new file name in it, e.g. {target / 'salescrm-backup.db'}.")
    if os.path.lexists(target):
        raise Refused(f"{target} already exists; choose a new file name for the backup.")
    if not target.parent.is_dir():
        raise InvalidValue(f"No directory {target.parent} for the backup {target}; create it first.")


def temporary_beside(target: Path, what: str) -> Path:
    """A new private file in the target's directory (the rename that publishes it stays on one file system)."""
    for _ in range(100):
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            continue
        except OSError as e:
            raise write_failure(f"the {what} in {target.parent}", e) from None
        os.close(fd)
        return temporary
    raise DatabaseUnavailable(f"Cannot make a temporary file in {target.parent} for the {what}.")


def copy_snapshot(source: Path, target: Path) -> tuple[set[str], str | None]:
    """The backup API, in one step (one snapshot of a database others may be writing); the source's tables
    and schema revision as it read them. The copy is one self-contained file (no write-ahead log)."""
    src = sqlite3.connect(sqlite_file.read_only_uri(source), uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.execute("BEGIN")  # the tables and the pages come from the same snapshot
            tables = _tables(src)
            revision = _revision(src) if "alembic_version" in tables else None
            src.backup(dst)
            src.execute("COMMIT")
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    return tables, revision


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _revision(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def _check_copy(path: Path, tables: set[str], revision: str | None) -> None:
    """The copy is sound before it gets its name: intact, with every table of the source and the same
    revision, and its journal whole (as many rows as its head says)."""
    conn = sqlite3.connect(sqlite_file.read_only_uri(path), uri=True)
    try:
        integrity = [line for (line,) in conn.execute("PRAGMA integrity_check")]
        problems = [] if integrity == ["ok"] else [f"integrity: {integrity[0]}"]
        found = _tables(conn)
        missing = sorted(tables - found)
        if missing:
            problems.append(f"missing tables: {', '.join(missing)}")
        elif "alembic_version" in found and _revision(conn) != revision:
            problems.append(f"schema revision {_revision(conn)} instead of {revision}")
        if not missing and {"journal", "journal_head"} <= found:
            rows = conn.execute("SELECT count(*) FROM journal").fetchone()[0]
            head = conn.execute("SELECT seq FROM journal_head WHERE id = 1").fetchone()
            if head is not None and head[0] != rows:
                problems.append(f"the journal holds {rows} rows and its head says {head[0]}")
    finally:
        conn.close()
    if problems:
        raise DatabaseUnavailable(f"The copy failed its check ({'; '.join(problems)}); nothing was written.")


def publish(temporary: Path, target: Path) -> None:
    """Give the checked copy its name, never replacing a file that appeared there meanwhile."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise Refused(f"{target} appeared while the backup was written; choose a new file name.") from None
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        if os.path.lexists(target):  # a file system without hard links
            raise Refused(f"{target} appeared while the backup was written; choose a new file name.") from None
        os.rename(temporary, target)
    else:
        os.unlink(temporary)
    _fsync_directory(target.parent)


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse to fsync a directory; the file itself is on disk
    finally:
        os.close(fd)


def remove_temporary(temporary: Path) -> None:
    from salescrm import interrupts

    with interrupts.deferred():  # a second Ctrl-C does not leave the file behind
        for suffix in _TEMPORARY_SUFFIXES:
            try:
                os.unlink(f"{temporary}{suffix}")
            except OSError:
                pass
