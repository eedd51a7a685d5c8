"""Company and contact properties: the values the database's process declares on those records (issue 12:
Health Prime's "# of Providers" on the company, or on a contact). Set with `company edit --set KEY=VALUE`
and `contact edit --set KEY=VALUE`, each parsed by its declared type (domain/property_values.py) and
journaled as the record's `properties.KEY`. An empty value clears a property. A deal's properties are
its gate values (domain/gates.py), set with `deal edit --set`.
"""

from __future__ import annotations

from sqlmodel import Session

from salescrm.errors import InvalidValue
from salescrm.process.model import Process

RECORDS = ("company", "contact")


def parse_assignments(proc: Process, record: str, assignments: list[str]) -> dict[str, str | None]:
    """`--set KEY=VALUE` items as {key: stored value}, None to clear; InvalidValue naming the keys or choices."""
    from salescrm.domain.property_values import parse_property

    declared = {p.key: p for p in proc.properties_of(record)}
    values: dict[str, str | None] = {}
    for item in assignments:
        key, equals, raw = str(item).partition("=")
        key = key.strip()
        if not declared:
            raise InvalidValue(f"The process {proc.name} declares no {record} properties, so a {record} takes no --set.")
        if not equals or not key:
            raise InvalidValue(f"--set '{item}' is not KEY=VALUE: e.g. --set {next(iter(declared))}=...")
        if key not in declared:
            raise InvalidValue(f"'{key}' is not a {record} property of the process {proc.name}: give one of "
                               f"{', '.join(declared)}.")
        values[key] = parse_property(declared[key], raw) if raw.strip() else None
    return values


def _model(record: str):
    from salescrm.store.models import CompanyProperty, ContactProperty

    return {"company": (CompanyProperty, "company_id"), "contact": (ContactProperty, "contact_id")}[record]


def store(session: Session, record: str, record_id: int, values: dict[str, str | None]) -> None:
    """Set (or, for None, clear) the record's properties, with their setter and time."""
    from salescrm.store.actors import actor_of
    from salescrm.store.columns import utcnow

    model, id_field = _model(record)
    for key, value in values.items():
        existing = session.get(model, (record_id, key))
        if value is None:
            if existing is not None:
                session.delete(existing)
        elif existing is None:
            session.add(model(**{id_field: record_id}, key=key, value=value, set_by=actor_of(session)))
        elif existing.value != value:
            existing.value, existing.set_at, existing.set_by = value, utcnow(), actor_of(session)
            session.add(existing)
    session.flush()


def values_of(session: Session, record: str, record_id: int, proc: Process | None = None) -> dict[str, str]:
    """The record's properties that have a value, in the order the process declares them (others after)."""
    return values_of_many(session, record, [record_id], proc).get(record_id, {})


def values_of_many(session: Session, record: str, record_ids: list[int], proc: Process | None = None) -> dict[int, dict[str, str]]:
    """`values_of` for many records, 500 to a query: record id -> its properties (records without any are left out)."""
    import sqlalchemy as sa

    model, id_field = _model(record)
    table = model.__table__
    order = {p.key: i for i, p in enumerate(proc.properties_of(record))} if proc is not None else {}
    found: dict[int, dict[str, str]] = {}
    for start in range(0, len(record_ids), 500):
        for record_id, key, value in session.connection().execute(
                sa.select(table.c[id_field], table.c.key, table.c.value).where(table.c[id_field].in_(record_ids[start:start + 500]))):
            found.setdefault(record_id, {})[key] = value
    return {record_id: {k: values[k] for k in sorted(values, key=lambda k: (order.get(k, len(order)), k))}
            for record_id, values in found.items()}
