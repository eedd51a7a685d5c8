"""What every check shares: a finding, the context of a run, and a check's description."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session

ERROR = "error"
WARNING = "warning"
STALE_DAYS = 30
CHUNK = 2000  # rows read at a time


@dataclass(slots=True)
class Finding:
    check: str
    severity: str
    record_type: str  # company, contact, deal
    record_id: int
    record: str
    owner: str | None
    message: str
    fix: str | None = None

    def as_json(self) -> dict:
        return {"check": self.check, "severity": self.severity, "record_type": self.record_type,
                "record_id": self.record_id, "record": self.record, "owner": self.owner,
                "message": self.message, "fix": self.fix}


@dataclass
class Context:
    session: Session
    today: date
    now: datetime
    stale_days: int
    owner_id: int | None  # --owner: only records of this team member
    proc: object = None  # the database's process (process.of(session))
    pipelines: tuple = ()  # the pipelines audited: every one, or the one --pipeline names
    deal_filter: tuple = ()  # the conditions that keep deals to them (none: every deal)

    def deals_only(self) -> list:
        """The conditions on the deals audited: --owner's and --pipeline's."""
        return [*([_deal_owner(self.owner_id)] if self.owner_id is not None else []), *self.deal_filter]


def _deal_owner(owner_id: int):
    from salescrm.store.models import Deal

    return Deal.owner_id == owner_id


# A deal check is a SQL condition on a deal (joined with its company and owner) and the sentence
# for one deal; a record check reads companies or contacts and yields its findings.
@dataclass(frozen=True)
class Check:
    id: str
    severity: str
    record_type: str
    rule: str  # where the rule comes from (docs/audit.md)
    condition: Callable[[Context], sa.ColumnElement] | None = None
    describe: Callable[[object, Context], tuple[str, str | None]] | None = None
    find: Callable[[Context], Iterator[Finding]] | None = None
