"""activities and tasks: interactions, follow-up tasks, lead intake, team logins, and the audit's survey answers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

A lead may come in with only a company name and no job title, so company country and website and
contact job title become optional; SQLite changes them by copying the table (batch mode), with
foreign-key enforcement off during the migration (store.migrate) so the copy cascades nothing.
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_activity_company_id_company')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_activity_contact_id_contact')),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_activity_deal_id_deal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity'))
    )
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_at'), ['at'], unique=False)
        batch_op.create_index('ix_activity_company_at', ['company_id', 'at'], unique=False)
        batch_op.create_index('ix_activity_contact_at', ['contact_id', 'at'], unique=False)
        batch_op.create_index('ix_activity_deal_at', ['deal_id', 'at'], unique=False)

    op.create_table('task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('due', sa.DateTime(timezone=True), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('owner_login', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('owner_id IS NOT NULL OR owner_login IS NOT NULL', name=op.f('ck_task_has_owner')),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_task_company_id_company')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_task_contact_id_contact')),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_task_deal_id_deal')),
    sa.ForeignKeyConstraint(['owner_id'], ['team_member.id'], name=op.f('fk_task_owner_id_team_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task'))
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_company_kind_done', ['company_id', 'kind', 'done'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_task_deal_done_due', ['deal_id', 'done', 'due'], unique=False)
        batch_op.create_index('ix_task_done_due', ['done', 'due'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_owner_login'), ['owner_login'], unique=False)

    op.create_table('survey_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('taken_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('capture', sa.Integer(), nullable=False),
    sa.Column('qualifying_defined', sa.Integer(), nullable=False),
    sa.Column('qualifying_understood', sa.Integer(), nullable=False),
    sa.Column('clean_data', sa.Integer(), nullable=False),
    sa.Column('reports', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answer'))
    )
    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.alter_column('country',
               existing_type=sa.VARCHAR(length=2),
               nullable=True)
        batch_op.alter_column('website',
               existing_type=sa.VARCHAR(length=500),
               nullable=True)

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('search_engine', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column('keyword', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
        batch_op.add_column(sa.Column('source_page', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.alter_column('job_title',
               existing_type=sa.VARCHAR(length=200),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_contact_channel'), ['channel'], unique=False)

    with op.batch_alter_table('team_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('login', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_team_member_login'), ['login'])



def downgrade() -> None:
    with op.batch_alter_table('team_member', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_team_member_login'), type_='unique')
        batch_op.drop_column('login')

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_channel'))
        batch_op.alter_column('job_title',
               existing_type=sa.VARCHAR(length=200),
               nullable=False)
        batch_op.drop_column('source_page')
        batch_op.drop_column('keyword')
        batch_op.drop_column('search_engine')
        batch_op.drop_column('channel')

    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.alter_column('website',
               existing_type=sa.VARCHAR(length=500),
               nullable=False)
        batch_op.alter_column('country',
               existing_type=sa.VARCHAR(length=2),
               nullable=False)

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_owner_login'))
        batch_op.drop_index(batch_op.f('ix_task_owner_id'))
        batch_op.drop_index('ix_task_done_due')
        batch_op.drop_index('ix_task_deal_done_due')
        batch_op.drop_index(batch_op.f('ix_task_contact_id'))
        batch_op.drop_index('ix_task_company_kind_done')

    op.drop_table('survey_answer')
    op.drop_table('task')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_deal_at')
        batch_op.drop_index('ix_activity_contact_at')
        batch_op.drop_index('ix_activity_company_at')
        batch_op.drop_index(batch_op.f('ix_activity_at'))

    op.drop_table('activity')
