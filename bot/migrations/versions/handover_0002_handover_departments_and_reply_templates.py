"""handover: the department a conversation was passed to, reply templates (定型文)

Revision ID: handover_0002
Revises: handover_0001
Create Date: 2026-12-04 18:30:00
"""
from alembic import op
import sqlalchemy as sa
import civic.types


revision = 'handover_0002'
down_revision = 'handover_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('handover', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department', sa.String(length=80), nullable=False, server_default=''))
    op.create_table('handover_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('handover_template')
    with op.batch_alter_table('handover', schema=None) as batch_op:
        batch_op.drop_column('department')
