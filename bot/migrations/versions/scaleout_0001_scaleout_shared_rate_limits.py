"""scaleout: rate limits counted in the database (several instances, issue #19)

Revision ID: scaleout_0001
Revises:
Create Date: 2026-12-04 18:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'scaleout_0001'
down_revision = None
branch_labels = ('scaleout',)
depends_on = 'core_0001'


def upgrade() -> None:
    op.create_table('rate_count',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('minute', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'minute')
    )


def downgrade() -> None:
    op.drop_table('rate_count')
