"""journal: the tamper-evident change journal

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
APPEND_ONLY = "the journal is append-only"
ERASE_ONLY = "journal values can only be erased (set to NULL)"

# The database refuses to change the journal, whatever client writes: no DELETE, no UPDATE of an
# entry, and on a field only the erasure of a stored value (its digest stays, so the chain holds).
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END",
    f"CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END",
    f"CREATE TRIGGER journal_field_no_delete BEFORE DELETE ON journal_field BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END",
    f"""CREATE TRIGGER journal_field_erase_only BEFORE UPDATE ON journal_field
    WHEN NEW.seq IS NOT OLD.seq OR NEW.field IS NOT OLD.field
      OR NEW.old_digest IS NOT OLD.old_digest OR NEW.new_digest IS NOT OLD.new_digest
      OR (NEW.old_value IS NOT OLD.old_value AND NEW.old_value IS NOT NULL)
      OR (NEW.new_value IS NOT OLD.new_value AND NEW.new_value IS NOT NULL)
    BEGIN SELECT RAISE(ABORT, '{ERASE_ONLY}'); END""",
]

POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION salescrm_journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$""",
    """CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION salescrm_journal_append_only()""",
    f"""CREATE FUNCTION salescrm_journal_field_erase_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN RAISE EXCEPTION '{APPEND_ONLY}'; END IF;
      IF NEW.seq IS DISTINCT FROM OLD.seq OR NEW.field IS DISTINCT FROM OLD.field
        OR NEW.old_digest IS DISTINCT FROM OLD.old_digest OR NEW.new_digest IS DISTINCT FROM OLD.new_digest
        OR (NEW.old_value IS DISTINCT FROM OLD.old_value AND NEW.old_value IS NOT NULL)
        OR (NEW.new_value IS DISTINCT FROM OLD.new_value AND NEW.new_value IS NOT NULL)
      THEN RAISE EXCEPTION '{ERASE_ONLY}';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER journal_field_erase_only BEFORE UPDATE OR DELETE ON journal_field
    FOR EACH ROW EXECUTE FUNCTION salescrm_journal_field_erase_only()""",
]


def upgrade() -> None:
    op.create_table('journal',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('command', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('record_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_journal'))
    )
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.create_index('ix_journal_record', ['record_type', 'record_id'], unique=False)

    op.create_table('journal_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_head'))
    )
    op.create_table('journal_field',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('old_value', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('new_value', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('old_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('new_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.ForeignKeyConstraint(['seq'], ['journal.seq'], name=op.f('fk_journal_field_seq_journal')),
    sa.PrimaryKeyConstraint('seq', 'field', name=op.f('pk_journal_field'))
    )
    op.execute("INSERT INTO journal_head (id, seq, hash) VALUES (1, 0, '" + GENESIS + "')")
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER journal_append_only ON journal")
        op.execute("DROP TRIGGER journal_field_erase_only ON journal_field")
        op.execute("DROP FUNCTION salescrm_journal_append_only()")
        op.execute("DROP FUNCTION salescrm_journal_field_erase_only()")
    op.drop_table('journal_field')
    op.drop_table('journal_head')
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.drop_index('ix_journal_record')

    op.drop_table('journal')
