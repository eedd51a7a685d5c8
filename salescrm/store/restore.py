"""Restores from a backup (store/backup.py writes the copies this reads).

A restore writes the backup, with a journal row saying so, to a temporary file beside the database, then
takes the exclusive write lock (store/write_lock.py) for the copy "as it was before" and the swap.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from salescrm.errors import InvalidValue, Refused
from salescrm.store import sqlite_file
from salescrm.store.backup import (copy_beside, copy_snapshot, fsync, publish, remove_temporary, temporary_beside,
                                   write_failure)


def inspect_backup(path: Path) -> str | None:
    """Check a backup file: SQLite, intact, with salescrm's tables; return its schema revision."""
    if not path.is_file():
        raise InvalidValue(f"No backup file at {path}.")
    try:
        conn = sqlite3.connect(sqlite_file.read_only_uri(path), uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise Refused(f"{path} is not a salescrm database backup ({e}); nothing was restored.") from None
    if result != "ok":
        raise Refused(f"{path} fails SQLite's integrity check ({result}); nothing was restored.")
    return revision[0] if revision else None


def restore_database(backup: Path, path: Path, info: dict) -> Path | None:
    """Replace the content of the database `path` with `backup`, and journal it; return the copy of the
    database as it was before (None when there was none).

    The backup is copied beside the database first, brought to this salescrm's schema and given a journal
    row (record type `database`, action `restore`, fields `from_file` and `journal_head`, the restored
    journal's `COUNT:HASH`). Then, under the exclusive write lock, the database as it was is copied beside
    it and the prepared copy swapped in, in one step: no salescrm write falls between the two.
    """
    from salescrm import interrupts
    from salescrm.store import write_lock

    prepared = temporary_beside(path, "restore")
    try:
        try:
            copy_snapshot(backup, prepared)
            _prepare(prepared, backup, info)
            fsync(prepared)
        except (sqlite3.Error, OSError) as e:
            raise write_failure(f"the restored database beside {path}", e) from None
        with write_lock.exclusive(path):
            safety = copy_beside(path, "before-restore", "restore") if sqlite_file.exists(path) else None
            interrupts.hold()  # the swap is done whole, or not begun
            try:
                if os.path.lexists(path):
                    _copy_into(prepared, path)
                else:
                    publish(prepared, path)
                interrupts.note_commit()
            except (sqlite3.Error, OSError) as e:
                raise write_failure(f"the database {path}", e) from None
            finally:
                interrupts.release()
    finally:
        remove_temporary(prepared)
    return safety


def _prepare(prepared: Path, backup: Path, info: dict) -> None:
    """The copy of the backup at this salescrm's schema, with the journal row of the restore appended."""
    import sqlalchemy as sa

    from salescrm.store import engine as store
    from salescrm.store.journal import Change, append
    from salescrm.store.location import DatabaseLocation
    from salescrm.store.migrate import upgrade
    from salescrm.store.models import JournalHead

    location = DatabaseLocation(f"sqlite:///{prepared}", prepared, explicit=True)
    engine = store.engine_for(location, write=True)
    try:
        if store.current_revision(engine) != store.HEAD_REVISION:
            upgrade(engine)  # no lock file: nobody else knows this file yet
        with engine.connect() as conn, conn.execution_options(salescrm_write=True).begin():
            seq, digest = conn.execute(sa.select(JournalHead.seq, JournalHead.hash).where(JournalHead.id == 1)).one()
            fields = {"from_file": (None, str(backup)), "journal_head": (None, f"{seq}:{digest}")}
            append(conn, info, [Change("database", None, "restore", fields)])
    finally:
        store.close_all()  # checkpoints the prepared file: it alone holds the restored database


def _copy_into(prepared: Path, path: Path) -> None:
    """Overwrite the live database's pages with the prepared copy's, in one write transaction."""
    src = sqlite3.connect(sqlite_file.read_only_uri(prepared), uri=True)
    try:
        dst = sqlite3.connect(path, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
