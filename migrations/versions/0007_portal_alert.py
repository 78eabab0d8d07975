"""portal alert: quality alerts raised by the rules of config/alerts/ (app/reports/alerts.py)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portal_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=100), nullable=False),
    sa.Column('form', sa.String(length=100), nullable=False),
    sa.Column('group_key', sa.String(length=300), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=True),
    sa.Column('window_end', sa.DateTime(), nullable=False),
    sa.Column('raised_on', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_portal_alert_raised_on'), 'portal_alert', ['raised_on'],
                    unique=False)


def downgrade():
    op.drop_index(op.f('ix_portal_alert_raised_on'), table_name='portal_alert')
    op.drop_table('portal_alert')
