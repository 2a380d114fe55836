"""staff: sign-in throttle (per login id and per client address); 施設担当 may see personal data

Revision ID: staff_0002
Revises: staff_0001
Create Date: 2026-12-04 10:00:00
"""
import json

from alembic import op
import sqlalchemy as sa
import sqlmodel
import civic.types


revision = 'staff_0002'
down_revision = 'staff_0001'
branch_labels = None
depends_on = None

# The built-in 施設担当 role handles bookings by phone and at the counter: it needs the applicants'
# names and numbers, which roles without personal.view now see masked. Only a role still exactly as
# shipped is changed; one staff have edited keeps their choice.
FACILITY_BEFORE = json.dumps(["*.read", "facilities.*", "bookings.*"])
FACILITY_AFTER = json.dumps(["*.read", "facilities.*", "bookings.*", "personal.view"])


def upgrade() -> None:
    op.create_table('staff_login_throttle',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('window_started_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_until', civic.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('staff_login_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_login_throttle_updated_at'), ['updated_at'], unique=False)
    role = sa.table('staff_role', sa.column('key', sa.String), sa.column('builtin', sa.Boolean),
                    sa.column('permissions', sa.Text))
    op.execute(role.update().where(role.c.key == 'facility', role.c.permissions == FACILITY_BEFORE)
               .values(permissions=FACILITY_AFTER))


def downgrade() -> None:
    role = sa.table('staff_role', sa.column('key', sa.String), sa.column('permissions', sa.Text))
    op.execute(role.update().where(role.c.key == 'facility', role.c.permissions == FACILITY_AFTER)
               .values(permissions=FACILITY_BEFORE))
    with op.batch_alter_table('staff_login_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_login_throttle_updated_at'))

    op.drop_table('staff_login_throttle')
