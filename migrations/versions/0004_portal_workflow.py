"""portal workflow: the history of transitions, approvals and SLA escalations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portal_workflow_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('transition', sa.String(length=64), nullable=True),
    sa.Column('from_state', sa.String(length=64), nullable=True),
    sa.Column('to_state', sa.String(length=64), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('details', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id']),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_portal_workflow_event_record', 'portal_workflow_event',
                    ['form', 'record_id', 'id'])


def downgrade():
    op.drop_index('ix_portal_workflow_event_record', table_name='portal_workflow_event')
    op.drop_table('portal_workflow_event')
