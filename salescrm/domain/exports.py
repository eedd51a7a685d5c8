"""What `salescrm export` writes: every record of a kind, as its `--json` object, streamed in chunks.

The objects are the ones the list commands print with `--json` (`deal list --json`, ...), so an export
holds the same fields under the same names. For a flat file (CSV, a spreadsheet) `flat_row` turns one
into a row: a link to other records becomes their names or emails joined by "; ", each gate value
its own `gates.KEY` column, and each company or contact property the database's process declares its own
`properties.KEY` column. The columns of each kind are fixed here (`columns`), so that an empty export
still has its header and every row has the same cells.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlmodel import Session, select

from salescrm import process

KINDS = ("companies", "contacts", "deals", "activities", "tasks")
JOINED = "; "  # between the names or emails of a field that links several records
# Columns that follow from other data: written for people, and ignored when a file is imported back.
DERIVED = ("weighted_amount", "probability", "lifecycle_stage", "lead_status", "overdue")

_CHUNK = 500

_COLUMNS = {
    "companies": ("id", "name", "country", "website", "legal_name", "lead_status", "lead_status_set_by",
                  "lead_status_set_at", "contacts", "deals", "created_at", "updated_at"),
    "contacts": ("id", "first_name", "last_name", "job_title", "email", "phone", "channel", "search_engine", "keyword",
                 "source_page", "lifecycle_stage", "companies", "created_at", "updated_at"),
    "deals": ("id", "name", "stage", "pipeline", "country", "company", "company_id", "description", "amount", "currency",
              "weighted_amount", "probability", "close_date", "deal_class", "source", "owner", "owner_id", "contacts",
              "lost_reason_category", "lost_reason", "gates", "created_at", "updated_at"),
    "activities": ("id", "type", "direction", "at", "summary", "by", "contact", "company", "deal"),
    "tasks": ("id", "title", "due", "owner", "done", "closed_as", "deal", "company", "contact", "overdue"),
}


def property_keys(session: Session, kind: str) -> tuple[str, ...]:
    """The custom properties the database's process declares on companies or contacts (none for the other
    kinds): each is a `properties.KEY` column of a flat file, which `import` maps back."""
    record = {"companies": "company", "contacts": "contact"}.get(kind)
    if record is None:
        return ()
    from salescrm.process import bound

    return tuple(p.key for p in bound.of(session).properties_of(record))


def columns(kind: str, properties: tuple[str, ...] = ()) -> list[str]:
    """The header of a flat file of `kind`: the JSON keys, with `gates` as one `gates.KEY` per gate key, and
    one `properties.KEY` per property in `properties` (`property_keys`), after the record's own fields."""
    out: list[str] = []
    for key in _COLUMNS[kind]:
        out.extend(f"gates.{k}" for k in process.GATE_KEYS) if key == "gates" else out.append(key)
    at = out.index("created_at") if "created_at" in out else len(out)
    return out[:at] + [f"properties.{k}" for k in properties] + out[at:]


def flat_row(kind: str, obj: dict, properties: tuple[str, ...] = ()) -> list:
    """One object as the cells of `columns(kind, properties)`: numbers stay numbers, links become names or emails."""
    row = []
    for key in _COLUMNS[kind]:
        value = obj.get(key)
        if key == "created_at" and properties:
            row.extend((obj.get("properties") or {}).get(k) for k in properties)
        if key == "gates":
            row.extend((value or {}).get(k) for k in process.GATE_KEYS)
        else:
            row.append(_flat(value))
    if "created_at" not in _COLUMNS[kind]:
        row.extend((obj.get("properties") or {}).get(k) for k in properties)
    return row


def _flat(value):
    if isinstance(value, list):
        return JOINED.join(str(_flat(v)) for v in value) if value else None
    if isinstance(value, dict):  # a link: the contact's email, else the record's name
        return value.get("email") or value.get("name")
    return value


def records(session: Session, kind: str) -> Iterator[dict]:
    """Every record of `kind` as its `--json` object, read a chunk at a time (memory stays flat)."""
    return _READERS[kind](session)


def _deals(session: Session) -> Iterator[dict]:
    from salescrm.domain.views import DealFilter, iter_deal_objects

    return iter_deal_objects(session, DealFilter())


def _activities(session: Session) -> Iterator[dict]:
    from salescrm.domain.activities import ActivityFilter, iter_activity_objects

    return iter_activity_objects(session, ActivityFilter())


def _tasks(session: Session) -> Iterator[dict]:
    from salescrm.domain.tasks import TaskFilter, iter_task_objects

    return iter_task_objects(session, TaskFilter(include_done=True))


def _companies(session: Session) -> Iterator[dict]:
    from salescrm.domain.views import company_objects
    from salescrm.store.models import Company

    for chunk in _by_id(session, Company):
        yield from company_objects(session, chunk)


def _contacts(session: Session) -> Iterator[dict]:
    from salescrm.domain.views import contact_objects
    from salescrm.store.models import Contact

    for chunk in _by_id(session, Contact):
        yield from _with_properties(session, contact_objects(session, chunk))


def _with_properties(session: Session, objects: list[dict]) -> list[dict]:
    """Contacts' objects with their `properties` (as `contact show --json` has them), read for the chunk in
    one query, in the order the database's process declares them."""
    from salescrm.domain import properties
    from salescrm.process import bound

    found = properties.values_of_many(session, "contact", [o["id"] for o in objects], bound.of(session))
    for obj in objects:
        obj["properties"] = found.get(obj["id"], {})
    return objects


def _by_id(session: Session, model, *conditions) -> Iterator[list]:
    """The rows of `model` by id, a chunk at a time, each chunk let go of before the next is read."""
    last = 0
    while True:
        chunk = list(session.exec(select(model).where(model.id > last, *conditions).order_by(model.id).limit(_CHUNK)).all())
        if not chunk:
            return
        yield chunk
        last = chunk[-1].id
        for row in chunk:
            session.expunge(row)


def marketing_contacts(session: Session, exported: list[int]) -> Iterator[dict]:
    """The contacts whose latest marketing consent event grants it, as `records`; their ids go to `exported`."""
    from salescrm.domain import consent
    from salescrm.domain.views import contact_objects
    from salescrm.store.models import Contact

    for chunk in _by_id(session, Contact, consent.consented("marketing")):
        for obj in _with_properties(session, contact_objects(session, chunk)):
            exported.append(obj["id"])
            yield obj


def record_marketing_export(session: Session, contact_ids: list[int]) -> None:
    """Keep who exported which contacts for marketing, and when (the audit's `marketing-after-withdrawal`)."""
    from salescrm.store.actors import actor_of
    from salescrm.store.models import MarketingExport, MarketingExportContact

    export = MarketingExport(by=actor_of(session), reason=session.info.get("reason"), contacts=len(contact_ids))
    session.add(export)
    session.flush()
    session.add_all(MarketingExportContact(export_id=export.id, contact_id=i) for i in contact_ids)
    session.flush()


_READERS = {"companies": _companies, "contacts": _contacts, "deals": _deals, "activities": _activities, "tasks": _tasks}
