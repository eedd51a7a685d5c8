"""Values that follow from the data: a company's lead status and a contact's lifecycle stage."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import Session, select

from salescrm import process
from salescrm.store.actors import actor_of
from salescrm.store.columns import utcnow
from salescrm.store.tables import Company, Deal, DealContact


def set_lead_status(session: Session, company: Company, status: str) -> None:
    if company.lead_status != status:
        company.lead_status = status
        company.lead_status_set_by = actor_of(session)
        company.lead_status_set_at = utcnow()
        company.updated_at = utcnow()
        company.version += 1
        session.add(company)


def on_deal_opened(session: Session, company: Company) -> None:
    """SP-009-001: a company with an open deal is `Open deal`, whatever its status was (a person decided)."""
    set_lead_status(session, company, process.LEAD_OPEN_DEAL)


def on_activity(session: Session, company: Company, direction: str | None) -> None:
    """SP-009-001: an outbound activity makes the company Attempted, an inbound one Connected.

    Only forward along New / Open / In progress -> Attempted -> Connected -> Open deal; a status a
    person set off that ladder (Unqualified, Bad timing) stays until a person changes it.
    """
    status = process.LEAD_STATUS_BY_DIRECTION.get(direction or "")
    ladder = process.LEAD_AUTOMATION_LADDER
    if status is None or company.lead_status not in ladder:
        return
    if ladder[status] > ladder[company.lead_status]:
        set_lead_status(session, company, status)


def on_deal_closed(session: Session, company: Company, lost_category: str | None) -> None:
    """When the company's last open deal closes: Bad timing / Unqualified by lost reason, else In progress."""
    session.flush()
    if open_deal_count(session, company.id) > 0:
        return
    status = process.LEAD_STATUS_AFTER_LOSS.get(lost_category or "", process.LEAD_STATUS_AFTER_CLOSE)
    set_lead_status(session, company, status)


def open_deal_count(session: Session, company_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Deal).where(Deal.company_id == company_id, Deal.stage.not_in(process.FINAL_STAGES))
    ).one()


def lifecycle_from_deals(deals: Iterable[tuple[str, str | None]]) -> str:
    """A contact's lifecycle stage from its deals' (stage, lost_from_stage) pairs.

    The furthest stage of any deal counts; a lost deal counts only if it had reached
    Contract Signed (the contact stays a Customer); with no deal, or only deals in
    Prospected, the contact is a Marketing Qualified Lead.
    """
    best = process.LIFECYCLE_MQL
    order = process.LIFECYCLE_STAGES
    kept_from = process.rank(process.LIFECYCLE_KEPT_AFTER_LOSS_FROM)
    for stage, lost_from in deals:
        if stage == process.LOST_STAGE:
            if lost_from not in process.LIFECYCLE_BY_STAGE or process.rank(lost_from) < kept_from:
                continue
            stage = lost_from
        candidate = process.LIFECYCLE_BY_STAGE.get(stage)
        if candidate is None:  # a stage salescrm does not know (written by SQL) gives nothing
            continue
        if order.index(candidate) > order.index(best):
            best = candidate
    return best


def lifecycle_stages(session: Session, contact_ids: Iterable[int]) -> dict[int, str]:
    """The lifecycle stage of each contact, derived in one query over their deals."""
    ids = list(contact_ids)
    deals_of: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        rows = session.exec(
            select(DealContact.contact_id, Deal.stage, Deal.lost_from_stage)
            .join(Deal, Deal.id == DealContact.deal_id)
            .where(DealContact.contact_id.in_(chunk))
        ).all()
        for contact_id, stage, lost_from in rows:
            deals_of[contact_id].append((stage, lost_from))
    return {cid: lifecycle_from_deals(deals_of.get(cid, [])) for cid in ids}
