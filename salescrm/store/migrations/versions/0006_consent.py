"""consent: a contact's consent ledger, and the marketing exports that must honour it

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

A contact's consent for a purpose (marketing) is a ledger of events, granted or withdrawn, each with its
lawful basis, its source and the wording's version: never updated nor deleted (triggers, as the
journal's), so that the state at any date can be shown. `export contacts --for-marketing` records which
contacts each marketing export held, for the audit's `marketing-after-withdrawal`.
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

LEDGER = "consent_event is a ledger: its events are never changed or removed; record a new event instead"

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER consent_event_no_update BEFORE UPDATE ON consent_event BEGIN SELECT RAISE(ABORT, '{LEDGER}'); END",
    f"CREATE TRIGGER consent_event_no_delete BEFORE DELETE ON consent_event BEGIN SELECT RAISE(ABORT, '{LEDGER}'); END",
]
POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION salescrm_consent_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{LEDGER}'; END $$""",
    """CREATE TRIGGER consent_event_ledger BEFORE UPDATE OR DELETE ON consent_event
    FOR EACH ROW EXECUTE FUNCTION salescrm_consent_ledger()""",
    """CREATE TRIGGER consent_event_no_truncate BEFORE TRUNCATE ON consent_event
    FOR EACH STATEMENT EXECUTE FUNCTION salescrm_consent_ledger()""",
]


def upgrade() -> None:
    op.create_table('consent_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('basis', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('wording_version', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_consent_event_contact_id_contact')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_event'))
    )
    op.create_index(op.f('ix_consent_event_contact_id'), 'consent_event', ['contact_id'], unique=False)
    op.create_table('marketing_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('contacts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_export'))
    )
    op.create_table('marketing_export_contact',
    sa.Column('export_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_marketing_export_contact_contact_id_contact')),
    sa.ForeignKeyConstraint(['export_id'], ['marketing_export.id'], name=op.f('fk_marketing_export_contact_export_id_marketing_export')),
    sa.PrimaryKeyConstraint('export_id', 'contact_id', name=op.f('pk_marketing_export_contact'))
    )
    op.create_index(op.f('ix_marketing_export_contact_contact_id'), 'marketing_export_contact', ['contact_id'], unique=False)
    for statement in POSTGRESQL_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER consent_event_no_truncate ON consent_event")
        op.execute("DROP TRIGGER consent_event_ledger ON consent_event")
        op.execute("DROP FUNCTION salescrm_consent_ledger()")
    op.drop_index(op.f('ix_marketing_export_contact_contact_id'), table_name='marketing_export_contact')
    op.drop_table('marketing_export_contact')
    op.drop_table('marketing_export')
    op.drop_index(op.f('ix_consent_event_contact_id'), table_name='consent_event')
    op.drop_table('consent_event')
