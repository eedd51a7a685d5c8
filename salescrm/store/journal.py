"""The change journal: every insert, update and delete of a business record, written in the same
transaction, chained by SHA-256 so that a changed or removed entry shows.

Recorded once, here, from the session's `after_flush` event: commands never write it themselves.
Field names and units are those of the `--json` objects (`amount` in currency units, gate values
as `gates.KEY`), not storage columns. Each value is stored as JSON `[salt, value]` beside the
digest of the two (a company's or contact's property as `properties.KEY`); the chain covers the digests, so erasing a person's value later (setting it to
NULL) keeps the chain verifiable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

from salescrm.store.columns import iso
from salescrm.store.models import (
    Activity,
    Company,
    CompanyProperty,
    ConsentEvent,
    Contact,
    ContactCompany,
    ContactProperty,
    Deal,
    DealContact,
    DistinctCompanies,
    GateValue,
    ImportBatch,
    JournalEntry,
    JournalField,
    JournalHead,
    MarketingExport,
    ProcessRevision,
    Setting,
    SurveyAnswer,
    Task,
    TeamMember,
)

from salescrm.store.insert_many import insert_many
from salescrm.store.journal_chain import (  # noqa: F401  (the names readers import from here)
    CHAIN_VERSION,
    GENESIS,
    canonical_time,
    entry_hash,
    field_salt,
    new_row_salt,
    new_row_salts,
    seal,
    text_digest,
    text_digester,
    unseal,
    value_digest,
)

_JOURNAL = JournalEntry.__table__
_FIELDS = JournalField.__table__
_HEAD = JournalHead.__table__


@dataclass
class Change:
    record_type: str
    record_id: int | None
    action: str  # insert, update, delete, bulk insert
    fields: dict[str, tuple[object, object]] = field(default_factory=dict)  # field -> (old, new)


def _cents(value):
    if value is None:
        return None
    return value // 100 if value % 100 == 0 else value / 100


def _iso(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


# model -> (record type, id attribute, {storage attribute: (JSON field, converter)})
_RECORDS = {
    TeamMember: ("team_member", "id", {"name": ("name", None), "role": ("role", None), "login": ("login", None)}),
    Company: ("company", "id", {
        "name": ("name", None), "country": ("country", None), "website": ("website", None),
        "legal_name": ("legal_name", None), "lead_status": ("lead_status", None),
        "external_id": ("external_id", None), "source_system": ("source_system", None),
    }),
    Contact: ("contact", "id", {
        "first_name": ("first_name", None), "last_name": ("last_name", None), "job_title": ("job_title", None),
        "email": ("email", None), "phone": ("phone", None), "channel": ("channel", None),
        "search_engine": ("search_engine", None), "keyword": ("keyword", None), "source_page": ("source_page", None),
        "external_id": ("external_id", None), "source_system": ("source_system", None),
        "manual_lifecycle": ("manual_lifecycle", None),
    }),
    Deal: ("deal", "id", {
        "name": ("name", None), "stage": ("stage", None), "pipeline": ("pipeline", None),
        "country": ("country", None), "company_id": ("company_id", None), "description": ("description", None),
        "amount_cents": ("amount", _cents), "close_date": ("close_date", _iso), "deal_class": ("deal_class", None),
        "source": ("source", None), "owner_id": ("owner", "owner"),
        "lost_reason_category": ("lost_reason_category", None), "lost_reason": ("lost_reason", None),
        "currency": ("currency", None), "external_id": ("external_id", None), "source_system": ("source_system", None),
        "source_name": ("source_name", None),
    }),
    # `salescrm import`: the batch, its counts and its undo (domain/imports/batches.py reads its range of entries).
    ImportBatch: ("import_batch", "id", {
        "file": ("file", None), "record_type": ("record_type", None), "source_system": ("source_system", None),
        "created": ("created", None), "updated": ("updated", None), "undone_at": ("undone_at", iso),
        "undone_by": ("undone_by", None),
    }),
    Activity: ("activity", "id", {
        "type": ("type", None), "direction": ("direction", None), "at": ("at", iso), "summary": ("summary", None),
        "actor": ("by", None), "contact_id": ("contact", None), "company_id": ("company", None), "deal_id": ("deal", None),
    }),
    SurveyAnswer: ("survey_answer", "id", {
        "capture": ("capture", None), "qualifying_defined": ("qualifying_defined", None),
        "qualifying_understood": ("qualifying_understood", None), "clean_data": ("clean_data", None),
        "reports": ("reports", None), "score": ("score", None),
    }),
    ConsentEvent: ("consent_event", "id", {
        "contact_id": ("contact", None), "purpose": ("purpose", None), "state": ("state", None), "basis": ("basis", None),
        "source": ("source", None), "wording_version": ("wording_version", None), "at": ("at", iso),
    }),
    MarketingExport: ("marketing_export", "id", {"contacts": ("contacts", None)}),
    Task: ("task", "id", {
        "title": ("title", None), "kind": ("kind", None), "due": ("due", iso), "owner_id": ("owner", "owner"),
        "owner_login": ("owner_login", None), "deal_id": ("deal", None), "company_id": ("company", None),
        "contact_id": ("contact", None), "done": ("done", None), "closed_as": ("closed_as", None),
    }),
}
# Link rows, gate values and properties belong to the record they describe.
_PARTS = {
    GateValue: ("deal", "deal_id"),
    CompanyProperty: ("company", "company_id"),
    ContactProperty: ("contact", "contact_id"),
    DealContact: ("deal", "deal_id"),
    ContactCompany: ("contact", "contact_id"),
    DistinctCompanies: ("company", "company_id"),
}


def install(session: Session) -> None:
    """Journal every flush of this (write) session."""
    event.listen(session, "after_flush", _after_flush)


def _after_flush(session: Session, _context) -> None:
    changes: list[Change] = []
    for obj in session.new:
        changes += _describe(session, obj, "insert")
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            changes += _describe(session, obj, "update")
    for obj in session.deleted:
        changes += _describe(session, obj, "delete")
    changes = [c for c in changes if c.fields or c.action == "delete"]
    if changes:
        append(session.connection(), session.info, changes)


def _describe(session: Session, obj, action: str) -> list[Change]:
    kind = type(obj)
    if kind in _RECORDS:
        record_type, id_attr, columns = _RECORDS[kind]
        change = Change(record_type, getattr(obj, id_attr), action)
        state = sa.inspect(obj)
        for attr, (name, convert) in columns.items():
            history = state.attrs[attr].history
            if action == "insert":
                old, new = None, getattr(obj, attr)
            elif action == "delete":
                old, new = getattr(obj, attr), None
            elif history.has_changes():
                old = history.deleted[0] if history.deleted else None
                new = history.added[0] if history.added else None
            else:
                continue
            old, new = _convert(session, convert, old), _convert(session, convert, new)
            if old != new:
                change.fields[name] = (old, new)
        return [change]
    if kind is ProcessRevision:  # a revision applied (`process apply`): the file by its digest, not its text
        if action != "insert":
            return []
        return [Change("process_revision", obj.id, "insert", {
            "name": (None, obj.name), "revision": (None, obj.revision), "sha256": (None, obj.sha256)})]
    if kind is Setting:
        old, new = (None, obj.value) if action == "insert" else (obj.value, None) if action == "delete" else (
            (sa.inspect(obj).attrs["value"].history.deleted or [None])[0], obj.value)
        return [Change("setting", None, action, {obj.key: (old, new)})] if old != new else []
    if kind in _PARTS:
        record_type, id_attr = _PARTS[kind]
        record_id = getattr(obj, id_attr)
        if kind in (GateValue, CompanyProperty, ContactProperty):
            name = f"gates.{obj.key}" if kind is GateValue else f"properties.{obj.key}"
            history = sa.inspect(obj).attrs["value"].history
            if action == "insert":
                old, new = None, obj.value
            elif action == "delete":
                old, new = obj.value, None
            elif history.has_changes():
                old, new = (history.deleted or [None])[0], (history.added or [None])[0]
            else:
                return []
            return [Change(record_type, record_id, "update", {name: (old, new)})]
        if kind is DistinctCompanies:
            name, linked = "distinct_from", obj.other_company_id
        else:
            name, linked = ("contacts", obj.contact_id) if kind is DealContact else ("companies", obj.company_id)
        if action == "update":
            return []
        old, new = (None, linked) if action == "insert" else (linked, None)
        return [Change(record_type, record_id, "update", {name: (old, new)})]
    return []


def _convert(session: Session, convert, value):
    if value is None or convert is None:
        return value
    if convert == "owner":
        return session.connection().execute(sa.select(TeamMember.name).where(TeamMember.id == value)).scalar()
    return convert(value)


# --- Appending ----------------------------------------------------------------------------


def append(conn: sa.Connection, info: dict, changes: list[Change]) -> None:
    """Append entries (chain v2) after the chain's head, which stays locked until the transaction ends."""
    seq, prev = conn.execute(sa.select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()).one()
    at = datetime.now(timezone.utc)
    command, reason = info.get("command") or "", info.get("reason")
    actor = info.get("actor") or "unknown"
    command_digest, reason_digest = text_digester("command", command), text_digester("reason", reason)
    entries, fields = [], []
    for change, salt in zip(changes, new_row_salts(len(changes))):
        seq += 1
        entry = {
            "seq": seq, "at": at, "actor": actor, "command": command, "reason": reason,
            "record_type": change.record_type, "record_id": change.record_id, "action": change.action,
            "version": CHAIN_VERSION, "salt": salt, "command_digest": command_digest(salt),
            "reason_digest": reason_digest(salt),
        }
        digests = []
        for name, (old, new) in change.fields.items():
            old_value, old_digest = (None, None) if old is None else seal(old, field_salt(salt, name, "old"))
            new_value, new_digest = (None, None) if new is None else seal(new, field_salt(salt, name, "new"))
            fields.append({"seq": seq, "field": name, "old_value": old_value, "new_value": new_value,
                           "old_digest": old_digest, "new_digest": new_digest})
            digests.append((name, old_digest, new_digest))
        entry["prev_hash"] = prev
        entry["hash"] = prev = entry_hash(prev, entry, digests)
        entries.append(entry)
    insert_many(conn, _JOURNAL, entries)
    insert_many(conn, _FIELDS, fields)
    conn.execute(sa.update(_HEAD).where(_HEAD.c.id == 1).values(seq=seq, hash=prev))


def record_bulk(conn: sa.Connection, info: dict, record_type: str, fields: dict[str, object]) -> None:
    """One entry for records written in bulk (the synthetic deals of `demo --size`): `fields` say how
    many, which id ranges and the digests of what was written (store/reconcile.py checks them)."""
    append(conn, info, [Change(record_type, None, "bulk insert", {k: (None, v) for k, v in fields.items()})])
