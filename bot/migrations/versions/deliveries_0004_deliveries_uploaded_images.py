"""deliveries: images staff upload for deliveries (served publicly with imagemap widths)

Revision ID: deliveries_0004
Revises: deliveries_0003
Create Date: 2026-12-04 15:00:00
"""
from alembic import op
import sqlalchemy as sa
import civic.types


revision = 'deliveries_0004'
down_revision = 'deliveries_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('delivery_image',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=43), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=16), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_by', sa.String(length=64), server_default='', nullable=False),
    sa.Column('created_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('delivery_image', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_image_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('delivery_image', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_image_created_at'))
    op.drop_table('delivery_image')
