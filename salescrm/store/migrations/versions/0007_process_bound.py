"""process bound: a database follows one process file, kept in a ledger of its revisions

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

A database is bound to one process (issue 12): `process_revision` keeps each revision applied to it,
the whole TOML file with its digest, why and by whom; its latest row is the database's process. Like the
consent ledger its rows are never updated nor deleted (triggers). This migration binds a database that
existed before to the shipped sp-009-001, which every database made by the released schema followed, by
inserting that file's text as the first row (reason "bound at upgrade to schema 0007"), and changes no
other record. A database this migration creates is bound to the process it was created with
(`salescrm init --process NAME`, sp-009-001 by default).

Every stage change records the revision that allowed it (NULL for the moves made before), the import
batch that made it, and whether it backed out a won deal. Companies and contacts get the properties a
process declares on them (a deal's stay in `gate_value`); `salescrm import` records its batches, and the
records it brings keep their id in the system they came from, unique per system.
"""

from alembic import context, op
import sqlalchemy as sa
import sqlmodel


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

DEFAULT_PROCESS = "sp-009-001"
BOUND_AT_UPGRADE = "bound at upgrade to schema 0007"
CHOSEN_AT_CREATION = "chosen when the database was created"

LEDGER = "process_revision is a ledger: a revision is never changed or removed; apply a new one instead"

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER process_revision_no_update BEFORE UPDATE ON process_revision BEGIN SELECT RAISE(ABORT, '{LEDGER}'); END",
    f"CREATE TRIGGER process_revision_no_delete BEFORE DELETE ON process_revision BEGIN SELECT RAISE(ABORT, '{LEDGER}'); END",
]
POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION salescrm_process_revision_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{LEDGER}'; END $$""",
    """CREATE TRIGGER process_revision_ledger BEFORE UPDATE OR DELETE ON process_revision
    FOR EACH ROW EXECUTE FUNCTION salescrm_process_revision_ledger()""",
    """CREATE TRIGGER process_revision_no_truncate BEFORE TRUNCATE ON process_revision
    FOR EACH STATEMENT EXECUTE FUNCTION salescrm_process_revision_ledger()""",
]


def upgrade() -> None:
    process_revision = op.create_table('process_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('revision', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('applied_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_revision'))
    )
    op.create_table('import_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('file', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('record_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('source_system', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('undone_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch'))
    )
    for record in ('company', 'contact'):
        op.create_table(f'{record}_property',
        sa.Column(f'{record}_id', sa.Integer(), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('set_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint([f'{record}_id'], [f'{record}.id'], name=op.f(f'fk_{record}_property_{record}_id_{record}')),
        sa.PrimaryKeyConstraint(f'{record}_id', 'key', name=op.f(f'pk_{record}_property'))
        )

    with op.batch_alter_table('stage_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('process_revision_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('import_batch_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('backout', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_foreign_key(batch_op.f('fk_stage_change_process_revision_id_process_revision'),
                                    'process_revision', ['process_revision_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_stage_change_import_batch_id_import_batch'),
                                    'import_batch', ['import_batch_id'], ['id'])
    for table in ('company', 'contact', 'deal'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
            batch_op.add_column(sa.Column('source_system', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
            if table == 'deal':
                batch_op.add_column(sa.Column('source_name', sqlmodel.sql.sqltypes.AutoString(length=700), nullable=True))
            batch_op.create_index(f'uq_{table}_source_external_id', ['source_system', 'external_id'], unique=True)

    for statement in POSTGRESQL_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)
    op.bulk_insert(process_revision, [_first_revision()])


def _first_revision() -> dict:
    """The first row: the shipped sp-009-001 for a database that existed before (every database the
    released schema made followed it), else the process the database is being created with."""
    import hashlib
    from datetime import datetime, timezone

    from salescrm.process import load
    from salescrm.store.actors import current_user

    attributes = context.config.attributes
    created = attributes.get("found", "0006") is None  # store/migrate.py: the revision found, None for a new schema
    name = (attributes.get("process") or DEFAULT_PROCESS) if created else DEFAULT_PROCESS
    text = load.shipped_text(name)
    process = load.shipped(name)
    return {
        "name": process.name, "revision": str(process.revision), "body": text,
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "reason": CHOSEN_AT_CREATION if created else BOUND_AT_UPGRADE,
        "applied_by": current_user(), "applied_at": datetime.now(timezone.utc),
    }


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER process_revision_no_truncate ON process_revision")
        op.execute("DROP TRIGGER process_revision_ledger ON process_revision")
        op.execute("DROP FUNCTION salescrm_process_revision_ledger()")
    for table in ('deal', 'contact', 'company'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'uq_{table}_source_external_id')
            if table == 'deal':
                batch_op.drop_column('source_name')
            batch_op.drop_column('source_system')
            batch_op.drop_column('external_id')
    with op.batch_alter_table('stage_change', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_stage_change_import_batch_id_import_batch'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_stage_change_process_revision_id_process_revision'), type_='foreignkey')
        batch_op.drop_column('backout')
        batch_op.drop_column('import_batch_id')
        batch_op.drop_column('process_revision_id')
    op.drop_table('contact_property')
    op.drop_table('company_property')
    op.drop_table('import_batch')
    op.drop_table('process_revision')
