"""portal sequence: the counters of autonumber fields (app/db/numbers.py)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portal_sequence',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade():
    op.drop_table('portal_sequence')
