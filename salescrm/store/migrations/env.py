"""Alembic environment: runs on the connection salescrm hands over, in its transaction."""

from alembic import context

from sqlmodel import SQLModel

from salescrm.store import models

models.declare_partial_indexes()

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("salescrm runs its migrations itself: use `salescrm db upgrade`.")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    transactional_ddl=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
