"""Deals in the pipelines of the database's process: create and edit (moves between stages are in moves.py).

A deal's name is built by the process's pattern, never typed (`<country> <company> <description>`); a
lost deal's name gets the process's prefix (`Lost `). A deal stores its pipeline's label.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from salescrm.domain import gates, lifecycle, naming, refs
from salescrm.domain.countries import parse_country
from salescrm.domain.currency import database_currency, parse_currency
from salescrm.domain.moves import passed_stages, record_stage_change, refuse_unknown_stage
from salescrm.domain.outcome import Outcome
from salescrm.domain.pipelines import (
    parse_deal_class,
    parse_lost_category,
    parse_pipeline,
    parse_stage,
    process_of,
)
from salescrm.domain.records import check_version, touch
from salescrm.domain.team import member_with_role
from salescrm.domain.values import check_key_length, clean_text, parse_amount, parse_date
from salescrm.errors import InvalidValue, Refused
from salescrm.process.model import Process
from salescrm.store.models import Company, Deal, DealContact, size


MAX_NAME = size(Deal.name)


@dataclass
class DealDraft:
    """The fields of a deal to create, as typed (None: not given)."""

    company: str | None = None
    description: str | None = None
    amount: str | None = None
    close_date: str | None = None
    deal_class: str | None = None
    source: str | None = None
    owner: str | None = None
    country: str | None = None
    contacts: list[str] = field(default_factory=list)
    currency: str | None = None  # ISO 4217; None: the database's
    pipeline: str | None = None  # a pipeline's key or label; None: the process's first


def draft_from(session: Session, ref: str, draft: DealDraft) -> DealDraft:
    """`deal create --from DEAL`: the fields of `draft` not given, copied from that deal."""
    source = refs.deal(session, ref)
    company = session.get(Company, source.company_id)
    return DealDraft(
        company=draft.company or str(company.id),
        description=draft.description or source.description,
        amount=draft.amount,
        close_date=draft.close_date,
        deal_class=draft.deal_class or source.deal_class,
        source=draft.source or source.source,
        owner=draft.owner or str(source.owner_id),
        country=draft.country or source.country,
        contacts=draft.contacts or [str(cid) for cid in contact_ids(session, source.id)],
        currency=draft.currency or source.currency,
        pipeline=draft.pipeline or source.pipeline,
    )


def create_deal(
    session: Session,
    draft: DealDraft,
    *,
    stage: str | None = None,
    gate_values: dict[str, str] | None = None,
    from_deal: str | None = None,
    today: date | None = None,
    created_at: datetime | None = None,
) -> Outcome[Deal]:
    """Create a deal in Prospected, or further along when every gate up to `stage` is met.

    `created_at`: when an imported deal was created in the system it came from (its Create Date): the
    deal's creation time, its entry into the stage, and the floor of its gate dates."""
    if from_deal:
        draft = draft_from(session, from_deal, draft)
    today = today or date.today()
    proc = process_of(session)
    pipeline = parse_pipeline(proc, draft.pipeline)
    company = refs.company(session, _required(draft.company, "Company"), for_update=True)
    owner = owner_of(session, proc, _required(draft.owner, "Owner"))
    target = parse_stage(pipeline, stage) if stage else pipeline.first
    if target.lost:
        raise InvalidValue(f"A deal cannot be created as {target.name}; create it, then lose it with `salescrm deal lose`.")
    deal = Deal(
        name="",
        name_key="",
        pipeline=pipeline.label,
        stage=target.name,
        country=parse_country(draft.country) if draft.country else _company_country(company),
        company_id=company.id,
        description=clean_text(draft.description, "Description", max_length=size(Deal.description), lines=True),
        amount_cents=parse_amount(_required(draft.amount, "Amount")),
        currency=parse_currency(draft.currency) if draft.currency else database_currency(session),
        close_date=parse_date(_required(draft.close_date, "Close date"), "Close date"),
        deal_class=_deal_class(proc, draft.deal_class),
        source=clean_text(draft.source, "Source", max_length=size(Deal.source)),
        owner_id=owner.id,
    )
    if created_at is not None:
        deal.created_at = created_at
    contacts = [refs.contact(session, ref) for ref in draft.contacts]
    _check_entry(session, proc, pipeline, company)
    _set_name(session, deal, company)
    entering = pipeline.stages_between(pipeline.first.name, target.name)
    created_on = created_at.astimezone().date() if created_at is not None else None
    to_store = gates.check_values(
        session, None, gate_values or {}, gates.new_deal_facts(company.id, deal.amount_cents, today, created_on),
        entering=entering,
    )
    session.add(deal)
    session.flush()
    for contact in contacts:
        session.add(DealContact(deal_id=deal.id, contact_id=contact.id))
    gates.store_values(session, deal.id, to_store)
    change = record_stage_change(session, deal, None, target.name, created_at)
    if target.open:
        lifecycle.on_deal_opened(session, company)
    else:
        lifecycle.on_deal_closed(session, company, None)
    warnings = []
    if deal.close_date < today:
        warnings.append(
            f"The close date {deal.close_date.isoformat()} is in the past; the deal is recorded late. "
            "Change it with `salescrm deal edit` if it is a forecast."
        )
    if created_at is None:  # an imported deal's history is not re-enacted: no automation for it
        from salescrm.domain.automations import on_entering
        from salescrm.domain.moves import Move

        move = Move(deal, "")
        for entered in entering:
            on_entering(session, move, entered, change.changed_at)
        warnings += move.notes
    return Outcome(deal, warnings)


