"""Import batches: each import (each `--chunk` of one) is an `import_batch` row, journaled, and can be undone.

The journal keeps every change a batch made: its entries lie between the batch's own `insert` entry and
its closing `update` (the counts), since a transaction holds the chain's head while it writes, so no
other command's entries fall between them.

`undo` reverses a batch that nothing has changed since. "Changed" means any journal entry after the
batch on a record the batch touched (derived changes such as a lead status included), or a record made
since that links to one the batch created (a contact of an imported company, a deal, an activity, a
task). If anything has, the undo is refused, naming the changed records. Otherwise the records the batch
created are removed (with their stage history, gate values and links), the records it updated get their
old values back from the journal, and the batch is marked undone: all journaled, as the undo's own entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from salescrm.errors import NotFound, Refused
from salescrm.store.actors import actor_of
from salescrm.store.columns import utcnow

RECORD_TYPES = {"companies": "company", "contacts": "contact", "deals": "deal", "activities": "activity", "tasks": "task"}
_SHOWN = 10  # changed records an undo's refusal names


def start(session: Session, file: str, kind: str, source_system: str):
    from salescrm.store.models import ImportBatch

    batch = ImportBatch(by=actor_of(session), file=file[:1000], record_type=RECORD_TYPES[kind],
                        source_system=source_system[:40], created=0, updated=0)
    session.add(batch)
    session.flush()
    session.info["import_batch_id"] = batch.id  # the stage history it makes carries it (moves.record_stage_change)
    return batch


def finish(session: Session, batch, created: int, updated: int) -> None:
    """The batch's counts: its closing journal entry (a batch that changed nothing has none, and nothing to undo)."""
    batch.created, batch.updated = created, updated
    session.add(batch)
    session.flush()
    session.info.pop("import_batch_id", None)


def batch_object(batch) -> dict:
    from salescrm.store.columns import iso

    return {"batch": batch.id, "at": iso(batch.at), "by": batch.by, "file": batch.file, "record_type": batch.record_type,
            "created": batch.created, "updated": batch.updated}


def list_batches(session: Session) -> list:
    from salescrm.store.models import ImportBatch

    return list(session.exec(select(ImportBatch).order_by(ImportBatch.id)).all())


# --- Undo -----------------------------------------------------------------------------------------


def _range(session: Session, batch_id: int) -> tuple[int, int]:
    from salescrm.store.models import JournalEntry as J

    seqs = session.connection().execute(
        sa.select(sa.func.min(J.seq), sa.func.max(J.seq)).where(J.record_type == "import_batch", J.record_id == batch_id)).one()
    return seqs[0], seqs[1]


def _entries(session: Session, low: int, high: int) -> list[tuple[int, str, int, str]]:
    from salescrm.store.models import JournalEntry as J

    return [tuple(r) for r in session.connection().execute(
        sa.select(J.seq, J.record_type, J.record_id, J.action).where(J.seq > low, J.seq < high).order_by(J.seq))]


@dataclass
class Undone:
    batch: object  # the ImportBatch, marked undone
    removed: dict[str, int]  # record type -> how many records the batch created were removed (a contact import's new companies too)


def undo(session: Session, batch_id: int) -> Undone:
    from salescrm.store.models import ImportBatch

    batch = session.get(ImportBatch, batch_id, with_for_update=True)
    if batch is None:
        raise NotFound(f"No import batch {batch_id}: `salescrm import list` shows the batches.")
    if batch.undone_at is not None:
        raise Refused(f"Import batch {batch_id} was already undone ({batch.undone_at:%Y-%m-%d %H:%M} UTC by {batch.undone_by}).")
    low, high = _range(session, batch_id)
    entries = _entries(session, low, high)
    created = {(t, i) for _, t, i, a in entries if a == "insert"}
    touched = {(t, i) for _, t, i, _ in entries if i is not None and t != "import_batch"}
    _refuse_if_changed(session, batch_id, high, touched, created)
    batch.undone_at = utcnow()  # the undo's first entry ...
    session.add(batch)
    session.flush()
    for seq, record_type, record_id, action in reversed(entries):
        if action == "update" and (record_type, record_id) not in created:
            _restore(session, seq, record_type, record_id)
    _remove(session, created)
    batch.undone_by = actor_of(session)  # ... and its last: between them, what it reversed
    session.add(batch)
    session.flush()
    removed: dict[str, int] = {}
    for record_type, _ in created:
        removed[record_type] = removed.get(record_type, 0) + 1
    return Undone(batch, removed)


