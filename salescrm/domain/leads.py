"""Lead intake, the implementation article's first stage: an incoming lead becomes a contact (a
Marketing Qualified Lead), its company if new (lead status New), and a follow-up call one hour later.

"The Name and Telephone fields are the minimum" (the article); salescrm takes a phone or an email.
For web forms it keeps "Search Engine, Keyword, Source", so the team sees which ads bring leads.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from sqlmodel import Session, select

from salescrm import process
from salescrm.domain import companies, contacts, naming, tasks, times
from salescrm.domain.activities import Linked, lead_status_follows
from salescrm.domain.actors import actor_of
from salescrm.domain.countries import parse_country
from salescrm.domain.values import clean_name, clean_text, parse_choice, parse_email, parse_phone, parse_website
from salescrm.errors import InvalidValue
from salescrm.store.models import Activity, Company, Contact, Task, size

if TYPE_CHECKING:
    from salescrm.domain.input_files import Record

WEB_FORM_FIELDS = ("search_engine", "keyword", "source_page")


@dataclass
class Lead:
    """A lead as a form or a person gives it (the JSON fields of `lead add --from-json`)."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    job_title: str | None = None
    company: str | None = None
    country: str | None = None
    website: str | None = None
    channel: str | None = None
    search_engine: str | None = None
    keyword: str | None = None
    source_page: str | None = None
    owner: str | None = None
    note: str | None = None


FIELDS = tuple(f.name for f in fields(Lead))


@dataclass
class LeadResult:
    contact: Contact
    company: Company | None
    new_contact: bool
    new_company: bool
    follow_up: Task | None
    activity: Activity | None = None
    warnings: list[str] = field(default_factory=list)


