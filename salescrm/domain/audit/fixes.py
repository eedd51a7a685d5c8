"""The audit's safe fixes: deal names the convention can rebuild, applied in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from salescrm.domain import naming, times
from salescrm.domain.audit.base import STALE_DAYS, Context
from salescrm.domain.audit.deals import deal_names, expected_deal_name
from salescrm.store.models import Deal

@dataclass
class Rename:
    deal_id: int
    old: str
    new: str


def proposed_renames(session: Session) -> list[Rename]:
    """Deal names the convention can rebuild (wrong company part, missing or extra `Lost `, spacing)."""
    from salescrm.domain.countries import country_index

    codes = country_index().codes
    from salescrm import process

    proc = process.of(session)
    ctx = Context(session, date.today(), times.now(), STALE_DAYS, None, proc, proc.pipelines)
    renames = []
    for f in deal_names(ctx):
        expected = expected_deal_name(session, f.record_id)
        country = session.connection().execute(sa.select(Deal.country).where(Deal.id == f.record_id)).scalar()
        if expected != f.record and codes.get(country) == country:
            renames.append(Rename(f.record_id, f.record, expected))
    return renames


def apply_renames(session: Session, renames: list[Rename]) -> list[Rename]:
    """Rename, in one transaction; a deal changed since it was proposed is refused."""
    from salescrm.domain import refs
    from salescrm.domain.records import touch
    from salescrm.errors import StaleRecord

    done = []
    for r in renames:
        deal = refs.deal(session, str(r.deal_id), for_update=True)
        if deal.name != r.old:
            raise StaleRecord(f"Deal {deal.id} was renamed by someone else meanwhile; nothing was saved. Run the fix again.")
        deal.name, deal.name_key = r.new, naming.name_key(r.new)
        touch(session, deal)
        done.append(r)
    session.flush()
    return done
