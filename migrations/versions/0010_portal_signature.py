"""portal signature: signatures drawn into signature fields, as checked PNGs with who and when
(app/db/signatures.py)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portal_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form', sa.String(length=100), nullable=False),
    sa.Column('field', sa.String(length=100), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('png', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('signed_by_fk', sa.Integer(), nullable=True),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('signer_ip', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['signed_by_fk'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_portal_signature_record_id'), 'portal_signature', ['record_id'],
                    unique=False)


def downgrade():
    op.drop_index(op.f('ix_portal_signature_record_id'), table_name='portal_signature')
    op.drop_table('portal_signature')
