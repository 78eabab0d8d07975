"""portal file: the uploaded files of file and image fields, and the database storage's
chunks (app/files/model.py)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portal_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=43), nullable=False),
    sa.Column('form', sa.String(length=100), nullable=False),
    sa.Column('field', sa.String(length=100), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('storage', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_fk', sa.Integer(), nullable=True),
    sa.Column('uploaded_on', sa.DateTime(), nullable=False),
    sa.Column('thumbnail', sa.LargeBinary(), nullable=True),
    sa.Column('thumbnail_type', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['uploaded_by_fk'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    op.create_index('ix_portal_file_record', 'portal_file', ['form', 'record_id', 'field'],
                    unique=False)
    op.create_table('portal_file_chunk',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'seq')
    )


def downgrade():
    op.drop_table('portal_file_chunk')
    op.drop_index('ix_portal_file_record', table_name='portal_file')
    op.drop_table('portal_file')
