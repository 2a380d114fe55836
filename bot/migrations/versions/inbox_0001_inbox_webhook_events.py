"""inbox: the webhook events accepted from LINE (the inbox store)

Applied to the inbox store (``INBOX_DATABASE_URL``; on SQLite a file of its own beside the main
database, on PostgreSQL the main database itself): see ``bot.migrate``.

Revision ID: inbox_0001
Revises:
Create Date: 2026-11-21 23:30:00
"""
import sqlalchemy as sa
from alembic import op

import civic.types

revision = 'inbox_0001'
down_revision = None
branch_labels = ('inbox',)
depends_on = None


def upgrade() -> None:
    op.create_table('webhook_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('webhook_event_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('user_key', sa.String(length=80), nullable=False),
    sa.Column('event_type', sa.String(length=32), nullable=False),
    sa.Column('payload', civic.types.EncryptedText(), nullable=False),
    sa.Column('received_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('webhook_event_id'),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_event_received_at'), ['received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_event_received_at'))
    op.drop_table('webhook_event')
