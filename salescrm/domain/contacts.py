"""Contacts: the people we sell to, linked to one or more companies."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, select

from salescrm import process
from salescrm.domain import refs
from salescrm.domain.refs import escape_like
from salescrm.domain.records import check_version, touch
from salescrm.domain.values import parse_choice, parse_email, parse_phone
from salescrm.errors import Refused
from salescrm.store.models import Company, Contact, ContactCompany, size
from salescrm.typed_text import clean_text


def add_contact(
    session: Session,
    first_name: str,
    last_name: str,
    job_title: str,
    *,
    email: str | None = None,
    phone: str | None = None,
    companies: list[str] = (),
    job_title_required: bool = True,
) -> Contact:
    """A new contact; the job title may be unknown only for a new lead (`job_title_required=False`)."""
    linked = [refs.company(session, ref) for ref in companies]
    contact = Contact(
        first_name=clean_text(first_name, "First name", max_length=size(Contact.first_name), name=True),
        last_name=clean_text(last_name, "Last name", max_length=size(Contact.last_name), name=True),
        job_title=clean_text(job_title, "Job title", required=job_title_required, max_length=size(Contact.job_title)),
    )
    _set_email(session, contact, email)
    _set_phone(contact, phone, linked)
    session.add(contact)
    session.flush()
    for company in linked:
        _link(session, contact, company)
    return contact


def _set_email(session: Session, contact: Contact, email: str | None) -> None:
    if email is None or not email.strip():
        contact.email = contact.email_key = None
        return
    normalized = parse_email(email)
    key = normalized.lower()
    other = session.exec(select(Contact).where(Contact.email_key == key)).first()
    if other is not None and other.id != contact.id:
        raise Refused(
            f"{other.first_name} {other.last_name} (contact {other.id}) already has the email {other.email}; "
            "emails are unique, so edit that contact instead."
        )
    contact.email, contact.email_key = normalized, key


def _set_phone(contact: Contact, phone: str | None, companies: list[Company]) -> None:
    if phone is None or not phone.strip():
        contact.phone = None
        return
    region = companies[0].country if companies else None
    contact.phone = parse_phone(phone, region)


def _link(session: Session, contact: Contact, company: Company) -> None:
    if session.get(ContactCompany, (contact.id, company.id)) is None:
        session.add(ContactCompany(contact_id=contact.id, company_id=company.id))


def companies_of(session: Session, contact_id: int) -> list[Company]:
    return list(
        session.exec(
            select(Company)
            .join(ContactCompany, ContactCompany.company_id == Company.id)
            .where(ContactCompany.contact_id == contact_id)
            .order_by(Company.name_key)
        ).all()
    )


def edit_contact(
    session: Session,
    ref: str,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    job_title: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    add_companies: list[str] = (),
    remove_companies: list[str] = (),
    properties: Sequence[str] = (),
    expected_version: int | None = None,
) -> Contact:
    """Change a contact's fields, companies or properties (`KEY=VALUE` items, domain/properties.py)."""
    from salescrm.domain import properties as record_properties
    from salescrm.process import bound

    values = record_properties.parse_assignments(bound.of(session), "contact", list(properties)) if properties else {}
    contact = refs.contact(session, ref, for_update=True)
    check_version(contact, expected_version, "contact")
    if first_name is not None:
        contact.first_name = clean_text(first_name, "First name", max_length=size(Contact.first_name), name=True)
    if last_name is not None:
        contact.last_name = clean_text(last_name, "Last name", max_length=size(Contact.last_name), name=True)
    if job_title is not None:
        contact.job_title = clean_text(job_title, "Job title", max_length=size(Contact.job_title))
    if email is not None:
        _set_email(session, contact, email)
    for company_ref in add_companies:
        _link(session, contact, refs.company(session, company_ref))
    for company_ref in remove_companies:
        company = refs.company(session, company_ref)
        link = session.get(ContactCompany, (contact.id, company.id))
        if link is None:
            raise Refused(f"{contact.first_name} {contact.last_name} is not linked to '{company.name}'.")
        session.delete(link)
    session.flush()
    if phone is not None:
        _set_phone(contact, phone, companies_of(session, contact.id))
    record_properties.store(session, "contact", contact.id, values)
    touch(session, contact)
    return contact


def lead_source_conditions(channel: str | None, source: str | None) -> list:
    """Contacts that came by `channel`, and whose search engine, keyword or source page contains `source`."""
    conditions = []
    if channel:
        conditions.append(Contact.channel == parse_choice(channel, process.LEAD_CHANNELS, "Channel", slugs=True))
    if source:
        pattern = f"%{escape_like(source.strip().lower())}%"
        conditions.append(sa.or_(*(sa.func.lower(column).like(pattern, escape="\\")
                                   for column in (Contact.search_engine, Contact.keyword, Contact.source_page))))
    return conditions


def list_contacts(
    session: Session, *, company: str | None = None, channel: str | None = None, source: str | None = None,
    limit: int | None = None, consented: str | None = None,
) -> list[Contact]:
    """Contacts by name; `consented`: only those whose latest event for that purpose grants it."""
    stmt = select(Contact).where(*lead_source_conditions(channel, source)).order_by(Contact.last_name, Contact.first_name, Contact.id)
    if consented:
        from salescrm.domain import consent

        stmt = stmt.where(consent.consented(consent.parse_purpose(consented)))
    if company:
        found = refs.company(session, company)
        stmt = stmt.join(ContactCompany, ContactCompany.contact_id == Contact.id).where(
            ContactCompany.company_id == found.id
        )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.exec(stmt).all())


def manual_lifecycle_values(session: Session) -> tuple[str, ...]:
    """The lifecycle values a person may set (`contact set-lifecycle`); refused where the database's process
    derives every value from the data (sp-009-001)."""
    proc = process.of(session)
    if not proc.lifecycle.manual:
        raise Refused(
            f"The process {proc.name} derives every contact's lifecycle stage from the data "
            f"({', '.join(proc.lifecycle.values)}), so none is set by hand."
        )
    return proc.lifecycle.manual


def set_lifecycle(session: Session, ref: str, value: str | None) -> Contact:
    """Keep the lifecycle value a person chose (`contact.manual_lifecycle`), one of the process's manual
    values; `None` clears it, and the lifecycle stage follows from the data alone again."""
    manual = manual_lifecycle_values(session)
    chosen = parse_choice(value, manual, "Lifecycle stage", slugs=True) if value is not None else None
    contact = refs.contact(session, ref, for_update=True)
    if contact.manual_lifecycle != chosen:
        contact.manual_lifecycle = chosen
        touch(session, contact)
        session.flush()  # the stage is derived in SQL, which reads the stored value
    return contact
