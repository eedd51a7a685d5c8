"""Activities: every interaction with a customer, logged on its contact, company and/or deal.

SP-009-001: "Even if we do not create a deal from the begining, we do log all activity in the CRM
... We associate the activity in the entity company and contact."
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from salescrm import process
from salescrm.domain import lifecycle, refs, times
from salescrm.domain.outcome import Outcome
from salescrm.domain.values import parse_choice
from salescrm.domain.views import record_ref
from salescrm.errors import InvalidValue
from salescrm.store.actors import actor_of
from salescrm.store.columns import iso
from salescrm.store.tables import Activity, Company, Contact, ContactCompany, Deal
from salescrm.typed_text import clean_text

NO_LINK = "An activity is logged on a contact, a company or a deal: give --contact, --company or --deal."


@dataclass
class Links:
    """What a record (activity or task) is about, as people type them."""

    contact: str | None = None
    company: str | None = None
    deal: str | None = None

    def given(self) -> bool:
        return any(v is not None and str(v).strip() for v in (self.contact, self.company, self.deal))


@dataclass
class Linked:
    contact: Contact | None
    company: Company | None
    deal: Deal | None


def resolve_links(session: Session, links: Links, what: str) -> Linked:
    """The records linked, with the company filled in from the deal or the contact.

    A deal belongs to one company; a contact working for several needs `--company` to say which.
    """
    deal = refs.deal(session, links.deal) if links.deal else None
    contact = refs.contact(session, links.contact) if links.contact else None
    company = refs.company(session, links.company, for_update=True) if links.company else None
    if deal is not None:
        if company is not None and company.id != deal.company_id:
            raise InvalidValue(
                f"Deal {deal.id} belongs to another company than '{company.name}'; drop --company or give that deal's company."
            )
        company = company or refs.company(session, str(deal.company_id), for_update=True)
    if contact is not None and company is None:
        rows = session.connection().execute(
            sa.select(Company.id, Company.name).join(ContactCompany, ContactCompany.company_id == Company.id)
            .where(ContactCompany.contact_id == contact.id).order_by(Company.name_key)
        ).all()
        if len(rows) == 1:
            company = refs.company(session, str(rows[0].id), for_update=True)
        elif rows:
            names = ", ".join(f"'{r.name}'" for r in rows)
            raise InvalidValue(
                f"{contact.first_name} {contact.last_name} works for {len(rows)} companies ({names}): "
                f"give --company to say which one the {what} is with."
            )
    return Linked(contact, company, deal)


def log_activity(
    session: Session,
    *,
    type: str,
    summary: str,
    direction: str | None = None,
    at: str | None = None,
    links: Links,
) -> Outcome[Activity]:
    """Log an interaction; an outbound one makes its company Attempted, an inbound one Connected."""
    kind = parse_choice(type, process.ACTIVITY_TYPES, "Activity type")
    direction = _direction(kind, direction)
    from salescrm.store import models

    text = clean_text(summary, "Summary (--summary)", lines=True, max_length=models.size(models.Activity.summary))
    when = times.parse_past_time(at) if at else times.now()
    if not links.given():
        raise InvalidValue(NO_LINK)
    linked = resolve_links(session, links, "activity")
    activity = models.Activity(
        type=kind, direction=direction, at=when, summary=text, actor=actor_of(session),
        contact_id=linked.contact.id if linked.contact else None,
        company_id=linked.company.id if linked.company else None,
        deal_id=linked.deal.id if linked.deal else None,
    )
    session.add(activity)
    warnings = []
    if linked.company is not None:
        warnings += lead_status_follows(session, linked.company, direction)
    session.flush()
    return Outcome(activity, warnings)


def lead_status_follows(session: Session, company: Company, direction: str | None) -> list[str]:
    """Move the company's lead status after an interaction; a warning when a person's status holds."""
    before = company.lead_status
    lifecycle.on_activity(session, company, direction)
    if direction and before not in dict(process.of(session).lead_statuses.ladder):
        return [
            f"'{company.name}' keeps its lead status {before}, which {company.lead_status_set_by} set; "
            f"change it with `salescrm company set-status` if this {direction} contact changes that."
        ]
    return []


def _direction(kind: str, direction: str | None) -> str | None:
    if kind == process.ACTIVITY_NOTE:
        if direction:
            raise InvalidValue("A note has no direction; leave out --direction, or log a call, email, meeting or message.")
        return None
    if not direction:
        raise InvalidValue(
            f"A {kind} has a direction: give --direction outbound (we initiated it) or inbound (the contact did)."
        )
    return parse_choice(direction, process.DIRECTIONS, "Direction")


# --- Reading ------------------------------------------------------------------------------


@dataclass
class ActivityFilter:
    company: str | None = None
    contact: str | None = None
    deal: str | None = None
    type: str | None = None
    by: str | None = None
    since: str | None = None


def link_conditions(session: Session, model, links: Links) -> list:
    """Filters on what an activity or a task is linked to, from the references people type."""
    conditions = []
    if links.company:
        conditions.append(model.company_id == refs.company(session, links.company).id)
    if links.contact:
        conditions.append(model.contact_id == refs.contact(session, links.contact).id)
    if links.deal:
        conditions.append(model.deal_id == refs.deal(session, links.deal).id)
    return conditions


def _conditions(session: Session, f: ActivityFilter) -> list:
    conditions = link_conditions(session, Activity, Links(contact=f.contact, company=f.company, deal=f.deal))
    if f.type:
        conditions.append(Activity.type == parse_choice(f.type, process.ACTIVITY_TYPES, "Activity type"))
    if f.by:
        conditions.append(Activity.actor.in_(actor_names(session, f.by)))
    if f.since:
        conditions.append(Activity.at >= times.parse_past_time(f.since, "Since (--since)"))
    return conditions


def actor_names(session: Session, ref: str) -> list[str]:
    """The names a person acts under: a team member's login and name, or the text as given."""
    from salescrm.domain.team import find_member

    member = find_member(session, ref)
    if member is None:
        return [ref.strip()]
    return [n for n in (member.login, member.name) if n]


def _select():
    return (
        sa.select(
            Activity.id, Activity.type, Activity.direction, Activity.at, Activity.summary, Activity.actor,
            Contact.id.label("contact_id"), Contact.first_name, Contact.last_name, Contact.email,
            Company.id.label("company_id"), Company.name.label("company_name"),
            Deal.id.label("deal_id"), Deal.name.label("deal_name"),
        )
        .select_from(Activity)
        .outerjoin(Contact, Contact.id == Activity.contact_id)
        .outerjoin(Company, Company.id == Activity.company_id)
        .outerjoin(Deal, Deal.id == Activity.deal_id)
    )


def iter_activity_objects(session: Session, f: ActivityFilter, limit: int | None = None) -> Iterator[dict]:
    """Matching activities, newest first, as `activity list` objects."""
    stmt = _select().where(*_conditions(session, f)).order_by(Activity.at.desc(), Activity.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    for row in session.connection().execute(stmt.execution_options(yield_per=1000)):
        yield activity_object(row)


def activity_object(row) -> dict:
    return {
        "id": row.id,
        "type": row.type,
        "direction": row.direction,
        "at": iso(row.at),
        "summary": row.summary,
        "by": row.actor,
        "contact": record_ref(row.contact_id, f"{row.first_name} {row.last_name}", email=row.email),
        "company": record_ref(row.company_id, row.company_name),
        "deal": record_ref(row.deal_id, row.deal_name),
    }


def shown_activity(session: Session, activity_id: int) -> dict:
    return activity_object(session.connection().execute(_select().where(Activity.id == activity_id)).one())

