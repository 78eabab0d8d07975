"""portal workday: the working-day calendar as rows, for working time in SQL (app/db/worktime.py)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portal_workday',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.Column('before_seconds', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    op.create_table('portal_workday_source',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade():
    op.drop_table('portal_workday_source')
    op.drop_table('portal_workday')
