"""counter: 届書, their process history, stored PDFs and OCR layout definitions (書かない窓口)

Revision ID: counter_0001
Revises:
Create Date: 2026-12-04 18:40:00
"""
from alembic import op
import sqlalchemy as sa
import civic.types


revision = 'counter_0001'
down_revision = None
branch_labels = ('counter',)
depends_on = 'core_0001'


def upgrade() -> None:
    op.create_table('counter_form',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('origin', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('data', civic.types.EncryptedText(), nullable=False),
    sa.Column('search_text', civic.types.EncryptedText(), nullable=False),
    sa.Column('created_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('finished_at', civic.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('counter_form', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_counter_form_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_counter_form_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_counter_form_created_at'), ['created_at'], unique=False)
    op.create_table('counter_form_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('staff_login', sa.String(length=64), nullable=False),
    sa.Column('status_from', sa.String(length=16), nullable=False),
    sa.Column('status_to', sa.String(length=16), nullable=False),
    sa.Column('note', civic.types.EncryptedText(), nullable=False),
    sa.ForeignKeyConstraint(['form_id'], ['counter_form.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('counter_form_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_counter_form_event_form_id'), ['form_id'], unique=False)
    op.create_table('counter_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=128), nullable=False),
    sa.Column('full', civic.types.EncryptedText(), nullable=False),
    sa.Column('masked', civic.types.EncryptedText(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['form_id'], ['counter_form.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('counter_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_counter_document_form_id'), ['form_id'], unique=False)
    op.create_table('counter_layout',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('updated_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade() -> None:
    op.drop_table('counter_layout')
    op.drop_table('counter_document')
    op.drop_table('counter_form_event')
    op.drop_table('counter_form')
