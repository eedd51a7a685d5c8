"""The registry of backups as `salescrm db` uses it (store/backup.py writes it): recording the copies a command
made, listing those made before an erasure (`db status`), and a restore that brings erased people back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from salescrm.cli import output


def record_backups(rt, copies: list | None) -> None:
    """Add the copies (or those this command made before a restore: None) to the database's registry of
    backups (`db status` names those made before an erasure); a database this user may only read is said."""
    from salescrm.errors import DatabaseUnavailable
    from salescrm.store.backup import record, record_pending

    try:
        with rt.writing() as session:
            if copies is None:
                record_pending(session.connection(), rt.location().path)
            else:
                record(session.connection(), copies)
    except DatabaseUnavailable as e:
        output.warn(f"The copy is made, but the database's registry of backups could not record it: {e}")


def backups_holding(engine) -> list[dict]:
    """The backups made before the latest erasure (domain/erasure.py), read without a session."""
    from salescrm.domain.erasure import backups_holding as holding

    with engine.connect() as conn:
        return holding(conn)


def show_backups(holding: list[dict]) -> None:
    output.heading("Backups made before an erasure: they still hold the erased people's data", "backups")
    output.table([("Made at", output.TIME), "Kind", ("Path", output.TEXT), "By"],
                 [(output.when(b["made_at"]), b["kind"], b["path"], b["made_by"]) for b in holding])


def erasures_missing_from(backup: Path, database: Path) -> list[int]:
    """The contacts the database erased that the backup does not know erased (it was made before): a restore
    brings their data back. Read from the files directly, before the restore."""
    def erased(path: Path) -> set[int]:
        from salescrm.store import sqlite_file

        try:
            conn = sqlite3.connect(sqlite_file.read_only_uri(path), uri=True)
        except sqlite3.Error:
            return set()
        try:
            return {contact for (contact,) in conn.execute("SELECT contact_id FROM erasure")}
        except sqlite3.Error:  # no such table: a file from before migration 0008, or no database yet
            return set()
        finally:
            conn.close()

    if not database.exists():
        return []
    return sorted(erased(database) - erased(backup))


def warn_erasures_undone(contacts: list[int]) -> None:
    if not contacts:
        return
    ids = ", ".join(str(c) for c in contacts)
    n = len(contacts)
    output.warn(f"The backup was made before {n} erasure{'s' if n > 1 else ''}: the restored database holds "
                f"the data of contact{'s' if n > 1 else ''} {ids} again. Erase {'them' if n > 1 else 'it'} again: "
                f"salescrm contact erase ID --reason \"Erased again after a restore\" --yes")
