"""procedures: life-event trees staff edit in the console (draft and published YAML)

Revision ID: procedures_0002
Revises: procedures_0001
Create Date: 2026-12-04 19:50:00
"""
from alembic import op
import sqlalchemy as sa
import civic.types


revision = 'procedures_0002'
down_revision = 'procedures_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('procedure_event_source',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('file', sa.String(length=100), nullable=False),
    sa.Column('draft', sa.Text(), nullable=False),
    sa.Column('published', sa.Text(), nullable=False),
    sa.Column('updated_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('published_at', civic.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )


def downgrade() -> None:
    op.drop_table('procedure_event_source')
