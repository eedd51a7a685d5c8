"""report conversion: the share of deals that reached each next stage, the win rate, and leads to won."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session

from salescrm import process
from salescrm.domain.known_values import won_stages
from salescrm.domain.reports.common import Progress, Stages, Window, deal_conditions, each_pipeline, pipeline_labels, quiet, window
from salescrm.store.models import Company, Deal, StageChange

# --- report conversion ----------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


CONVERSION_PHASES = ("stages reached", "leads")


def conversion_report(session: Session, at: str | date | None = None, since: str | date | None = None,
                      until: str | date | None = None, owner: str | None = None,
                      deal_class: str | None = None, channel: str | None = None, source: str | None = None,
                      progress: Progress = None, pipeline: str | None = None) -> dict:
    """Of the deals created in the period (all deals by default), as they stood at the end of `at`: per
    stage, how many entered it and how many of those reached the next stage; the win rate; the lost
    deals by reason category (per pipeline, where a process has several); and of the companies created
    in the period, the share with a won deal."""
    w = window(at, since, until)
    conditions = deal_conditions(session, owner, deal_class)
    shaped = each_pipeline(session, pipeline, lambda stages: _stages_reached(session, w, conditions, stages))
    done = progress or quiet
    done("stages reached")
    leads = _leads(session, w, w.at_end, conditions + pipeline_labels(session, pipeline), channel, source)
    done("leads")
    return {
        "at": w.at.isoformat(),
        "since": w.since.isoformat() if w.since else None,
        "until": w.until.isoformat() if w.until else None,
        **shaped,
        "leads": leads,
    }


def _stages_reached(session: Session, w: Window, conditions: list, stages: Stages) -> dict:
    history_end = w.at_end
    lost_flag = sa.case((StageChange.to_stage == stages.lost, 1), else_=0)
    per_deal = (
        sa.select(StageChange.deal_id, sa.func.max(stages.rank_case(StageChange.to_stage)).label("reached"),
                  sa.func.max(lost_flag).label("lost"))
        .where(StageChange.changed_at < history_end)
        .group_by(StageChange.deal_id)
        .subquery("reached")
    )
    rows = session.connection().execute(
        sa.select(per_deal.c.reached, per_deal.c.lost, Deal.lost_reason_category, sa.func.count())
        .select_from(per_deal)
        .join(Deal, Deal.id == per_deal.c.deal_id)
        .where(Deal.pipeline == stages.label, *w.bounds(Deal.created_at), *conditions)
        .group_by(per_deal.c.reached, per_deal.c.lost, Deal.lost_reason_category)
    ).all()
    rank = stages.rank
    reached = Counter()  # furthest stage rank -> deals
    lost_by_category = Counter()
    won = lost = 0
    for furthest, is_lost, category, count in rows:
        if furthest is not None:
            reached[int(furthest)] += count
        if is_lost:
            lost += count
            lost_by_category[category] += count
        elif furthest == rank[stages.won]:
            won += count
    out = []
    for name in stages.open:
        if name not in rank:
            continue
        entered = sum(c for r, c in reached.items() if r >= rank[name])
        next_ = sum(c for r, c in reached.items() if r >= rank[name] + 1)
        out.append({"stage": name, "entered": entered, "reached_next": next_, "rate": _rate(next_, entered)})
    order = {c: i for i, c in enumerate(process.of(session).lost_categories)}
    reasons = sorted(lost_by_category.items(), key=lambda kv: (-kv[1], order.get(kv[0], len(order)), kv[0] or ""))
    return {"stages": out, "won": won, "lost": lost, "win_rate": _rate(won, won + lost),
            "lost_reasons": [{"category": c, "count": n} for c, n in reasons]}


def _leads(session: Session, w: Window, history_end: datetime, conditions: list, channel: str | None = None,
           source: str | None = None) -> dict:
    """The article's "what percentage of leads convert into a closed deal": of the companies created in the
    period, how many have a deal won by the end of `at` (a deal of that owner or class, when filtered).
    `channel` and `source` count only the companies with a contact that came that way (lead intake)."""
    from salescrm.domain.contacts import lead_source_conditions
    from salescrm.store.models import Contact, ContactCompany

    lead_filter = lead_source_conditions(channel, source)
    if lead_filter:
        came = sa.select(ContactCompany.company_id).join(Contact, Contact.id == ContactCompany.contact_id).where(*lead_filter)
        lead_filter = [Company.id.in_(came)]
    won_companies = (
        sa.select(Deal.company_id)
        .join(StageChange, StageChange.deal_id == Deal.id)
        .where(StageChange.to_stage.in_(won_stages(process.of(session))), StageChange.changed_at < history_end, *conditions)
    )
    has_won = sa.case((Company.id.in_(won_companies), 1), else_=0)
    companies, won = session.connection().execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(has_won), 0)).where(*w.bounds(Company.created_at), *lead_filter)
    ).one()
    return {"companies": companies, "won": int(won), "rate": _rate(int(won), companies)}
