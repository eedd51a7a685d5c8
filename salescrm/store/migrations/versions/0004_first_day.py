"""first day: the database's currency, deal currencies, tasks closed with their deal, distinct companies

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Money has a currency: a database has one (`setting.currency`, EUR on every database that existed
before, and on new ones until `salescrm init --currency` says otherwise), and each deal carries its own,
the database's at the time unless given another. A task closed because its deal became final says so
(`closed_as`). Two companies whose names look alike but that a rep declared distinct are kept as a pair.
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    setting = op.create_table('setting',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_setting'))
    )
    op.bulk_insert(setting, [{'key': 'currency', 'value': 'EUR'}])
    op.create_table('distinct_companies',
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('other_company_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_distinct_companies_company_id_company')),
    sa.ForeignKeyConstraint(['other_company_id'], ['company.id'], name=op.f('fk_distinct_companies_other_company_id_company')),
    sa.PrimaryKeyConstraint('company_id', 'other_company_id', name=op.f('pk_distinct_companies'))
    )
    with op.batch_alter_table('distinct_companies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_distinct_companies_other_company_id'), ['other_company_id'], unique=False)

    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False,
                                      server_default='EUR'))

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_as', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('closed_as')

    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.drop_column('currency')

    with op.batch_alter_table('distinct_companies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_distinct_companies_other_company_id'))

    op.drop_table('distinct_companies')
    op.drop_table('setting')
