"""Values that follow from the data: a company's lead status and a contact's lifecycle stage, each by the
database's own process (`process.of(session)`).

A contact's lifecycle stage is derived when it is read, in a few queries per 500 contacts, by the way its
process declares (`[lifecycle] derived`):
- `furthest-deal-stage` (sp-009-001): the value of the furthest stage any of the contact's deals reached;
- `first-that-holds` (health-prime): the first value of `precedence` one of whose conditions holds
  (the conditions are `load.LIFECYCLE_CONDITIONS`; `contact.manual_lifecycle` is the value a person chose).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import Session, select

from salescrm import process
from salescrm.domain.known_values import final_stages, lost_stages, won_stages
from salescrm.store.actors import actor_of
from salescrm.store.columns import utcnow
from salescrm.store.tables import Company, Deal, DealContact

_CHUNK = 500


def set_lead_status(session: Session, company: Company, status: str) -> None:
    if company.lead_status != status:
        company.lead_status = status
        company.lead_status_set_by = actor_of(session)
        company.lead_status_set_at = utcnow()
        company.updated_at = utcnow()
        company.version += 1
        session.add(company)


def on_deal_opened(session: Session, company: Company) -> None:
    """A company with an open deal is the process's `on_open_deal` status (SP-009-001: `Open deal`), whatever
    its status was (a person decided)."""
    set_lead_status(session, company, process.of(session).lead_statuses.on_open_deal)


def on_activity(session: Session, company: Company, direction: str | None) -> None:
    """An outbound activity makes the company Attempted, an inbound one Connected (the process's `by_direction`).

    Only forward along the process's ladder (New / Open / In progress -> Attempted -> Connected -> Open deal);
    a status a person set off that ladder (Unqualified, Bad timing) stays until a person changes it.
    """
    statuses = process.of(session).lead_statuses
    status = dict(statuses.by_direction).get(direction or "")
    ladder = dict(statuses.ladder)
    if status is None or company.lead_status not in ladder:
        return
    if ladder[status] > ladder[company.lead_status]:
        set_lead_status(session, company, status)


def on_deal_closed(session: Session, company: Company, lost_category: str | None) -> None:
    """When the company's last open deal closes: Bad timing / Unqualified by lost reason, else In progress."""
    session.flush()
    if open_deal_count(session, company.id) > 0:
        return
    statuses = process.of(session).lead_statuses
    set_lead_status(session, company, dict(statuses.after_loss).get(lost_category or "", statuses.after_close))


def open_deal_count(session: Session, company_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Deal)
        .where(Deal.company_id == company_id, Deal.stage.not_in(final_stages(process.of(session))))
    ).one()


# --- furthest-deal-stage (sp-009-001) --------------------------------------------------------------


def lifecycle_from_deals(deals: Iterable[tuple[str, str | None]], proc=None) -> str:
    """A contact's lifecycle stage from its deals' (stage, lost_from_stage) pairs, by a `furthest-deal-stage`
    process (the default process when `proc` is None).

    The furthest stage of any deal counts; a lost deal counts only if it had reached
    Contract Signed (the contact stays a Customer); with no deal, or only deals in
    Prospected, the contact is a Marketing Qualified Lead.
    """
    proc = proc or process.default()
    life, pipeline = proc.lifecycle, proc.default_pipeline
    by_stage = dict(life.by_stage)
    best, order = life.initial, life.values
    kept_from = pipeline.rank(life.kept_after_loss_from) if life.kept_after_loss_from else None
    lost = lost_stages(proc)
    for stage, lost_from in deals:
        if stage in lost:
            if kept_from is None or lost_from not in by_stage or pipeline.rank(lost_from) < kept_from:
                continue
            stage = lost_from
        candidate = by_stage.get(stage)
        if candidate is None:  # a stage salescrm does not know (written by SQL) gives nothing
            continue
        if order.index(candidate) > order.index(best):
            best = candidate
    return best


# --- first-that-holds (health-prime) -------------------------------------------------------------


def first_that_holds(proc, facts: set[str], manual: str | None) -> str:
    """The first value of the process's precedence one of whose conditions holds, given the conditions that
    hold for the contact (`facts`) and the value a person chose (`manual`, for `set-by-hand`)."""
    for value, when in proc.lifecycle.precedence:
        for condition in when:
            if condition == "otherwise" or (condition == "set-by-hand" and manual == value) or condition in facts:
                return value
    return proc.lifecycle.initial


