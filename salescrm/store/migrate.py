"""Alembic, driven from the package: imported only when the schema has to change."""

from __future__ import annotations

import sqlalchemy as sa


def config(connection=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "salescrm.store:migrations")
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Apply pending migrations in one transaction."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(config(connection), revision)


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config()).get_current_head()
