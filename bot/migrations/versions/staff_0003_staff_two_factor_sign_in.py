"""staff: two-factor sign-in (TOTP secrets, recovery codes, roles that require it)

Revision ID: staff_0003
Revises: staff_0002
Create Date: 2026-12-04 15:00:00
"""
from alembic import op
import sqlalchemy as sa
import civic.types


revision = 'staff_0003'
down_revision = 'staff_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', civic.types.EncryptedText(), nullable=True))
        batch_op.add_column(sa.Column('totp_pending', civic.types.EncryptedText(), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', civic.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('staff_role', schema=None) as batch_op:
        batch_op.add_column(sa.Column('require_two_factor', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table('staff_recovery_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', civic.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('staff_recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_recovery_code_staff_id'), ['staff_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('staff_recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_recovery_code_staff_id'))
    op.drop_table('staff_recovery_code')
    with op.batch_alter_table('staff_role', schema=None) as batch_op:
        batch_op.drop_column('require_two_factor')
    with op.batch_alter_table('staff_account', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_pending')
        batch_op.drop_column('totp_secret')
