"""core: the inbox moves to its own store; outcomes of inbox events

The accepted webhook events move from ``inbox_event`` (main database) to ``webhook_event`` in the
inbox store (branch ``inbox``: a file of its own on SQLite); how each event ended is kept here, in
``inbox_outcome``, written by the turn's own transaction. ``outbound_message.inbox_event_id`` keeps
the event's id without a foreign key (the event lives in another store).

Events still waiting in ``inbox_event`` cannot be carried into another database by a migration:
the upgrade stops and says so (start the previous version until its backlog is processed).

Revision ID: core_0002
Revises: core_0001
Create Date: 2026-11-21 23:30:00
"""
import sqlalchemy as sa
from alembic import op

import civic.types

revision = 'core_0002'
down_revision = 'core_0001'
branch_labels = None
depends_on = None

FK_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def upgrade() -> None:
    bind = op.get_bind()
    waiting = bind.execute(sa.text("SELECT count(*) FROM inbox_event WHERE status = 'pending'")).scalar_one()
    if waiting:
        raise RuntimeError(
            f"{waiting} webhook events are still waiting in inbox_event; run the previous version until they "
            "are processed, then migrate again")
    if bind.dialect.name == "postgresql":
        op.drop_constraint("outbound_message_inbox_event_id_fkey", "outbound_message", type_="foreignkey")
    else:
        with op.batch_alter_table("outbound_message", naming_convention=FK_NAMES) as batch_op:
            batch_op.drop_constraint("fk_outbound_message_inbox_event_id_inbox_event", type_="foreignkey")
    with op.batch_alter_table('inbox_event', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_event_status_id')
    op.drop_table('inbox_event')
    op.create_table('inbox_outcome',
    sa.Column('event_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('done_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('event_id')
    )
    with op.batch_alter_table('inbox_outcome', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_outcome_done_at'), ['done_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inbox_outcome', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_outcome_done_at'))
    op.drop_table('inbox_outcome')
    op.create_table('inbox_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('webhook_event_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('user_key', sa.String(length=80), nullable=False),
    sa.Column('event_type', sa.String(length=32), nullable=False),
    sa.Column('payload', civic.types.EncryptedText(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('received_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', civic.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('webhook_event_id')
    )
    with op.batch_alter_table('inbox_event', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_event_status_id', ['status', 'id'], unique=False)
