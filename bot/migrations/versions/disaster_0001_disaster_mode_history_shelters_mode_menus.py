"""disaster: 防災モード history, shelters, rich menus prepared per mode (issue #22)

Revision ID: disaster_0001
Revises:
Create Date: 2026-12-04 16:10:00
"""
from alembic import op
import sqlalchemy as sa
import civic.types


revision = 'disaster_0001'
down_revision = None
branch_labels = ('disaster',)
depends_on = ('facilities_0001', 'richmenus_0001')


def upgrade() -> None:
    op.create_table('disaster_mode_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('previous', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('changed_by', sa.String(length=80), nullable=False),
    sa.Column('changed_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('menus', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('disaster_mode_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disaster_mode_change_changed_at'), ['changed_at'], unique=False)
    op.create_table('shelter',
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('occupancy', sa.Integer(), nullable=False),
    sa.Column('kinds', sa.String(length=100), nullable=False),
    sa.Column('updated_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], ),
    sa.PrimaryKeyConstraint('facility_id')
    )
    op.create_table('rich_menu_mode_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('account', sa.String(length=16), nullable=False),
    sa.Column('segment_id', sa.String(length=64), nullable=True),
    sa.Column('menu_id', sa.Integer(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['menu_id'], ['rich_menu.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('mode', 'account', 'segment_id', name='uq_rich_menu_mode_target')
    )
    with op.batch_alter_table('rich_menu_mode_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rich_menu_mode_target_menu_id'), ['menu_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rich_menu_mode_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rich_menu_mode_target_menu_id'))
    op.drop_table('rich_menu_mode_target')
    op.drop_table('shelter')
    with op.batch_alter_table('disaster_mode_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disaster_mode_change_changed_at'))
    op.drop_table('disaster_mode_change')
