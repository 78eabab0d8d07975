"""portal notification: the in-portal inbox and record of who was told what, and each user's
notification settings (app/notify/model.py)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portal_notification',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=100), nullable=False),
    sa.Column('event', sa.String(length=32), nullable=False),
    sa.Column('form', sa.String(length=64), nullable=True),
    sa.Column('record_id', sa.String(length=64), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('email', sa.String(length=16), nullable=True),
    sa.Column('delivery_id', sa.String(length=36), nullable=True),
    sa.Column('dedupe', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe', 'user_id', name='uq_portal_notification_dedupe')
    )
    op.create_index('ix_portal_notification_unread', 'portal_notification',
                    ['user_id', 'read_at'], unique=False)
    op.create_index('ix_portal_notification_user', 'portal_notification', ['user_id', 'id'],
                    unique=False)
    op.create_table('portal_notification_pref',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )


def downgrade():
    op.drop_table('portal_notification_pref')
    op.drop_index('ix_portal_notification_user', table_name='portal_notification')
    op.drop_index('ix_portal_notification_unread', table_name='portal_notification')
    op.drop_table('portal_notification')
