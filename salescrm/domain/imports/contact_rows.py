"""A contact row through `contact add`'s rules (rows.py describes the rest): a name and an email or a
phone (lead intake's minimum), phones in E.164, the companies its Company name stands for through the
company rules (matched, merged into the global company, or created), HubSpot's GDPR columns into the
consent ledger, and, where the process lets a person set some lifecycle values, those from Lifecycle
Stage.
"""

from __future__ import annotations

from salescrm.domain.imports import matching
from salescrm.domain.imports.results import Result, joined, text
from salescrm.domain.imports.rows import Importer, _follow_up, _source_changes, set_properties
from salescrm.errors import Refused


def contact_row(imp: Importer, line: int, v: dict) -> Result:
    from salescrm.domain import contacts, erasure
    from salescrm.domain.values import parse_email, parse_phone
    from salescrm.store.models import Contact, ContactCompany, size
    from salescrm.typed_text import clean_text

    first, last = text(v, "first_name"), text(v, "last_name")
    email_text, phone_text = text(v, "email"), text(v, "phone")
    if not first or not last or not (email_text or phone_text):
        raise Refused("A contact needs a first and a last name, and an email or a phone (lead intake's minimum).")
    from salescrm.domain.countries import parse_country

    country = parse_country(text(v, "country")) if text(v, "country") else None
    linked, notes = [], []
    for name in joined(text(v, "companies")):
        company, note = imp.company_or_new(name, country)
        if company.id not in {c.id for c in linked}:
            linked.append(company)
        if note:
            notes.append(note)
    email = parse_email(email_text) if email_text else None
    phone = parse_phone(phone_text, (linked[0].country if linked else None) or country) if phone_text else None
    erasure.refuse_erased(imp.session, email, phone)  # an erased person is not taken in again (domain/erasure.py)
    job_title = clean_text(text(v, "job_title"), "Job title", required=False, max_length=size(Contact.job_title))
    found, how = imp.find(Contact, v)
    if found is None:
        found, how = matching.contact(imp.session, email, phone)
    if found is None:
        contact = contacts.add_contact(imp.session, first, last, job_title, email=email, phone=phone,
                                       companies=[str(c.id) for c in linked], job_title_required=False)
        for name in ("search_engine", "keyword", "source_page"):
            if text(v, name):
                setattr(contact, name, clean_text(text(v, name), name.replace("_", " ").capitalize(),
                                                  max_length=size(getattr(Contact, name))))
        if text(v, "channel"):
            from salescrm import process
            from salescrm.domain.values import parse_choice

            contact.channel = parse_choice(text(v, "channel"), process.LEAD_CHANNELS, "Channel", slugs=True)
        imp.keep_new(contact, v)
        set_properties(imp, contact, v)
        _follow_up(imp, contact, linked[0] if linked else None)
        consent = _consent(imp, contact, v)
        lifecycle, _ = _lifecycle(imp, contact, v)
        return Result(line, "created", contact.id, "; ".join([*notes, *(x for x in (consent, lifecycle) if x)]) or None,
                      f"{contact.first_name} {contact.last_name}")
    changes = {}
    for name, new in (("first_name", clean_text(first, "First name", max_length=size(Contact.first_name), name=True)),
                      ("last_name", clean_text(last, "Last name", max_length=size(Contact.last_name), name=True)),
                      ("job_title", job_title), ("email", email), ("phone", phone)):
        if new is not None and new != getattr(found, name):
            changes[name] = new
    if changes.get("email") and found.email and changes["email"].lower() == found.email.lower():
        changes.pop("email")  # the same address in another case: the first spelling stays
    new_links = [c for c in linked if imp.session.get(ContactCompany, (found.id, c.id)) is None]
    reason = imp.matched(found.id, how, line)
    label = f"{found.first_name} {found.last_name}"
    properties = set_properties(imp, found, v)
    lifecycle, lifecycle_set = _lifecycle(imp, found, v)
    if lifecycle and not lifecycle_set:
        notes.append(lifecycle)
    extra = [x for x in (_consent(imp, found, v), lifecycle if lifecycle_set else None,
                         f"changed {', '.join(properties)}" if properties else None) if x]
    reason = "; ".join([reason, *notes, *extra])
    if not changes and not new_links and not _source_changes(imp, found, v):
        return Result(line, "updated" if extra else "unchanged", found.id, reason, label)
    contacts.edit_contact(imp.session, str(found.id), **changes, add_companies=[str(c.id) for c in new_links])
    imp.keep_source(found, v.get("external_id"))
    imp.session.add(found)
    imp.session.flush()
    what = list(changes) + (["companies"] if new_links else [])
    return Result(line, "updated", found.id, f"{reason}; changed {', '.join(what) or 'its external id'}", label)


# HubSpot's "Legal basis for processing contact's data" values, by the words that tell them apart.
_BASES = (("consent", "consent"), ("legitimate", "legitimate-interest"), ("contract", "contract"))


def _consent(imp: Importer, contact, v: dict) -> str | None:
    """HubSpot's GDPR columns into the consent ledger: "Unsubscribed from all email" (true) a withdrawal,
    else "Legal basis for processing contact's data" a grant on that basis; an event only when it changes
    the contact's marketing state (a re-import adds none). What was recorded, for the report."""
    from salescrm.domain import consent
    from salescrm.domain.values import parse_yes_no

    unsubscribed = text(v, "unsubscribed")
    basis_text = (text(v, "consent_basis") or "").lower()
    state = consent.WITHDRAWN if unsubscribed and parse_yes_no(unsubscribed, "Unsubscribed from all email") else None
    basis = next((b for word, b in _BASES if word in basis_text), None)
    if state is None and basis is None:
        return None
    state = state or consent.GRANTED
    if consent.state_of(consent.events(imp.session, contact.id)).get("marketing") == state:
        return None
    consent.record_consent(imp.session, str(contact.id), consent.Consent(
        state, "marketing", basis, f"imported from {imp.options.source_system}"))
    return f"marketing consent {state}" + (f" ({basis})" if basis else "")


def _lifecycle(imp: Importer, contact, v: dict) -> tuple[str | None, bool]:
    """Lifecycle Stage, where the database's process lets a person set some values (health-prime's Exclude
    from Marketing, Additional Sales Contact, Recycled): one of those is stored as the contact's manual value,
    as `contact set-lifecycle` stores it; any other value follows from the data, so it is not imported. What
    the report says, if anything, and whether the contact changed."""
    from salescrm.domain.imports.values import stage_key

    given = text(v, "manual_lifecycle")
    if given is None or not imp.options.lifecycle_manual:
        return None, False
    value = next((m for m in imp.options.lifecycle_manual if stage_key(m) == stage_key(given)), None)
    if value is None:
        return f"Lifecycle Stage '{given}' follows from the data, so it is not imported", False
    if contact.manual_lifecycle == value:
        return None, False
    from salescrm.domain import contacts

    contacts.set_lifecycle(imp.session, str(contact.id), value)
    return f"lifecycle {value} (set by hand)", True
