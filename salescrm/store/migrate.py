"""Alembic, driven from the package: imported only when the schema has to change."""

from __future__ import annotations

import sqlalchemy as sa


def config(connection=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "salescrm.store:migrations")
    cfg.attributes["connection"] = connection
    return cfg


# Serialises concurrent first uses of one PostgreSQL database (pg_advisory_xact_lock takes any number).
_MIGRATION_LOCK = 73_009_001


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Apply pending migrations in one transaction, one process at a time.

    On SQLite the transaction begins IMMEDIATE (store.engine); on PostgreSQL an advisory lock
    makes a second process wait, after which Alembic finds the schema current and does nothing.
    """
    from alembic import command

    with engine.execution_options(salescrm_write=True).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        command.upgrade(config(connection), revision)


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config()).get_current_head()
