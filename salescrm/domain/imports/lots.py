"""The pending records of an import's chunk (bulk.py), written as one lot: SQLAlchemy Core statements of the
whole lot, one per table (store/insert_many.py), and their journal entries in one append, the entries the
session's flush would have written. Should the database refuse the lot (a value it does not take), its
savepoint is rolled back and those rows run again one by one, so each gets its own result.
"""

from __future__ import annotations

import sqlalchemy as sa

from salescrm.domain.imports.bulk import Pending


def settle(imp, pending: list[Pending]) -> list[Pending]:
    """Write the pending records in one savepoint, as SQLAlchemy Core inserts of the whole lot (ids taken
    first: SQLite's next rowids under the write lock the transaction holds, PostgreSQL's sequence), and
    their journal entries in one append, the entries the session's flush would have written; give each
    result its id. The rows to run again one by one, when the database refused the lot."""
    from sqlalchemy import exc

    from salescrm.store import journal
    from salescrm.store.insert_many import insert_many
    from salescrm.store.models import ContactCompany

    if not pending:
        return []
    session = imp.session
    conn = session.connection()
    try:
        with conn.begin_nested():  # Core statements only: the connection's own savepoint
            changes = []
            for model in dict.fromkeys(p.model for p in pending):  # companies first, as they came
                lot = [p for p in pending if p.model is model]
                ids = _new_ids(conn, model.__table__, len(lot))
                defaults = {k: f() for k, f in _defaults(model).items()}  # one time for the lot
                rows = []
                for p, new_id in zip(lot, ids):
                    row = {**defaults, **p.record, "id": new_id}
                    rows.append(row)
                    p.record["id"] = new_id
                    changes.append(_inserted(model, row))
                insert_many(conn, model.__table__, rows)
            links = [{"contact_id": p.record["id"], "company_id": c.record["id"] if isinstance(c, Pending) else c.id}
                     for p in pending for c in p.companies]
            if links:
                insert_many(conn, ContactCompany.__table__, links)
                changes += [journal.Change("contact", link["contact_id"], "update", {"companies": (None, link["company_id"])})
                            for link in links]
            journal.append(conn, session.info, changes)
    except exc.IntegrityError:
        return pending
    for p in pending:
        p.result.record_id = p.record["id"]
    return []


def _new_ids(conn, table, count: int) -> list[int]:
    if conn.dialect.name == "postgresql":
        return sorted(conn.execute(sa.text(
            f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, :n)"), {"n": count}).scalars())
    top = conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar()
    return list(range(top + 1, top + 1 + count))


def _defaults(model) -> dict:
    """The model's field defaults (a value or a factory), as callables: what a new record takes unless given."""
    out = {}
    for name, info in model.model_fields.items():
        if name == "id" or name not in model.__table__.c:
            continue
        if info.default_factory is not None:
            out[name] = info.default_factory
        elif not info.is_required():
            out[name] = (lambda value: lambda: value)(info.default)
    return out


def _inserted(model, row: dict):
    """The journal's insert entry for a record written as `row`: the fields the session's flush would give
    (store/journal.py's `_RECORDS`), those that are set."""
    from salescrm.store import journal

    record_type, _, columns = journal._RECORDS[model]
    fields = {}
    for attr, (name, convert) in columns.items():
        value = row.get(attr)
        if value is not None and convert is not None:
            value = convert(value)
        if value is not None:
            fields[name] = (None, value)
    return journal.Change(record_type, row["id"], "insert", fields)
