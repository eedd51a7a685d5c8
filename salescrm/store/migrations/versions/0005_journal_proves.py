"""the journal proves what it claims: chain v2, a database id, TRUNCATE refused, a baseline

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

- Chain v2 (store/journal_chain.py): each journal row gains `version` (1 for every row written
  before), a `salt`, and the `command_digest` and `reason_digest` that the hash covers instead of
  the plain command and reason. The journal's update trigger now also lets an erasure blank a v2
  row's command (to '') or reason (to NULL); nothing else may change.
- The database's id, a UUID in `setting` (`database_id`), which `journal anchor` writes beside the
  head it records. A new database gets one here too, as it is created by these migrations.
- On PostgreSQL, TRUNCATE of journal, journal_field and journal_head is refused by a
  statement-level trigger (row triggers do not see TRUNCATE).
- One `baseline` journal entry for each record the journal does not explain: every record of a
  file upgraded from 0001, whose journal began empty, and the fields that later revisions added
  (a deal's currency). From here on `db check` reconciles every record with the journal
  (store/reconcile.py), and this entry is what the records were at the upgrade.

The baseline reads only the columns the database has, so that a later revision's columns do not
break this migration on an older file.
"""

import uuid

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

APPEND_ONLY = "the journal is append-only"
JOURNAL_TABLES = ("journal", "journal_field", "journal_head")

# The columns of a journal row that never change once written; command and reason may be erased
# on a v2 row (its digests stay, so that the chain holds).
_FIXED = ("seq", "at", "actor", "record_type", "record_id", "action", "prev_hash", "hash", "version", "salt",
          "command_digest", "reason_digest")
SQLITE_NO_UPDATE = (
    "CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal WHEN "
    + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FIXED)
    + " OR (NEW.command IS NOT OLD.command AND (NEW.command IS NOT '' OR OLD.command_digest IS NULL))"
    + " OR (NEW.reason IS NOT OLD.reason AND (NEW.reason IS NOT NULL OR OLD.reason_digest IS NULL))"
    + f" BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
)
SQLITE_NO_UPDATE_V1 = (
    f"CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
)

POSTGRESQL_APPEND_ONLY = f"""CREATE OR REPLACE FUNCTION salescrm_journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE'
        AND (to_jsonb(NEW) - 'command' - 'reason') = (to_jsonb(OLD) - 'command' - 'reason')
        AND (NEW.command IS NOT DISTINCT FROM OLD.command OR (NEW.command = '' AND OLD.command_digest IS NOT NULL))
        AND (NEW.reason IS NOT DISTINCT FROM OLD.reason OR (NEW.reason IS NULL AND OLD.reason_digest IS NOT NULL))
      THEN RETURN NEW;
      END IF;
      RAISE EXCEPTION '{APPEND_ONLY}';
    END $$"""
POSTGRESQL_APPEND_ONLY_V1 = f"""CREATE OR REPLACE FUNCTION salescrm_journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"""
POSTGRESQL_NO_TRUNCATE = [
    f"""CREATE FUNCTION salescrm_journal_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$""",
    *(f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION salescrm_journal_no_truncate()""" for table in JOURNAL_TABLES),
]


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('salt', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('command_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('reason_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    if bind.dialect.name == "postgresql":
        op.execute(POSTGRESQL_APPEND_ONLY)
        for statement in POSTGRESQL_NO_TRUNCATE:
            op.execute(statement)
    else:
        op.execute("DROP TRIGGER journal_no_update")
        op.execute(SQLITE_NO_UPDATE)
    bind.execute(
        sa.text("INSERT INTO setting (key, value) SELECT 'database_id', :id "
                "WHERE NOT EXISTS (SELECT 1 FROM setting WHERE key = 'database_id')"),
        {"id": str(uuid.uuid4())},
    )
    _baseline(bind)


def _baseline(bind) -> None:
    from salescrm.store.actors import current_user  # the store's, as all a migration imports (tests/test_architecture.py)
    from salescrm.store.reconcile_baseline import write_baseline

    write_baseline(bind, {
        "actor": current_user(),
        "command": "salescrm (schema upgrade to revision 0005)",
        "reason": "Baseline: the records as they were when the journal began to be reconciled with them",
    })


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in JOURNAL_TABLES:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION salescrm_journal_no_truncate()")
        op.execute(POSTGRESQL_APPEND_ONLY_V1)
    else:
        op.execute("DROP TRIGGER journal_no_update")
        op.execute(SQLITE_NO_UPDATE_V1)
    op.execute("DELETE FROM setting WHERE key = 'database_id'")
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.drop_column('reason_digest')
        batch_op.drop_column('command_digest')
        batch_op.drop_column('salt')
        batch_op.drop_column('version')
