"""company brand key: the one-company rule looks names up in SQL

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

SP-009-001's one-company rule compares a new company name with the existing ones by their brand words:
the folded words once legal forms and connectors are set aside (`Novartis Farmacéutica, S.A.` ->
`novartis farmaceutica`, salescrm/legalforms.py). `company.brand_key` keeps them, indexed, so that the
companies a name may stand for are found in SQL: those whose key is a word prefix of the name's, and
those whose key begins with it and a space. Before, a command read every company whose name began with
the name's first word, and an import held an index of every company in memory. On PostgreSQL the column
compares in byte order (collation "C"), so that the prefix is one index range on both backends. Every
existing company gets its key here; no other value changes.
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    kind = sa.String(1000, collation="C") if postgresql else sa.String(1000)
    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.add_column(sa.Column('brand_key', kind, server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_company_brand_key'), ['brand_key'], unique=False)
    from salescrm.legalforms import brand_key

    conn = op.get_bind()
    company = sa.table('company', sa.column('id', sa.Integer), sa.column('name', sa.String),
                       sa.column('brand_key', sa.String))
    update = company.update().where(company.c.id == sa.bindparam('company_id')).values(brand_key=sa.bindparam('key'))
    last = 0
    while True:  # a slice of companies at a time, by id, so that a large database is not read into memory at once
        rows = conn.execute(sa.select(company.c.id, company.c.name).where(company.c.id > last)
                            .order_by(company.c.id).limit(_SLICE)).all()
        if not rows:
            break
        conn.execute(update, [{"company_id": cid, "key": brand_key(name)} for cid, name in rows])
        last = rows[-1][0]


_SLICE = 10_000


def downgrade() -> None:
    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_brand_key'))
        batch_op.drop_column('brand_key')
