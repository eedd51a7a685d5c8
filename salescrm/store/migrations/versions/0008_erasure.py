"""erasure: a person's data erased (GDPR article 17), the backups that still hold it, a hand-set lifecycle

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

`contact erase` (issue 13) keeps what the company must keep, linked to a pseudonymous contact, and
records each erasure in `erasure` (without personal data) with keyed hashes of the email and phone it
removed in `erased_identity` (HMAC under the database's own secret: the `setting` row `erasure_secret`,
made here, random, so that a rep's grants need not write `setting`), so that a later import refuses a
matching row. `backup_record` lists every backup `db backup`, a migration or a restore
made: those made before an erasure still hold the erased data (`db status` names them). All three are
ledgers: never updated nor deleted (triggers, as the journal's).

A contact's lifecycle may be set by a person where the process declares manual values (Health Prime's
Exclude from Marketing, Additional Sales Contact, Recycled; `contact set-lifecycle`, issue 12): the value
is `contact.manual_lifecycle`, NULL where it is derived only. `contact.phone` gets an index, for the
import's matching by phone.

Two deals that are not lost may not share a name: the unique index on open deals' names left out only
the stage `Lost`, so that a second lost deal of the same name in another process's lost stage (Health
Prime's `Closed Lost`) could not be stored. It now leaves out every deal with a lost reason category,
which every lost deal has and no other deal has (a narrower index, which an existing file always meets).
"""

import secrets

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

ERASURE_SECRET = "erasure_secret"  # the HMAC key of erased_identity's digests: 64 hex digits
LEDGERS = ("erasure", "erased_identity", "backup_record")


def _message(table: str) -> str:
    return f"{table} is a ledger: its rows are never changed or removed"


SQLITE_TRIGGERS = [
    *(f"CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} BEGIN SELECT RAISE(ABORT, '{_message(t)}'); END" for t in LEDGERS),
    *(f"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} BEGIN SELECT RAISE(ABORT, '{_message(t)}'); END" for t in LEDGERS),
]
POSTGRESQL_TRIGGERS = [
    *(f"""CREATE FUNCTION salescrm_{t}_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{_message(t)}'; END $$""" for t in LEDGERS),
    *(f"""CREATE TRIGGER {t}_ledger BEFORE UPDATE OR DELETE ON {t}
    FOR EACH ROW EXECUTE FUNCTION salescrm_{t}_ledger()""" for t in LEDGERS),
    *(f"""CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t}
    FOR EACH STATEMENT EXECUTE FUNCTION salescrm_{t}_ledger()""" for t in LEDGERS),
]


def upgrade() -> None:
    op.create_table('erasure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_erasure_contact_id_contact')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure'))
    )
    op.create_table('erased_identity',
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('erasure_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['erasure_id'], ['erasure.id'], name=op.f('fk_erased_identity_erasure_id_erasure')),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_erased_identity'))
    )
    op.create_table('backup_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('made_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backup_record'))
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manual_lifecycle', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True))
        batch_op.create_index(batch_op.f('ix_contact_phone'), ['phone'], unique=False)
    _open_name_index("stage <> 'Lost' AND lost_reason_category IS NULL")
    for statement in POSTGRESQL_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)
    setting = sa.table('setting', sa.column('key', sa.String), sa.column('value', sa.String))
    op.bulk_insert(setting, [{"key": ERASURE_SECRET, "value": secrets.token_hex(32)}])


def _open_name_index(where: str) -> None:
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.drop_index('uq_deal_open_name')
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.create_index('uq_deal_open_name', ['name_key'], unique=True, sqlite_where=sa.text(where),
                              postgresql_where=sa.text(where))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for t in LEDGERS:
            op.execute(f"DROP TRIGGER {t}_no_truncate ON {t}")
            op.execute(f"DROP TRIGGER {t}_ledger ON {t}")
            op.execute(f"DROP FUNCTION salescrm_{t}_ledger()")
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_phone'))
        batch_op.drop_column('manual_lifecycle')
    _open_name_index("stage <> 'Lost'")
    op.execute("DELETE FROM setting WHERE key = 'erasure_secret'")
    op.drop_table('backup_record')
    op.drop_table('erased_identity')
    op.drop_table('erasure')
