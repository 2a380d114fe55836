"""staff: the facilities a staff member manages (国富町 表3 no.2 管理施設; none: every facility)

Revision ID: staff_0004
Revises: staff_0003
Create Date: 2026-12-04 21:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'staff_0004'
down_revision = 'staff_0003'
branch_labels = None
depends_on = ('facilities_0001',)


def upgrade() -> None:
    op.create_table('staff_facility',
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_id', 'facility_id')
    )
    with op.batch_alter_table('staff_facility', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_facility_facility_id'), ['facility_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('staff_facility', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_facility_facility_id'))
    op.drop_table('staff_facility')
