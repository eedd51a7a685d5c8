"""Consistent copies of a SQLite database, made while others may be writing.

Copying a live database with `cp` is not a backup (a copied WAL database can lose its tables):
these use SQLite's online backup API, and every file they create is readable by its owner only.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from salescrm.errors import InvalidValue, Refused
from salescrm.store.sqlite_file import read_only_uri


def copy_database(source: Path, target: Path) -> None:
    """Copy the SQLite database `source` into `target` (a new file, mode 0600) with the backup API."""
    if target.exists():
        raise Refused(f"{target} already exists; choose a new file name for the backup.")
    fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    src = sqlite3.connect(read_only_uri(source), uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
    finally:
        dst.close()
        src.close()


def copy_beside(path: Path, label: str) -> Path:
    """A copy of `path` next to it (`crm.db.LABEL-20261123T055021Z.bak`), kept before it is changed wholesale."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.{label}-{stamp}.bak")
    number = 1
    while target.exists():  # several copies within one second
        number += 1
        target = path.with_name(f"{path.name}.{label}-{stamp}-{number}.bak")
    copy_database(path, target)
    return target


def inspect_backup(path: Path) -> str | None:
    """Check a backup file: SQLite, intact, with salescrm's tables; return its schema revision."""
    if not path.is_file():
        raise InvalidValue(f"No backup file at {path}.")
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True)
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


def restore_database(backup: Path, target: Path) -> None:
    """Replace the content of the live database `target` with `backup`, in one step, via the backup API."""
    src = sqlite3.connect(read_only_uri(backup), uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
