"""reports: the description staff approved for publication (Open311)

Revision ID: reports_0002
Revises: reports_0001
Create Date: 2026-12-04 12:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import civic.types


revision = 'reports_0002'
down_revision = 'reports_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_description', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('public_approved_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('public_approved_at', civic.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_column('public_approved_at')
        batch_op.drop_column('public_approved_by')
        batch_op.drop_column('public_description')