def owner_of(session: Session, proc: Process, ref: str):
    """The deal's owner: a team member with one of the process's owner roles."""
    return member_with_role(session, ref, proc.owner_roles, "a deal owner")


def _deal_class(proc: Process, value: str | None) -> str:
    """The deal's class, required when the process declares classes; a process without any stores none ("")."""
    if not proc.deal_classes and (value is None or not str(value).strip()):
        return ""
    return parse_deal_class(proc, _required(value, "Deal class"))


def _check_entry(session: Session, proc: Process, pipeline, company: Company) -> None:
    """A pipeline's entry rules (Expansion and Upsell: a company that already has a won deal)."""
    if not pipeline.entry:
        return
    from salescrm.process import rules

    ctx = gates.rule_context(session, pipeline.label, pipeline.entry, gates.new_deal_facts(company.id, 0))
    if all(rules.check(rule, {}, ctx).met for rule in pipeline.entry):
        return
    needs = pipeline.entry_needs or "; ".join(rules.need(r, ctx) for r in pipeline.entry)
    first = proc.default_pipeline
    raise Refused(
        f"The {pipeline.label} pipeline takes only {needs}, and {company.name} is not one (a backed-out deal does "
        f"not count): create the deal in {first.label} (--pipeline {first.key})."
    )


def _company_country(company: Company) -> str:
    """The deal's country defaults to its company's, which a lead's company may not have yet."""
    if company.country is None:
        raise InvalidValue(
            f"'{company.name}' has no country yet, and the deal name starts with one: give --country, or set it "
            f"with `salescrm company edit {company.id} --country CODE`."
        )
    return company.country


def _required(value, label: str):
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidValue(f"{label} is required.")
    return value


def _set_name(session: Session, deal: Deal, company: Company) -> None:
    """Build the name from country, company and description; refuse a second open deal with it."""
    proc = process_of(session)
    lost = {s.name for p in proc.pipelines for s in p.stages if s.lost}
    name = naming.deal_name(deal.country, company.name, deal.description, proc.deal_names)
    if deal.stage in lost:
        name = naming.lost_name(name, proc.deal_names)
    key = naming.name_key(name)
    check_key_length(key, "The deal's name", MAX_NAME)
    if deal.stage not in lost:
        clash = session.exec(
            select(Deal).where(Deal.name_key == key, Deal.stage.not_in(lost), Deal.id != (deal.id or -1))
        ).first()
        if clash is not None:
            raise Refused(
                f"Deal {clash.id} '{clash.name}' is already open under that name, and SP-009-001 asks for one deal per "
                "revenue-generating event: give a different description (phases go there, e.g. 'part 2 of 2 Implementation')."
            )
    deal.name, deal.name_key = name, key


def rebuild_name(session: Session, deal: Deal, company: Company | None = None) -> None:
    company = company or session.get(Company, deal.company_id)
    old = deal.name
    _set_name(session, deal, company)
    if deal.name != old:
        touch(session, deal)


@dataclass
class DealChanges:
    """The fields `deal edit` may change (None: unchanged)."""

    amount: str | None = None
    close_date: str | None = None
    country: str | None = None
    description: str | None = None
    deal_class: str | None = None
    source: str | None = None
    owner: str | None = None
    add_contacts: list[str] = field(default_factory=list)
    remove_contacts: list[str] = field(default_factory=list)
    lost_category: str | None = None
    lost_reason: str | None = None
    gate_values: dict[str, str] = field(default_factory=dict)
    currency: str | None = None

    def business_fields(self) -> list[str]:
        names = ["amount", "currency", "close_date", "country", "description", "deal_class", "source", "owner"]
        given = [n for n in names if getattr(self, n) is not None]
        return (given + (["contacts"] if self.add_contacts or self.remove_contacts else [])
                + (["gates"] if self.gate_values else []))


