"""procedures: a life event staff deleted stays as a mark (the town's files do not seed it again)

Revision ID: procedures_0003
Revises: procedures_0002
Create Date: 2026-12-04 22:00:00
"""
from alembic import op
import sqlalchemy as sa
import civic.types


revision = 'procedures_0003'
down_revision = 'procedures_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('procedure_event_source', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', civic.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deleted_by', sa.String(length=100), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('procedure_event_source', schema=None) as batch_op:
        batch_op.drop_column('deleted_by')
        batch_op.drop_column('deleted_at')
