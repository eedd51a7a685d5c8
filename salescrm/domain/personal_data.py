"""Everything salescrm holds about one person, as one document: a data subject's access request (GDPR
article 15, "the right of access by the data subject": "a copy of the personal data undergoing
processing").

`contact export-data` gives it. It holds the contact's fields and properties; their companies; the deals
they are linked to, or whose gate values name them (a decision maker is recorded by email); their
activities and tasks; their consent ledger; and the journal entries about any of these, or whose values
name the person's email or phone.
"""

from __future__ import annotations

from sqlmodel import Session

ACCESS_EXPORT_VERSION = 1  # the document's shape: a later shape gets a new number


def access_export(session: Session, contact_ref: str, exported_by: str, exported_at: str) -> dict:
    """The access document of the contact `contact_ref` names (NotFound if none)."""
    import sqlalchemy as sa

    from salescrm import process
    from salescrm.domain import refs, views
    from salescrm.domain.activities import ActivityFilter, iter_activity_objects
    from salescrm.domain.tasks import TaskFilter, iter_task_objects
    from salescrm.store.tables import Company, Deal, DealContact, GateValue

    contact = refs.contact(session, contact_ref)
    person = views.contact_object(session, contact)
    conn = session.connection()
    mentions = [value for value in (contact.email, contact.phone) if value]
    linked = sa.select(DealContact.deal_id).where(DealContact.contact_id == contact.id)
    # A gate value names the person by email or phone, or, for a contact-typed property (a decision
    # maker), by id: `contact erase` rewrites an erased person's email there to the id.
    contact_keys = [p.key for p in process.of(session).properties_of("deal") if p.type == "contact"]
    named = sa.select(GateValue.deal_id).where(
        GateValue.value.in_(mentions) | (GateValue.key.in_(contact_keys) & (GateValue.value == str(contact.id))))
    deal_ids = [row.id for row in conn.execute(
        sa.select(Deal.id).where(Deal.id.in_(linked) | Deal.id.in_(named)).order_by(Deal.id))]
    companies = conn.execute(
        sa.select(Company.id, Company.name, Company.country, Company.website)
        .where(Company.id.in_([c["id"] for c in person["companies"]])).order_by(Company.id)).all()
    activities = list(iter_activity_objects(session, ActivityFilter(contact=str(contact.id))))
    tasks = list(iter_task_objects(session, TaskFilter(contact=str(contact.id), include_done=True)))
    return {
        "export": {"version": ACCESS_EXPORT_VERSION, "at": exported_at, "by": exported_by,
                   "basis": "GDPR article 15 (right of access)"},
        "contact": {key: value for key, value in person.items() if key not in ("consent", "consent_state", "deals")},
        "properties": _properties(session, contact.id),
        "companies": [dict(row._mapping) for row in companies],
        "deals": [views.deal_object(session, refs.deal_row(session, str(deal_id))) for deal_id in deal_ids],
        "activities": activities,
        "tasks": tasks,
        "consent": person["consent"],
        "consent_state": person["consent_state"],
        "journal": list(_journal_about(session, contact.id, activities, tasks, mentions)),
    }


def _properties(session: Session, contact_id: int) -> dict[str, str]:
    import sqlalchemy as sa

    from salescrm.store.models import ContactProperty

    table = ContactProperty.__table__
    rows = session.connection().execute(
        sa.select(table.c.key, table.c.value).where(table.c.contact_id == contact_id).order_by(table.c.key))
    return {row.key: row.value for row in rows}


def _journal_about(session: Session, contact_id: int, activities: list[dict], tasks: list[dict], mentions: list[str]):
    """The journal entries about the contact, their activities, tasks and consent events, and those whose
    recorded values name their email or phone: oldest first, one object per changed field."""
    import sqlalchemy as sa

    from salescrm.domain.journal import stream_changes
    from salescrm.domain.refs import escape_like
    from salescrm.store.models import ConsentEvent, JournalEntry, JournalField

    entry, field = JournalEntry.__table__, JournalField.__table__
    consent_ids = sa.select(ConsentEvent.__table__.c.id).where(ConsentEvent.__table__.c.contact_id == contact_id)
    about = [
        (entry.c.record_type == "contact") & (entry.c.record_id == contact_id),
        (entry.c.record_type == "consent_event") & entry.c.record_id.in_(consent_ids),
    ]
    for record_type, records in (("activity", activities), ("task", tasks)):
        if records:
            about.append((entry.c.record_type == record_type) & entry.c.record_id.in_([r["id"] for r in records]))
    for value in mentions:
        pattern = f"%{escape_like(value)}%"
        naming = sa.select(field.c.seq).where(field.c.old_value.like(pattern, escape="\\")
                                              | field.c.new_value.like(pattern, escape="\\"))
        about.append(entry.c.seq.in_(naming))
    return stream_changes(session, [sa.or_(*about)])
