"""What every editable record shares: a version that detects changes made meanwhile."""

from __future__ import annotations

from sqlmodel import Session

from salescrm.errors import StaleRecord
from salescrm.store.columns import utcnow


def check_version(record, expected_version: int | None, kind: str, what_changed: str = "") -> None:
    """Refuse when the record changed since the command read it (another rep got there first)."""
    if expected_version is not None and record.version != expected_version:
        detail = f" ({what_changed})" if what_changed else ""
        raise StaleRecord(
            f"{kind.capitalize()} {record.id} was changed by someone else while you were answering{detail}; "
            "nothing was saved. Run the command again to see the current values."
        )


def touch(session: Session, record) -> None:
    record.updated_at = utcnow()
    record.version += 1
    session.add(record)
