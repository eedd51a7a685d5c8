"""A contact's consent: a ledger of events per purpose, never overwritten (`contact consent`).

The HubSpot SOP asks reps to "utilize one on one emails and calling ... to gain Opt-In/Subscriber consent
to market to each contact", through the "Email Marketing Consent form". Each event says who recorded it,
when the person gave or withdrew it, the purpose, the lawful basis, the source and the wording's
version. A contact's state for a purpose is their latest event for it (by `at`, then by record).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from salescrm.domain import refs
from salescrm.domain.actors import actor_of
from salescrm.domain.values import clean_text
from salescrm.errors import InvalidValue
from salescrm.store.models import ConsentEvent, Contact, size

PURPOSES = ("marketing",)
GRANTED, WITHDRAWN = "granted", "withdrawn"
BASES = ("consent", "legitimate-interest", "contract")


@dataclass
class Consent:
    """What `contact consent` records."""

    state: str  # granted | withdrawn
    purpose: str
    basis: str | None
    source: str
    wording_version: str | None = None
    at: str | None = None  # when it was given or withdrawn; now when None


def record_consent(session: Session, contact_ref: str, consent: Consent) -> ConsentEvent:
    """Append one event to the contact's ledger: `--basis` is required to grant, optional to withdraw."""
    from salescrm.domain import times

    contact = refs.contact(session, contact_ref)
    purpose = _choice(consent.purpose, PURPOSES, "--purpose")
    basis = _choice(consent.basis, BASES, "--basis") if (consent.basis or "").strip() else None
    if consent.state == GRANTED and basis is None:
        raise InvalidValue(f"Granting consent needs its lawful basis: give --basis ({', '.join(BASES)}).")
    event = ConsentEvent(
        contact_id=contact.id, purpose=purpose, state=consent.state, basis=basis,
        source=clean_text(consent.source, "Source (--source)", max_length=size(ConsentEvent.source)),
        wording_version=clean_text(consent.wording_version, "Wording version (--wording-version)", required=False,
                                   max_length=size(ConsentEvent.wording_version)),
        at=times.parse_past_time(consent.at, "When (--at)") if consent.at else times.now(),
        recorded_by=actor_of(session),
    )
    session.add(event)
    session.flush()
    return event


def _choice(value: str | None, choices: tuple[str, ...], option: str) -> str:
    text = (value or "").strip().lower()
    if text not in choices:
        raise InvalidValue(f"{option} '{value}' is not one of: {', '.join(choices)}.")
    return text


def events(session: Session, contact_id: int) -> list[ConsentEvent]:
    """The contact's ledger, oldest first."""
    return list(session.exec(
        select(ConsentEvent).where(ConsentEvent.contact_id == contact_id).order_by(ConsentEvent.at, ConsentEvent.id)
    ).all())


def state_of(ledger: Iterable[ConsentEvent]) -> dict[str, str]:
    """{purpose: granted|withdrawn}: the latest event of each purpose in an oldest-first ledger."""
    return {event.purpose: event.state for event in ledger}


def event_object(event: ConsentEvent) -> dict:
    from salescrm.domain.views import iso

    return {"purpose": event.purpose, "state": event.state, "basis": event.basis, "source": event.source,
            "wording_version": event.wording_version, "at": iso(event.at), "recorded_by": event.recorded_by,
            "recorded_at": iso(event.recorded_at)}


def consented(purpose: str):
    """A condition on Contact: the contact's latest event for `purpose` is a grant."""
    from sqlalchemy import and_, exists
    from sqlalchemy.orm import aliased

    later = aliased(ConsentEvent)
    latest = (
        select(ConsentEvent.id)
        .where(ConsentEvent.contact_id == Contact.id, ConsentEvent.purpose == purpose, ConsentEvent.state == GRANTED)
        .where(~exists().where(and_(
            later.contact_id == ConsentEvent.contact_id, later.purpose == purpose,
            (later.at > ConsentEvent.at) | ((later.at == ConsentEvent.at) & (later.id > ConsentEvent.id)),
        )))
    )
    return exists(latest)


def parse_purpose(value: str) -> str:
    return _choice(value, PURPOSES, "--consented")


def without_lawful_basis(session: Session, created_before: datetime) -> list[Contact]:
    """Contacts created before `created_before` whose ledger records no lawful basis."""
    from sqlalchemy import exists

    has_basis = exists().where(ConsentEvent.contact_id == Contact.id, ConsentEvent.basis.is_not(None))
    return list(session.exec(select(Contact).where(Contact.created_at < created_before, ~has_basis).order_by(Contact.id)).all())


def exported_after_withdrawal(session: Session) -> list[tuple[int, int, datetime]]:
    """(contact id, export id, export time) for each marketing export that held a contact whose consent was
    withdrawn at that time: their latest marketing event up to the export is a withdrawal (one recorded
    late, with an earlier `--at`, shows here)."""
    from salescrm.store.models import MarketingExport, MarketingExportContact

    rows = session.exec(
        select(MarketingExportContact.contact_id, MarketingExport.id, MarketingExport.at)
        .join(MarketingExport, MarketingExport.id == MarketingExportContact.export_id)
        .where(MarketingExportContact.contact_id.in_(
            select(ConsentEvent.contact_id).where(ConsentEvent.purpose == "marketing", ConsentEvent.state == WITHDRAWN)))
        .order_by(MarketingExportContact.contact_id, MarketingExport.id)
    ).all()
    found = []
    for contact_id, export_id, export_at in rows:
        ledger = [e for e in events(session, contact_id) if e.purpose == "marketing" and _utc(e.at) <= _utc(export_at)]
        if ledger and ledger[-1].state == WITHDRAWN:
            found.append((contact_id, export_id, export_at))
    return found


def _utc(moment: datetime) -> datetime:
    from salescrm.domain.views import as_utc

    return as_utc(moment)