def edit_deal(
    session: Session, ref: str, changes: DealChanges, *, expected_version: int | None = None, today: date | None = None
) -> Outcome[Deal]:
    deal = refs.deal(session, ref, for_update=True)
    check_version(deal, expected_version, "deal")
    pipeline, stage = refuse_unknown_stage(session, deal)
    proc = process_of(session)
    if stage.lost:
        _edit_lost_reason(proc, deal, changes)
        touch(session, deal)
        return Outcome(deal)
    if changes.lost_category is not None or changes.lost_reason is not None:
        raise Refused(f"Deal {deal.id} is not lost, so it has no lost reason to edit; lose it with `salescrm deal lose`.")
    warnings: list[str] = []
    if changes.amount is not None:
        cents = parse_amount(changes.amount)
        passed = pipeline.stages_between(pipeline.first.name, stage.name)  # not lost, and a stage salescrm knows
        gated = next((s for s in passed if s.gate and s.gate.amount_positive), None)  # the file's `number > 0` amount
        if cents <= 0 and gated is not None:
            raise Refused(f"Deal {deal.id} is past {gated.name}, whose gate needs an amount above 0.")
        deal.amount_cents = cents
    if changes.currency is not None:
        deal.currency = parse_currency(changes.currency)
    if changes.close_date is not None:
        deal.close_date = parse_date(changes.close_date, "Close date")
        if deal.close_date < (today or date.today()):
            warnings.append(f"The close date {deal.close_date.isoformat()} is in the past.")
    if changes.deal_class is not None:
        deal.deal_class = parse_deal_class(proc, changes.deal_class)
    if changes.source is not None:
        deal.source = clean_text(changes.source, "Source", max_length=size(Deal.source))
    if changes.owner is not None:
        deal.owner_id = owner_of(session, proc, changes.owner).id
    if changes.country is not None or changes.description is not None:
        if changes.country is not None:
            deal.country = parse_country(changes.country)
        if changes.description is not None:
            deal.description = clean_text(changes.description, "Description", max_length=size(Deal.description), lines=True)
        _set_name(session, deal, session.get(Company, deal.company_id))
    _edit_contacts(session, deal, changes)
    if changes.gate_values:
        _edit_gate_values(session, deal, changes.gate_values, today)
    touch(session, deal)
    return Outcome(deal, warnings)


def _edit_gate_values(session: Session, deal: Deal, values: dict[str, str], today: date | None) -> None:
    """Record gate values: a value of a stage already passed is a correction, and that gate must still be
    met with it; a value of a later stage is format-checked now and checked when its gate is entered."""
    to_store = gates.check_values(session, deal.id, values, gates.facts_of(deal, today), passed=passed_stages(session, deal))
    gates.store_values(session, deal.id, to_store)


def _edit_lost_reason(proc: Process, deal: Deal, changes: DealChanges) -> None:
    if changes.business_fields():
        raise Refused(
            f"Deal {deal.id} is lost; only its lost reason can be edited (--lost-category, --lost-reason). "
            f"To sell the same thing again, create a new deal with `salescrm deal create --from {deal.id}`."
        )
    if changes.lost_category is not None:
        deal.lost_reason_category = parse_lost_category(proc, changes.lost_category)
    if changes.lost_reason is not None:
        deal.lost_reason = clean_text(changes.lost_reason, "Lost reason", max_length=size(Deal.lost_reason), lines=True)


def _edit_contacts(session: Session, deal: Deal, changes: DealChanges) -> None:
    for ref in changes.add_contacts:
        contact = refs.contact(session, ref)
        if session.get(DealContact, (deal.id, contact.id)) is None:
            session.add(DealContact(deal_id=deal.id, contact_id=contact.id))
    for ref in changes.remove_contacts:
        contact = refs.contact(session, ref)
        link = session.get(DealContact, (deal.id, contact.id))
        if link is None:
            raise Refused(f"{contact.first_name} {contact.last_name} is not a contact of deal {deal.id}.")
        session.delete(link)


def contact_ids(session: Session, deal_id: int) -> list[int]:
    return list(session.exec(select(DealContact.contact_id).where(DealContact.deal_id == deal_id)).all())
