"""Journal anchors: heads (`COUNT:HASH`) recorded outside the database, so that the file cannot rewrite them.

`journal anchor` appends `TIME DBID COUNT:HASH` to the anchor file in the user's data directory
(mode 0600); `journal verify` checks every anchor there whose database id is this database's. A
restore replaces the journal with a backup's, so anchors taken before a journaled restore (record
type `database`, action `restore`, written by `db restore`) that the chain no longer holds are
superseded by it, not broken.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from salescrm.errors import Refused
from salescrm.store.models import JournalEntry, Setting

ANCHOR_FILE = "journal-anchors.txt"
DATABASE_ID = "database_id"
_LINE = re.compile(r"^(\S+) (\S+) (\d+):([0-9a-f]{64})$")


@dataclass(frozen=True)
class Anchor:
    at: datetime
    database_id: str
    count: int
    hash: str

    @property
    def head(self) -> str:
        return f"{self.count}:{self.hash}"


@dataclass(frozen=True)
class AnchorResult:
    anchor: Anchor
    problem: str | None = None  # why it fails
    superseded_by: datetime | None = None  # the restore that replaced the journal it anchored


def anchor_file() -> Path:
    from salescrm.store.location import data_dir

    return data_dir() / ANCHOR_FILE


def database_id(session: Session) -> str:
    value = session.connection().execute(sa.select(Setting.value).where(Setting.key == DATABASE_ID)).scalar()
    if value is None:
        raise Refused("This database has no id (setting database_id); run `salescrm db upgrade` to give it one.")
    return value


def append(path: Path, dbid: str, head: str, at: datetime | None = None) -> str:
    """Append one anchor line to the file (created 0600); return the line."""
    at = at or datetime.now(timezone.utc)
    line = f"{at.strftime('%Y-%m-%dT%H:%M:%SZ')} {dbid} {head}"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return line


def read(path: Path, dbid: str) -> list[Anchor]:
    """The anchors of this database in the file (other databases' and unreadable lines are skipped)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    except OSError as e:
        raise Refused(f"Cannot read the anchor file {path}: {e.strerror}.") from None
    anchors = []
    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if not m or m.group(2) != dbid:
            continue
        try:
            at = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            continue
        anchors.append(Anchor(at, m.group(2), int(m.group(3)), m.group(4)))
    return anchors


def restores(session: Session) -> list[datetime]:
    """When this database's journal records a restore (`db restore`), oldest first."""
    j = JournalEntry.__table__
    times = session.connection().execute(
        sa.select(j.c.at).where(j.c.record_type == "database", j.c.action == "restore").order_by(j.c.seq)).scalars()
    return [t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc) for t in times]


def judge(anchors: list[Anchor], unmatched: dict, restore_times: list[datetime]) -> list[AnchorResult]:
    """Each anchor: fine, failed (with why), or superseded by the first restore after it was taken."""
    results = []
    for anchor in anchors:
        problem = unmatched.get((anchor.count, anchor.hash))
        if problem is None:
            results.append(AnchorResult(anchor))
            continue
        later = [t for t in restore_times if t >= anchor.at]
        results.append(AnchorResult(anchor, problem, later[0] if later else None))
    return results