def _reversed_ranges(session: Session, batch_id: int) -> list[tuple[int, int]]:
    """The journal ranges of the other batches that were undone, and of their undos: a change there was
    reversed, so it does not keep this batch from being undone. A batch's entries on itself are its insert,
    its counts (when it changed anything), and its undo's first and last."""
    from salescrm.store.models import ImportBatch, JournalEntry as J

    undone = [i for (i,) in session.connection().execute(
        sa.select(ImportBatch.id).where(ImportBatch.undone_at.is_not(None), ImportBatch.id != batch_id))]
    if not undone:
        return []
    seqs: dict[int, list[int]] = {}
    for record_id, seq in session.connection().execute(
            sa.select(J.record_id, J.seq).where(J.record_type == "import_batch", J.record_id.in_(undone)).order_by(J.seq)):
        seqs.setdefault(record_id, []).append(seq)
    ranges = []
    for found in seqs.values():
        if len(found) >= 3:
            ranges.append((found[-2], found[-1]))
            ranges.append((found[0], found[-3]))
    return ranges


def _refuse_if_changed(session: Session, batch_id: int, high: int, touched: set, created: set) -> None:
    from salescrm.store.models import Activity, ContactCompany, Deal, DealContact, JournalEntry as J, Task

    changed: list[str] = []
    by_type: dict[str, set[int]] = {}
    for record_type, record_id in touched:
        by_type.setdefault(record_type, set()).add(record_id)
    conn = session.connection()
    reversed_ = _reversed_ranges(session, batch_id)
    for record_type, ids in by_type.items():
        rows = conn.execute(sa.select(J.record_id, J.seq, J.actor, J.command).where(
            J.seq > high, J.record_type == record_type, J.record_id.in_(sorted(ids))).order_by(J.seq))
        seen = set()
        for record_id, seq, actor, command in rows:
            if any(low <= seq <= top for low, top in reversed_):
                continue
            if record_id not in seen:
                seen.add(record_id)
                changed.append(f"{record_type} {record_id} (journal entry {seq}, by {actor}: {command})")
    made = {t: {i for tt, i in created if tt == t} for t in ("company", "contact", "deal")}
    links = [
        (Deal.id, Deal.company_id, "company", "deal"), (ContactCompany.contact_id, ContactCompany.company_id, "company", "contact"),
        (DealContact.deal_id, DealContact.contact_id, "contact", "deal"),
        (Activity.id, Activity.company_id, "company", "activity"), (Activity.id, Activity.contact_id, "contact", "activity"),
        (Activity.id, Activity.deal_id, "deal", "activity"), (Task.id, Task.company_id, "company", "task"),
        (Task.id, Task.contact_id, "contact", "task"), (Task.id, Task.deal_id, "deal", "task"),
    ]
    for own, target, target_type, own_type in links:
        ids = made.get(target_type)
        if not ids:
            continue
        for record_id, linked in conn.execute(sa.select(own, target).where(target.in_(sorted(ids)))):
            if (own_type, record_id) not in created and (own_type, record_id) not in touched:
                changed.append(f"{own_type} {record_id} (links to {target_type} {linked}, which the batch created)")
    if changed:
        shown = changed[:_SHOWN] + ([f"... and {len(changed) - _SHOWN} more"] if len(changed) > _SHOWN else [])
        raise Refused(f"Import batch {batch_id} cannot be undone: records it touched have changed since:\n  "
                      + "\n  ".join(shown) + "\nUndo those changes first, or edit the records by hand.")


