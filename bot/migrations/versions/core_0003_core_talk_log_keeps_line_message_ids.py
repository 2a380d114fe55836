"""core: the talk log keeps LINE's message id of incoming messages (so an unsent message is forgotten)

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-11-24 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'core_0003'
down_revision = 'core_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('talk_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_talk_entry_message_id'), ['message_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('talk_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talk_entry_message_id'))
        batch_op.drop_column('message_id')
