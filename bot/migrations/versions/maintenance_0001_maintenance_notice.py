"""maintenance: the scheduled maintenance notice

Revision ID: maintenance_0001
Revises:
Create Date: 2026-12-04 16:30:00
"""
from alembic import op
import sqlalchemy as sa
import civic.types


revision = 'maintenance_0001'
down_revision = None
branch_labels = ('maintenance',)
depends_on = 'core_0001'


def upgrade() -> None:
    op.create_table('maintenance_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('starts_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('updated_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('maintenance_notice')
