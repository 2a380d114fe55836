"""counter: attachments of a 届書, kept as PDF and masked PDF (encrypted bytes)

Revision ID: counter_0002
Revises: counter_0001
Create Date: 2026-12-04 22:00:00
"""
from alembic import op
import sqlalchemy as sa
import civic.types


revision = 'counter_0002'
down_revision = 'counter_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('counter_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('layout', sa.String(length=64), nullable=False),
    sa.Column('note', civic.types.EncryptedText(), nullable=False),
    sa.Column('filename', civic.types.EncryptedText(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('masks', sa.Text(), nullable=False),
    sa.Column('full', civic.types.EncryptedBytes(), nullable=False),
    sa.Column('masked', civic.types.EncryptedBytes(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['form_id'], ['counter_form.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('counter_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_counter_attachment_form_id'), ['form_id'], unique=False)


def downgrade() -> None:
    op.drop_table('counter_attachment')
