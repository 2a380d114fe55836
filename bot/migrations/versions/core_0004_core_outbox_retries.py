"""core: outbox retries — when an answer LINE could not take is tried again

``outbound_message.next_attempt_at``: set when a transient failure (LINE down, 5xx, 429) leaves an
answer pending for a later try, or when an answer is queued behind older ones still waiting for
their citizen (per-citizen order). NULL for an answer its turn is sending right now.

Revision ID: core_0004
Revises: core_0003
Create Date: 2026-12-04 05:00:00
"""
import sqlalchemy as sa
from alembic import op

import civic.types

revision = 'core_0004'
down_revision = 'core_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', civic.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.drop_column('next_attempt_at')