def check_lead(lead: Lead) -> list[tuple[str, str]]:
    """Every problem of a lead that can be seen without the database, as (field, message)."""
    problems: list[tuple[str, str]] = []

    def check(name: str, parse) -> None:
        value = getattr(lead, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return
        try:
            parse(value)
        except InvalidValue as e:
            problems.append((name, e.message))

    for name in ("first_name", "last_name"):
        if getattr(lead, name) is None or not str(getattr(lead, name)).strip():
            problems.append((name, f"{name.replace('_', ' ').capitalize()} is required."))
    check("first_name", lambda v: clean_text(v, "First name", max_length=size(Contact.first_name), name=True))
    check("last_name", lambda v: clean_text(v, "Last name", max_length=size(Contact.last_name), name=True))
    if not (lead.email or "").strip() and not (lead.phone or "").strip():
        problems.append(("email", "A lead needs a phone or an email to be called back: give one of them."))
    check("email", parse_email)
    if (lead.phone or "").strip().startswith(("+", "00")) or lead.country:
        # A national number is read with the company's country, which may only be in the database:
        # then `contact add` checks it while the lead is written.
        check("phone", lambda v: parse_phone(v, _country_or_none(lead.country) if lead.country else None))
    check("job_title", lambda v: clean_text(v, "Job title", max_length=size(Contact.job_title)))
    check("company", lambda v: clean_name(v, "Company name", size(Company.name)))
    check("country", parse_country)
    check("website", parse_website)
    check("note", lambda v: clean_text(v, "Note", lines=True, max_length=size(Activity.summary)))
    if not (lead.channel or "").strip():
        problems.append(("channel", f"Channel is required: one of {', '.join(process.LEAD_CHANNELS)}."))
    check("channel", _parse_channel)
    for name in WEB_FORM_FIELDS:
        if getattr(lead, name) and (lead.channel or "").strip() and _channel_or_none(lead.channel) not in (None, "web-form"):
            problems.append((name, f"{name.replace('_', ' ').capitalize()} is what a web form captures; this lead came by {lead.channel}."))
        check(name, lambda v, n=name: clean_text(v, n.replace("_", " ").capitalize(), max_length=_web_form_size(n)))
    if (lead.country or lead.website) and not (lead.company or "").strip():
        problems.append(("company", "A country or website was given without a company name."))
    return problems


def _web_form_size(name: str) -> int:
    """What the contact's column for web-form field `name` holds (search engine 100, keyword 300, source page 500)."""
    return size(getattr(Contact, name))


def channel_brings_email(channel: str | None) -> bool:
    """Whether a lead of this channel comes with an email rather than a phone (email, web form)."""
    return _channel_or_none(channel or "") in ("email", "web-form")


def _parse_channel(value: str) -> str:
    found, problem = _channel_of(value) if len(value) <= 64 else _read_channel(value)
    if problem is not None:
        raise InvalidValue(problem)
    return found


def _read_channel(value: str) -> tuple[str | None, str | None]:
    try:
        return parse_choice(value, process.LEAD_CHANNELS, "Channel", slugs=True), None
    except InvalidValue as e:
        return None, e.message


# A lead file repeats a few channel spellings thousands of times, and each is checked several times a
# lead: remembered (short values only, so that the cache stays small).
_channel_of = lru_cache(maxsize=128)(_read_channel)


def _channel_or_none(value: str) -> str | None:
    try:
        return _parse_channel(value)
    except InvalidValue:
        return None


def _country_or_none(value: str) -> str | None:
    try:
        return parse_country(value)
    except InvalidValue:
        return None


def add_lead(session: Session, lead: Lead, follow_up_delay: timedelta | None, distinct_from: Sequence[str] = ()) -> LeadResult:
    """Register a lead; one whose email is already a contact's is logged as an inbound activity on it.

    `distinct_from` names the existing companies that a new company of the lead looks like but is not
    (as `company add --distinct-from`)."""
    problems = check_lead(lead)
    if problems:
        raise InvalidValue(" ".join(message for _, message in problems))
    channel = _parse_channel(lead.channel)
    owner = tasks.owner_of(session, lead.owner)
    existing = _contact_by_email(session, lead.email)
    if existing is not None:
        return _repeat_lead(session, existing, lead, channel, owner, follow_up_delay)
    company, new_company, warnings = _company_for(session, lead, distinct_from)
    contact = contacts.add_contact(
        session, lead.first_name, lead.last_name, lead.job_title, email=lead.email, phone=lead.phone,
        companies=[str(company.id)] if company else [], job_title_required=False,
    )
    contact.channel = channel
    for name in WEB_FORM_FIELDS:
        setattr(contact, name, clean_text(getattr(lead, name), name, required=False, max_length=_web_form_size(name)))
    session.add(contact)
    session.flush()
    note = _note(session, contact, lead.note)
    task = tasks.follow_up(session, Linked(contact, company, None), follow_up_delay, owner) if follow_up_delay is not None else None
    return LeadResult(contact, company, True, new_company, task, note, warnings)


def _note(session: Session, contact: Contact, text: str | None) -> Activity | None:
    """What a new lead wrote or said, kept as a `note` activity on the contact (and its company)."""
    if not (text or "").strip():
        return None
    from salescrm.domain.activities import Links, log_activity

    return log_activity(session, type=process.ACTIVITY_NOTE, summary=text, links=Links(contact=str(contact.id))).record


def _contact_by_email(session: Session, email: str | None) -> Contact | None:
    if not (email or "").strip():
        return None
    return session.exec(select(Contact).where(Contact.email_key == parse_email(email).lower())).first()


def _company_for(session: Session, lead: Lead, distinct_from: Sequence[str]) -> tuple[Company | None, bool, list[str]]:
    if not (lead.company or "").strip():
        return None, False, []
    found = session.exec(select(Company).where(Company.name_key == naming.name_key(lead.company)).with_for_update()).first()
    if found is not None:
        return found, False, []
    outcome = companies.add_company(session, lead.company, lead.country, lead.website, required=False,
                                    distinct_from=distinct_from)
    return outcome.record, True, outcome.warnings


def _repeat_lead(session, contact: Contact, lead: Lead, channel: str, owner, delay) -> LeadResult:
    from salescrm.domain.activities import Links, resolve_links

    linked = resolve_links(session, Links(contact=str(contact.id), company=lead.company if _is_company(session, lead) else None), "activity")
    note = clean_text(lead.note, "Note", required=False, lines=True)
    summary = f"Came in again as a lead ({channel})" + (f": {note}" if note else "")
    activity = Activity(
        type=process.ACTIVITY_TYPE_BY_CHANNEL[channel], direction=process.INBOUND, at=times.now(), summary=summary,
        actor=actor_of(session), contact_id=contact.id, company_id=linked.company.id if linked.company else None,
    )
    session.add(activity)
    warnings = lead_status_follows(session, linked.company, process.INBOUND) if linked.company else []
    session.flush()
    task = tasks.follow_up(session, linked, delay, owner) if delay is not None else None
    return LeadResult(contact, linked.company, False, False, task, activity, warnings)


def _is_company(session: Session, lead: Lead) -> bool:
    if not (lead.company or "").strip():
        return False
    return session.exec(select(Company.id).where(Company.name_key == naming.name_key(lead.company))).first() is not None


# --- Reading leads from a file ------------------------------------------------------------


@dataclass
class LeadLine:
    line: int
    lead: Lead | None
    problems: list[tuple[str, str]]
    record: "Record | None" = None  # as read, for the rejects file


def read_leads(records: Iterable["Record"]) -> Iterator[LeadLine]:
    """Each record of a lead file (one JSON object, an array of them, or JSON lines, read by
    `input_files.read_records`) as a lead with the problems seen without the database."""
    for record in records:
        if record.problem is not None:
            yield LeadLine(record.line, None, [("json", record.problem)], record)
        else:
            line = _lead_line(record.line, record.value)
            line.record = record
            yield line


def _lead_line(number: int, obj) -> LeadLine:
    if not isinstance(obj, dict):
        return LeadLine(number, None, [("json", "a lead is a JSON object with fields such as first_name, email, channel.")])
    unknown = sorted(set(obj) - set(FIELDS))
    problems = [(name, f"unknown field; the fields are {', '.join(FIELDS)}.") for name in unknown]
    values, not_text = {}, set()
    for name in FIELDS:
        value = obj.get(name)
        if value is not None and not isinstance(value, str):
            problems.append((name, "must be text."))
            not_text.add(name)
            continue
        values[name] = value
    lead = Lead(**values)
    problems += [(name, message) for name, message in check_lead(lead) if name not in not_text]
    return LeadLine(number, lead, problems)


def lead_of(obj: dict) -> Lead:
    """The lead of a record that `read_leads` found valid (`add_lead` checks it again)."""
    return Lead(**{name: obj.get(name) for name in FIELDS})


def describe_problems(line: LeadLine) -> str:
    return "; ".join(f"{name}: {message}" for name, message in line.problems)
