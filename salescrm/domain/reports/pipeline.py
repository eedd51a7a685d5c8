"""report pipeline: the open deals per stage at a day, and what changed between two days."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session

from salescrm import process
from salescrm.domain.reports.common import (
    Progress, Stages, day_start, deal_conditions, each_pipeline, parse_at, pipeline_labels, quiet, stages_at, stream_rows,
)
from salescrm.domain.known_values import lost_stages, not_final, won_stages
from salescrm.domain.values import amount_units
from salescrm.store.models import Company, Deal, StageChange, TeamMember

# --- report pipeline ----------------------------------------------------------------------------


def _pipeline_at(session: Session, end: datetime, conditions: list, pipeline: str | None) -> dict:
    """Open deals per stage as they stood just before `end`, per currency and pipeline: the `pipeline show
    --json` shape."""
    from salescrm.domain.pipeline_figures import stages_by_currency

    proc = process.of(session)

    def figure(stages: Stages) -> dict:
        at = stages_at(end)
        rows = session.connection().execute(
            sa.select(Deal.currency, at.c.stage, sa.func.count(), sa.func.coalesce(sa.func.sum(Deal.amount_cents), 0))
            .select_from(at)
            .join(Deal, Deal.id == at.c.deal_id)
            .where(not_final(at.c.stage, proc), Deal.pipeline == stages.label, *conditions)
            .group_by(Deal.currency, at.c.stage)
        ).all()
        return stages_by_currency(session, rows, stages.pipeline)

    return each_pipeline(session, pipeline, figure)


def pipeline_phases(compare: bool) -> tuple[str, ...]:
    return ("pipeline", "comparison") if compare else ("pipeline",)


def pipeline_report(session: Session, at: str | date | None = None, compare: str | date | None = None,
                    owner: str | None = None, deal_class: str | None = None, progress: Progress = None,
                    pipeline: str | None = None) -> dict:
    """The pipeline per stage at the end of day `at` (default today), rebuilt from the stage history;
    with `compare`, also the pipeline that day and what changed between the two days. Each pipeline of the
    process (or the one `pipeline` names) has its own figures. The lists of changes are `Rows`, read when
    iterated: use them inside the session."""
    day = parse_at(at)
    other = parse_at(compare, "Comparison date (--compare)") if compare is not None else None
    conditions = deal_conditions(session, owner, deal_class)
    done = progress or quiet
    report = {"at": day.isoformat(), **_pipeline_at(session, day_start(day + timedelta(days=1)), conditions, pipeline)}
    done("pipeline")
    if other is None:
        return report
    report["compare"] = {"at": other.isoformat(),
                         **_pipeline_at(session, day_start(other + timedelta(days=1)), conditions, pipeline)}
    done("comparison")
    first, last = sorted((day, other))
    report["changes"] = _changes(session, first, last, conditions + pipeline_labels(session, pipeline))
    return report


class Rows:
    """A list that is read from the database each time it is iterated (inside the session that made it),
    so that a long one is streamed to its reader and never sits whole in memory. `list(rows)` reads it all."""

    def __init__(self, produce: Callable[[], Iterable[dict]]):
        self._produce = produce

    def __iter__(self) -> Iterator[dict]:
        return iter(self._produce())


CHANGE_KINDS = ("entered", "moved", "won", "lost")


def _changes(session: Session, first: date, last: date, conditions: list) -> dict:
    """Deals that entered, moved, were won or lost after the end of day `first` up to the end of day `last`,
    and the companies created then that have no deal by the end of `last`, as streamed lists in id order.

    Per deal, one grouping of the history finds its last change before each end; deals whose two differ
    changed in the period. A deal created and won in the period is in `entered` and in `won`; `moved`
    holds the deals that were open at both ends, in different stages.
    """
    proc = process.of(session)
    a_end, b_end = day_start(first + timedelta(days=1)), day_start(last + timedelta(days=1))
    a_id = sa.func.max(sa.case((StageChange.changed_at < a_end, StageChange.id), else_=None))
    b_id = sa.func.max(StageChange.id)
    per_deal = (
        sa.select(StageChange.deal_id, a_id.label("a_id"), b_id.label("b_id"))
        .where(StageChange.changed_at < b_end)
        .group_by(StageChange.deal_id)
        .having(sa.or_(a_id.is_(None), a_id != b_id))
        .subquery("changed")
    )
    before, after = aliased(StageChange, name="before"), aliased(StageChange, name="after")
    changed = (
        sa.select(Deal.id, Deal.name, Company.name.label("company"), TeamMember.name.label("owner"), Deal.amount_cents,
                  Deal.currency, before.to_stage.label("from_stage"), after.to_stage.label("to_stage"))
        .select_from(per_deal)
        .join(after, after.id == per_deal.c.b_id)
        .outerjoin(before, before.id == per_deal.c.a_id)
        .join(Deal, Deal.id == per_deal.c.deal_id)
        .outerjoin(Company, Company.id == Deal.company_id)
        .outerjoin(TeamMember, TeamMember.id == Deal.owner_id)
        .where(*conditions)
        .order_by(Deal.id)
    )
    kinds = {
        "entered": [per_deal.c.a_id.is_(None)],
        "moved": [per_deal.c.a_id.is_not(None), not_final(after.to_stage, proc), before.to_stage != after.to_stage],
        "won": [after.to_stage.in_(won_stages(proc))],
        "lost": [after.to_stage.in_(lost_stages(proc))],
    }

    def deals(kind: str) -> Iterator[dict]:
        for row in stream_rows(session, changed.where(*kinds[kind])):
            yield {"id": row.id, "name": row.name, "company": row.company, "owner": row.owner,
                   "amount": amount_units(row.amount_cents), "currency": row.currency, "from_stage": row.from_stage,
                   "to_stage": row.to_stage}

    has_deal = sa.select(Deal.id).where(Deal.company_id == Company.id, Deal.created_at < b_end).exists()
    missing = (
        sa.select(Company.id, Company.name, Company.lead_status, Company.created_at)
        .where(Company.created_at >= a_end, Company.created_at < b_end, ~has_deal)
        .order_by(Company.id)
    )

    def companies() -> Iterator[dict]:
        from salescrm.store.columns import iso

        for r in stream_rows(session, missing):
            yield {"id": r.id, "name": r.name, "lead_status": r.lead_status, "created_at": iso(r.created_at)}

    out: dict = {"from": first.isoformat(), "to": last.isoformat()}
    for kind in CHANGE_KINDS:
        out[kind] = Rows(lambda kind=kind: deals(kind))
    out["missing"] = Rows(companies)
    return out
