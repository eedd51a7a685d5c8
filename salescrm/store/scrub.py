"""After an erasure is committed, the erased bytes leave the database (domain/erasure.py changes the rows).

SQLite: the erasure's own transaction ran with `secure_delete` (what it freed was zeroed), but free space
that earlier changes left in the file may still hold old copies of a row, and the write-ahead log holds the
pages as they were. So the file is rebuilt (`VACUUM`, with `secure_delete` on) and the log checkpointed and
truncated (`wal_checkpoint(TRUNCATE)`). A reader that keeps an old snapshot open prevents the truncation:
then the caller is told, with the command that finishes the job once that reader has gone.

PostgreSQL: `VACUUM` of the touched tables, so that the dead row versions are removed from the tables'
pages. It cannot reach what PostgreSQL keeps elsewhere: WAL segments and base backups (and any replica's
copies) keep the old row images until they expire (docs/privacy.md).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def finish_sqlite(path: Path) -> str | None:
    """Rebuild the file and empty its log; None when done, else what remains to do (a sentence)."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute("VACUUM")
        busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error as e:
        return f"the file could not be rebuilt ({e}), so freed pages may still hold erased values; {_finish(path)}"
    finally:
        conn.close()
    if busy:
        return f"another program is reading the database, so its write-ahead log still holds erased values; {_finish(path)}"
    return None


def _finish(path: Path) -> str:
    import shlex

    quoted = shlex.quote(str(path))
    return (f"once it has closed the database, run: sqlite3 {quoted} 'PRAGMA secure_delete=ON; VACUUM; "
            "PRAGMA wal_checkpoint(TRUNCATE);'")


def vacuum_postgresql(engine, tables: tuple[str, ...]) -> str | None:
    """VACUUM each table (outside a transaction); None when done, else what went wrong (a sentence)."""
    import sqlalchemy as sa

    names = ", ".join(tables)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            others = conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND "
                                          "tablename IN :names AND tableowner <> current_user ORDER BY tablename")
                                  .bindparams(sa.bindparam("names", expanding=True)), {"names": list(tables)}).scalars().all()
            if others:  # PostgreSQL would skip them with a warning only
                return (f"this role does not own {', '.join(others)}, which PostgreSQL vacuums for their owner only, so "
                        f"their pages may still hold erased row versions; the database owner finishes the job with: "
                        f"VACUUM {names}")
            conn.exec_driver_sql(f"VACUUM {names}")  # salescrm's own table names
    except sa.exc.DBAPIError as e:
        first = str(e.orig).strip().splitlines()[0] if str(e.orig).strip() else type(e.orig).__name__
        return (f"VACUUM failed ({first}), so the tables' pages may still hold erased row versions until "
                f"PostgreSQL reuses them; the database owner finishes the job with: VACUUM {names}")
    return None
