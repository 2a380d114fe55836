"""handover: conversations handed over to staff (有人チャット, issue #17)

Revision ID: handover_0001
Revises:
Create Date: 2026-12-04 16:15:00
"""
from alembic import op
import sqlalchemy as sa
import civic.types


revision = 'handover_0001'
down_revision = None
branch_labels = ('handover',)
depends_on = 'core_0001'


def upgrade() -> None:
    op.create_table('handover',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_user_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('queued', sa.Boolean(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('assignee_name', sa.String(length=100), nullable=False),
    sa.Column('waiting_since', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('first_reply_at', civic.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', civic.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=16), nullable=False),
    sa.Column('rating', sa.String(length=8), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('handover', schema=None) as batch_op:
        batch_op.create_index('ix_handover_user_status', ['channel_user_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_handover_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_handover_waiting_since'), ['waiting_since'], unique=False)

    op.create_table('handover_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handover_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', civic.types.EncryptedText(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('staff_name', sa.String(length=100), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=True),
    sa.Column('image', civic.types.EncryptedText(), nullable=True),
    sa.Column('at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['handover_id'], ['handover.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('handover_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handover_message_handover_id'), ['handover_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('handover_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handover_message_handover_id'))
    op.drop_table('handover_message')
    with op.batch_alter_table('handover', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handover_waiting_since'))
        batch_op.drop_index(batch_op.f('ix_handover_status'))
        batch_op.drop_index('ix_handover_user_status')
    op.drop_table('handover')
