"""Many rows into one table in one DBAPI `executemany`: what `conn.execute(insert(table), rows)` does, without
SQLAlchemy compiling each row's parameters (construct_params costs about as much as SQLite's own insert).

Each value goes through its column type's bind processor, as Core's execution would pass it (times as the
backend stores them, store/columns.py), so the rows stored are the same. Rows may leave out columns: the
statement names the columns any row gives, and a row's missing value is NULL, as Core's default would be
for a column without one (callers give every column that has a default).
"""

from __future__ import annotations

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
    processors = [c.type._cached_bind_processor(dialect) for c in columns]
    keys = [c.key for c in columns]
    if not any(processors):
        params = [tuple(row.get(k) for k in keys) for row in rows]
    else:
        params = [tuple(v if p is None else p(v) for p, v in zip(processors, (row.get(k) for k in keys))) for row in rows]
    conn.exec_driver_sql(sql, params)
