"""disaster: urgent deliveries (sent first) and 安否確認 (safety checks and answers) (issue #22)

Revision ID: disaster_0003
Revises: disaster_0002
Create Date: 2026-12-04 18:40:00
"""
from alembic import op
import sqlalchemy as sa
import civic.types


revision = 'disaster_0003'
down_revision = 'disaster_0002'
branch_labels = None
depends_on = ('deliveries_0004', 'core_0001')


def upgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('delivery_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('method', sa.String(length=10), nullable=False, server_default='multicast'))
    op.create_table('safety_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('target', sa.String(length=8), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=True),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', civic.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['segment_id'], ['segment.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('safety_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('place', civic.types.EncryptedText(), nullable=True),
    sa.Column('location', civic.types.EncryptedText(), nullable=True),
    sa.Column('note', civic.types.EncryptedText(), nullable=True),
    sa.Column('answered_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['check_id'], ['safety_check.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizen.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('check_id', 'citizen_id', name='uq_safety_answer_citizen')
    )
    with op.batch_alter_table('safety_answer', schema=None) as batch_op:
        batch_op.create_index('ix_safety_answer_check_status', ['check_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_safety_answer_citizen_id'), ['citizen_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('safety_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safety_answer_citizen_id'))
        batch_op.drop_index('ix_safety_answer_check_status')
    op.drop_table('safety_answer')
    op.drop_table('safety_check')
    with op.batch_alter_table('delivery_run', schema=None) as batch_op:
        batch_op.drop_column('method')
        batch_op.drop_column('priority')
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_column('urgent')
