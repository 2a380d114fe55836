"""disaster: a mail rule may switch the 防災モード (issue #22)

Revision ID: disaster_0002
Revises: disaster_0001
Create Date: 2026-12-04 16:35:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'disaster_0002'
down_revision = 'disaster_0001'
branch_labels = None
depends_on = 'deliveries_0003'


def upgrade() -> None:
    with op.batch_alter_table('delivery_mail_rule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disaster_mode', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('delivery_mail_rule', schema=None) as batch_op:
        batch_op.drop_column('disaster_mode')