def _restore(session: Session, seq: int, record_type: str, record_id: int) -> None:
    """The values before journal entry `seq` on that record."""
    from salescrm.store.journal import _RECORDS
    from salescrm.store.journal_chain import unseal
    from salescrm.store.models import ContactCompany, DealContact, GateValue, JournalField as F

    model = next(m for m, (t, _, _) in _RECORDS.items() if t == record_type)
    record = session.get(model, record_id)
    if record is None:
        return
    columns = {name: (attr, convert) for attr, (name, convert) in _RECORDS[model][2].items()}
    for field, old_value, new_value in session.connection().execute(
            sa.select(F.field, F.old_value, F.new_value).where(F.seq == seq)):
        old, new = unseal(old_value), unseal(new_value)
        if field in columns:
            attr, convert = columns[field]
            setattr(record, attr, _stored(session, getattr(type(record), attr), convert, old))
        elif field.startswith(("gates.", "properties.")):
            from salescrm.store.models import CompanyProperty, ContactProperty

            part = GateValue if field.startswith("gates.") else CompanyProperty if record_type == "company" else ContactProperty
            value = session.get(part, (record_id, field.split(".", 1)[1]))
            if old is None and value is not None:
                session.delete(value)
            elif value is not None:
                value.value = old
        elif field in ("companies", "contacts"):
            link = (ContactCompany, (record_id, new)) if field == "companies" else (DealContact, (record_id, new))
            if new is not None:
                found = session.get(*link)
                if found is not None:
                    session.delete(found)
    if hasattr(record, "name_key") and hasattr(record, "name"):
        from salescrm.domain.naming import name_key

        record.name_key = name_key(record.name)
    if hasattr(record, "brand_key"):
        from salescrm.legalforms import brand_key

        record.brand_key = brand_key(record.name)
    if hasattr(record, "email_key"):
        record.email_key = record.email.lower() if record.email else None
    if hasattr(record, "version"):
        from salescrm.domain.records import touch

        touch(session, record)  # a new version: a form opened before the undo is stale
    session.add(record)
    session.flush()


def _stored(session: Session, column, convert, value):
    """A journal value back in its column's form (amounts in cents, owners by id, dates and times)."""
    if value is None:
        return None
    if convert == "owner":
        from salescrm.store.models import TeamMember

        return session.exec(select(TeamMember.id).where(TeamMember.name == value)).first()
    name = column.property.columns[0].name
    if name == "amount_cents":
        return int(Decimal(str(value)) * 100)
    python_type = getattr(column.property.columns[0].type, "python_type", None)
    if python_type is date and isinstance(value, str):
        return date.fromisoformat(value)
    if python_type is datetime and isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def _remove(session: Session, created: set) -> None:
    """The records the batch created, dependants first."""
    from salescrm.store.models import (
        Activity, Company, Contact, ContactCompany, Deal, DealContact, DistinctCompanies, GateValue, StageChange, Task)

    ids = {t: sorted(i for tt, i in created if tt == t) for t in ("task", "activity", "deal", "contact", "company")}
    for model, key in ((Task, "task"), (Activity, "activity")):
        for record in session.exec(select(model).where(model.id.in_(ids[key]))).all():
            session.delete(record)
    session.flush()
    if ids["deal"]:
        for model in (GateValue, DealContact):
            for record in session.exec(select(model).where(model.deal_id.in_(ids["deal"]))).all():
                session.delete(record)
        session.flush()
        session.connection().execute(sa.delete(StageChange.__table__).where(StageChange.deal_id.in_(ids["deal"])))
    for model, key in ((Deal, "deal"),):
        for record in session.exec(select(model).where(model.id.in_(ids[key]))).all():
            session.delete(record)
    session.flush()
    from salescrm.store.models import CompanyProperty, ContactProperty

    for model, column, key in ((ContactProperty, ContactProperty.contact_id, "contact"),
                               (CompanyProperty, CompanyProperty.company_id, "company")):
        if ids[key]:
            session.connection().execute(sa.delete(model.__table__).where(column.in_(ids[key])))
    if ids["contact"]:
        for record in session.exec(select(ContactCompany).where(ContactCompany.contact_id.in_(ids["contact"]))).all():
            session.delete(record)
        session.flush()
        for record in session.exec(select(Contact).where(Contact.id.in_(ids["contact"]))).all():
            session.delete(record)
        session.flush()
    if ids["company"]:
        for record in session.exec(select(DistinctCompanies).where(sa.or_(
                DistinctCompanies.company_id.in_(ids["company"]), DistinctCompanies.other_company_id.in_(ids["company"])))).all():
            session.delete(record)
        session.flush()
        for record in session.exec(select(Company).where(Company.id.in_(ids["company"]))).all():
            session.delete(record)
        session.flush()
