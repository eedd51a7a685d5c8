"""Alembic, driven from the package: imported only when the schema has to change."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa


def config(connection=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "salescrm.store:migrations")
    cfg.attributes["connection"] = connection
    return cfg


# Serialises concurrent first uses of one PostgreSQL database (pg_advisory_xact_lock takes any number).
_MIGRATION_LOCK = 73_009_001


def upgrade(engine: sa.Engine, revision: str = "head", process: str | None = None) -> str | None:
    """Apply pending migrations in one transaction, one process at a time; return the revision found
    once this process had the database to itself (None: it created the schema).

    `process`: the shipped process a database created here is bound to (migration 0007; default
    sp-009-001). A database that existed is bound to sp-009-001 whatever is asked.

    On SQLite the transaction begins IMMEDIATE (store/sqlite_connections.py); on PostgreSQL an advisory lock
    makes a second process wait, after which Alembic finds the schema current and does nothing.
    """
    from alembic import command

    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, False)
        try:
            with connection.execution_options(salescrm_write=True).begin():
                if not sqlite:
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
                found = _revision(connection)
                cfg = config(connection)
                cfg.attributes.update(found=found, process=process)
                command.upgrade(cfg, revision)
                if sqlite:
                    _check_foreign_keys(connection)
                    from salescrm.store.backup import record_pending

                    record_pending(connection, Path(connection.engine.url.database))  # the copy made before
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, True)
    return found


def _revision(connection: sa.Connection) -> str | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def _sqlite_foreign_keys(connection: sa.Connection, on: bool) -> None:
    """Batch mode copies a table, drops the original and renames the copy: with enforcement on, the
    drop would cascade to the rows that reference it. The pragma only takes effect outside a transaction,
    so it is set on the driver's connection, around the migration's transaction."""
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _check_foreign_keys(connection: sa.Connection) -> None:
    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise RuntimeError(f"The migration left {len(problems)} broken references, first: {problems[0]}; nothing was changed.")


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config()).get_current_head()
