"""first schema: team, companies, contacts, deals, gates, stage history

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('company',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('website', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('legal_name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('lead_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('lead_status_set_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('lead_status_set_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company')),
    sa.UniqueConstraint('name_key', name=op.f('uq_company_name_key'))
    )
    op.create_table('contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('last_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('job_title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('email_key', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact')),
    sa.UniqueConstraint('email_key', name=op.f('uq_contact_email_key'))
    )
    op.create_table('team_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_member')),
    sa.UniqueConstraint('name_key', name=op.f('uq_team_member_name_key'))
    )
    op.create_table('contact_company',
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_contact_company_company_id_company'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_contact_company_contact_id_contact'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', 'company_id', name=op.f('pk_contact_company'))
    )
    with op.batch_alter_table('contact_company', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_company_company_id'), ['company_id'], unique=False)

    op.create_table('deal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=700), nullable=False),
    sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(length=700), nullable=False),
    sa.Column('pipeline', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('close_date', sa.Date(), nullable=False),
    sa.Column('deal_class', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('lost_reason_category', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('lost_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('lost_from_stage', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount_cents >= 0', name=op.f('ck_deal_amount_not_negative')),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_deal_company_id_company')),
    sa.ForeignKeyConstraint(['owner_id'], ['team_member.id'], name=op.f('fk_deal_owner_id_team_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal'))
    )
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deal_deal_class'), ['deal_class'], unique=False)
        batch_op.create_index(batch_op.f('ix_deal_name_key'), ['name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_deal_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_deal_pipeline_stage_amount', ['pipeline', 'stage', 'amount_cents'], unique=False)
        batch_op.create_index('uq_deal_open_name', ['name_key'], unique=True, sqlite_where=sa.text("stage <> 'Lost'"), postgresql_where=sa.text("stage <> 'Lost'"))

    op.create_table('deal_contact',
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_deal_contact_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_deal_contact_deal_id_deal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('deal_id', 'contact_id', name=op.f('pk_deal_contact'))
    )
    with op.batch_alter_table('deal_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_contact_contact_id'), ['contact_id'], unique=False)

    op.create_table('gate_value',
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('set_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_gate_value_deal_id_deal')),
    sa.PrimaryKeyConstraint('deal_id', 'key', name=op.f('pk_gate_value'))
    )
    op.create_table('stage_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('from_stage', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('to_stage', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_stage_change_deal_id_deal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_change'))
    )
    with op.batch_alter_table('stage_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_change_deal_id'), ['deal_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('stage_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_change_deal_id'))

    op.drop_table('stage_change')
    op.drop_table('gate_value')
    with op.batch_alter_table('deal_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deal_contact_contact_id'))

    op.drop_table('deal_contact')
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.drop_index('uq_deal_open_name', sqlite_where=sa.text("stage <> 'Lost'"), postgresql_where=sa.text("stage <> 'Lost'"))
        batch_op.drop_index('ix_deal_pipeline_stage_amount')
        batch_op.drop_index(batch_op.f('ix_deal_owner_id'))
        batch_op.drop_index(batch_op.f('ix_deal_name_key'))
        batch_op.drop_index(batch_op.f('ix_deal_deal_class'))
        batch_op.drop_index(batch_op.f('ix_deal_company_id'))

    op.drop_table('deal')
    with op.batch_alter_table('contact_company', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_company_company_id'))

    op.drop_table('contact_company')
    op.drop_table('team_member')
    op.drop_table('contact')
    op.drop_table('company')
