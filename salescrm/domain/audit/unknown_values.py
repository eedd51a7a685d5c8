"""The check `unknown-value` (in `db check` and `audit`): every stored value salescrm does not know, from
the fields and references domain/known_values.py lists, named with its record, its field and the value."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session

from salescrm.domain.audit.base import CHUNK, ERROR, Finding
from salescrm.domain.known_values import KnownField, known_fields_of, references
from salescrm.store.models import Deal, GateValue, TeamMember

CHECK = "unknown-value"


@cache
def _owner():
    """The deal owner joined into the check's queries."""
    return aliased(TeamMember, name="known_owner")


def _a(what: str) -> str:
    return ("an " if what[0] in "aeiou" else "a ") + what


def _quoted(value) -> str:
    return "'" + str(value) + "'"


def unknown_values(session: Session, owner_id: int | None = None, deal_filter=()) -> Iterator:
    """Every stored value salescrm does not know, table by table (one scan each), records in id order. With `owner_id`
    (`audit --owner`), only those of that team member's deals; with `deal_filter` (`audit --pipeline`), only deals'."""
    conn = session.connection()
    tables: dict[sa.Table, list[KnownField]] = {}
    for f in known_fields_of(session):  # the fields of a table in one scan
        if (owner_id is None and not deal_filter) or f.record_type == "deal":
            tables.setdefault(f.column.table, []).append(f)
    for fields in tables.values():
        first = fields[0]
        stmt = _field_select(first, [f.column.label(f"v{i}") for i, f in enumerate(fields)])
        stmt = stmt.where(sa.or_(*(_unknown(f) for f in fields)))
        if owner_id is not None:
            stmt = stmt.where(Deal.owner_id == owner_id)
        stmt = stmt.where(*deal_filter) if first.record_type == "deal" else stmt
        for row in conn.execute(stmt.order_by(first.record_id).execution_options(yield_per=CHUNK)):
            for i, f in enumerate(fields):
                value = row._mapping[f"v{i}"]
                if value is None or value in f.known or (f.blank_is_missing and not value.strip()):
                    continue
                label = _record_label(f.record_type, row.record_id, row.record_name)
                yield Finding(CHECK, ERROR, f.record_type, row.record_id, row.record_name or label, row.owner,
                              f"{label}: {f.column.name} {_quoted(value)} is not {_a(f.what)} salescrm knows.",
                              f.fix(row.record_id) if f.fix else None)
    owner = _owner()
    for ref in references():
        target = aliased(ref.target)
        stmt = (sa.select(Deal.id.label("record_id"), Deal.name.label("record_name"), ref.column.label("value"),
                          owner.name.label("owner"))
                .select_from(Deal).outerjoin(owner, owner.id == Deal.owner_id)
                .outerjoin(target, target.id == ref.column).where(target.id.is_(None)))
        if owner_id is not None:
            stmt = stmt.where(Deal.owner_id == owner_id)
        stmt = stmt.where(*deal_filter)
        for row in conn.execute(stmt.order_by(Deal.id).execution_options(yield_per=CHUNK)):
            label = _record_label("deal", row.record_id, row.record_name)
            yield Finding(CHECK, ERROR, "deal", row.record_id, row.record_name, row.owner,
                          f"{label}: {ref.column.name} {row.value} is not a {ref.target.__tablename__.replace('_', ' ')} "
                          f"salescrm knows (its {ref.what} is missing).", ref.fix(row.record_id) if ref.fix else None)


def _unknown(f: KnownField):
    condition = sa.and_(f.column.is_not(None), f.column.not_in(f.known))
    return sa.and_(condition, sa.func.trim(f.column) != "") if f.blank_is_missing else condition


def _field_select(f: KnownField, values: list):
    table = f.column.table
    columns = [f.record_id.label("record_id"), *values]
    owner = _owner()
    if table is Deal.__table__:
        return sa.select(*columns, Deal.name.label("record_name"), owner.name.label("owner")) \
            .select_from(Deal).outerjoin(owner, owner.id == Deal.owner_id)
    if table is GateValue.__table__:
        return sa.select(*columns, Deal.name.label("record_name"), owner.name.label("owner")) \
            .select_from(GateValue).outerjoin(Deal, Deal.id == GateValue.deal_id) \
            .outerjoin(owner, owner.id == Deal.owner_id)
    name = (f.name if f.name is not None else sa.null()).label("record_name")
    return sa.select(*columns, name, sa.null().label("owner")).select_from(table)


def _record_label(record_type: str, record_id: int, name: str | None) -> str:
    label = f"{record_type[0].upper()}{record_type[1:]} {record_id}"
    return f"{label} '{name}'" if name else label
