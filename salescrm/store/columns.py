"""What every table declaration shares (store/models.py, store/tables_on_demand.py), and the stored time.

Constraint names come out the same on SQLite and PostgreSQL, so that later migrations can name them
(Alembic's batch mode needs names on SQLite). Times are stored timezone-aware UTC: written as `utcnow()`,
declared with `time_column`, read back with `as_utc` (PostgreSQL hands back aware times, SQLite naive
UTC) and shown, in JSON and in the journal, as `iso` text.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Ids are INTEGER columns: PostgreSQL's integer holds up to 2^31-1, and no id above it can exist.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def time_column(**kw):
    return Field(sa_type=sa.DateTime(timezone=True), **kw)


def as_utc(value: datetime) -> datetime:
    """A stored time as aware UTC: PostgreSQL hands back aware times, SQLite naive UTC."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return as_utc(value).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    return value.isoformat()