def _facts(session: Session, proc, ids: list[int]) -> dict[int, set[str]]:
    """For each contact, the conditions of LIFECYCLE_CONDITIONS that hold (all but set-by-hand and otherwise)."""
    import sqlalchemy as sa

    from salescrm.process.common import INBOUND
    from salescrm.store.tables import Activity, ContactCompany, StageChange

    facts: dict[int, set[str]] = {cid: set() for cid in ids}
    won, lost, final = won_stages(proc), lost_stages(proc), final_stages(proc)
    conn = session.connection()
    # Customer: a company of the contact's has a won deal (a backed-out deal is lost now: it does not count).
    for (cid,) in conn.execute(
        sa.select(ContactCompany.contact_id).distinct()
        .join(Deal, Deal.company_id == ContactCompany.company_id)
        .where(ContactCompany.contact_id.in_(ids), Deal.stage.in_(won))
    ):
        facts[cid].add("company-has-won-deal")
    # The contact's deals: open ones, and whether all are lost with the latest lost for a recyclable reason.
    lost_at = (
        sa.select(StageChange.deal_id, sa.func.max(StageChange.id).label("change_id"))
        .where(StageChange.to_stage.in_(lost))
        .group_by(StageChange.deal_id)
        .subquery("lost_at")
    )
    deals: dict[int, list[tuple[str, str | None, int]]] = defaultdict(list)
    for cid, stage, category, change_id, deal_id in conn.execute(
        sa.select(DealContact.contact_id, Deal.stage, Deal.lost_reason_category, lost_at.c.change_id, Deal.id)
        .join(Deal, Deal.id == DealContact.deal_id)
        .outerjoin(lost_at, lost_at.c.deal_id == Deal.id)
        .where(DealContact.contact_id.in_(ids))
    ):
        deals[cid].append((stage, category, change_id or 0, deal_id))
    recyclable = set(proc.recyclable)
    for cid, rows in deals.items():
        if any(stage not in final for stage, *_ in rows):
            facts[cid].add("on-open-deal")
        if all(stage in lost for stage, *_ in rows):
            latest = max(rows, key=lambda r: (r[2], r[3]))  # the deal lost last (the history's ids only grow)
            if latest[1] in recyclable:
                facts[cid].add("all-deals-lost-recyclable")
    # Consent withdrawn: the contact's latest marketing event (by `at`, then by record) withdraws it.
    from salescrm.domain.consent import WITHDRAWN
    from salescrm.store.models import ConsentEvent

    events = ConsentEvent.__table__
    latest_state: dict[int, str] = {}
    for cid, state in conn.execute(
        sa.select(events.c.contact_id, events.c.state)
        .where(events.c.contact_id.in_(ids), events.c.purpose == "marketing")
        .order_by(events.c.at, events.c.id)
    ):
        latest_state[cid] = state
    for cid, state in latest_state.items():
        if state == WITHDRAWN:
            facts[cid].add("consent-withdrawn")
    # Engaged: an inbound activity with the contact, or a lead intake (the contact came by a channel).
    from salescrm.store.tables import Contact

    for (cid,) in conn.execute(
        sa.select(Activity.contact_id).distinct().where(Activity.contact_id.in_(ids), Activity.direction == INBOUND)
    ):
        facts[cid].add("engaged")
    for (cid,) in conn.execute(sa.select(Contact.id).where(Contact.id.in_(ids), Contact.channel.is_not(None))):
        facts[cid].add("engaged")
    return facts


# --- Both -----------------------------------------------------------------------------------------


def lifecycle_stages(session: Session, contact_ids: Iterable[int]) -> dict[int, str]:
    """The lifecycle stage of each contact, derived by the database's process in a few queries per chunk."""
    proc = process.of(session)
    ids = list(contact_ids)
    if proc.lifecycle.derived == "first-that-holds":
        return _first_that_holds_stages(session, proc, ids)
    deals_of: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    for chunk_start in range(0, len(ids), _CHUNK):
        chunk = ids[chunk_start : chunk_start + _CHUNK]
        rows = session.exec(
            select(DealContact.contact_id, Deal.stage, Deal.lost_from_stage)
            .join(Deal, Deal.id == DealContact.deal_id)
            .where(DealContact.contact_id.in_(chunk))
        ).all()
        for contact_id, stage, lost_from in rows:
            deals_of[contact_id].append((stage, lost_from))
    return {cid: lifecycle_from_deals(deals_of.get(cid, []), proc) for cid in ids}


def _first_that_holds_stages(session: Session, proc, ids: list[int]) -> dict[int, str]:
    import sqlalchemy as sa

    from salescrm.store.tables import Contact

    out: dict[int, str] = {}
    for chunk_start in range(0, len(ids), _CHUNK):
        chunk = ids[chunk_start : chunk_start + _CHUNK]
        manual = dict(session.connection().execute(
            sa.select(Contact.id, Contact.manual_lifecycle).where(Contact.id.in_(chunk))).all())
        facts = _facts(session, proc, chunk)
        out.update({cid: first_that_holds(proc, facts[cid], manual.get(cid)) for cid in chunk})
    return out
