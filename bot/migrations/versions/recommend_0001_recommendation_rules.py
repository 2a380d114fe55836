"""recommend: おすすめ rules for the my-page (a filter over citizens' attributes)

Revision ID: recommend_0001
Revises:
Create Date: 2026-12-04 19:45:00
"""
from alembic import op
import sqlalchemy as sa
import civic.types


revision = 'recommend_0001'
down_revision = None
branch_labels = ('recommend',)
depends_on = 'deliveries_0001'


def upgrade() -> None:
    op.create_table('recommendation_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), server_default='', nullable=False),
    sa.Column('link_url', sa.String(length=500), server_default='', nullable=False),
    sa.Column('filter', sa.Text(), nullable=False),
    sa.Column('date_label', sa.String(length=60), server_default='', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_by', sa.String(length=64), server_default='', nullable=False),
    sa.Column('created_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('recommendation_rule')
