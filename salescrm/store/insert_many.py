"""Many rows into one table in one DBAPI `executemany`: what `conn.execute(insert(table), rows)` does, without
SQLAlchemy compiling each row's parameters (construct_params costs about as much as SQLite's own insert).

Each value goes through its column type's bind processor, as Core's execution would pass it (times as the
backend stores them, store/columns.py), so the rows stored are the same. Rows may leave out columns: the
statement names the columns any row gives, and a row's missing value is NULL, as Core's default would be
for a column without one (callers give every column that has a default).
"""

from __future__ import annotations

from operator import itemgetter

import sqlalchemy as sa


def insert_many(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    if not rows:
        return
    given = set().union(*rows) if len(rows) > 1 else set(rows[0])
    columns = [c for c in table.columns if c.key in given]
    dialect = conn.dialect
    preparer = dialect.identifier_preparer
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO {preparer.format_table(table)} ({', '.join(preparer.quote(c.name) for c in columns)}) "
           f"VALUES ({', '.join([mark] * len(columns))})")
    processors = [(i, p) for i, p in enumerate(c.type._cached_bind_processor(dialect) for c in columns) if p is not None]
    keys = [c.key for c in columns]
    if all(len(row) == len(keys) for row in rows) and len(given) == len(keys):  # every row gives every column
        get = itemgetter(*keys) if len(keys) > 1 else (lambda row, key=keys[0]: (row[key],))
        params = [get(row) for row in rows]
    else:
        params = [tuple(row.get(k) for k in keys) for row in rows]
    if processors:  # each distinct value processed once (the rows of a lot share their times)
        memo = [(i, p, {}) for i, p in processors]
        params = [_processed(values, memo) for values in params]
    conn.exec_driver_sql(sql, params)


def _processed(values: tuple, processors: list) -> tuple:
    values = list(values)
    for i, process, seen in processors:
        value = values[i]
        try:
            found = seen.get(value, _MISSING)
        except TypeError:  # unhashable (a JSON value): processed each time
            values[i] = process(value)
            continue
        if found is _MISSING:
            found = seen[value] = process(value)
        values[i] = found
    return tuple(values)


_MISSING = object()
