"""inbox: each webhook event keeps the id of the request that brought it (the turn worker logs under it)

Revision ID: inbox_0002
Revises: inbox_0001
Create Date: 2026-12-04 18:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'inbox_0002'
down_revision = 'inbox_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.drop_column('request_id')
