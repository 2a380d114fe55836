"""mypage: notices, to-dos, e-mail identities and codes, web sessions, channels, mail outbox

Revision ID: mypage_0001
Revises:
Create Date: 2026-12-04 18:40:00
"""
from alembic import op
import sqlalchemy as sa
import civic.types


revision = 'mypage_0001'
down_revision = None
branch_labels = ('mypage',)
depends_on = 'core_0001'


def upgrade() -> None:
    op.create_table('mail_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('dedupe_key', sa.String(length=120), nullable=False),
    sa.Column('to_address', civic.types.EncryptedText(), nullable=False),
    sa.Column('subject', civic.types.EncryptedText(), nullable=False),
    sa.Column('text', civic.types.EncryptedText(), nullable=False),
    sa.Column('html', civic.types.EncryptedText(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', civic.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', civic.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizen.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_message_citizen_id'), ['citizen_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_message_run_id'), ['run_id'], unique=False)
        batch_op.create_index('ix_mail_message_status_next', ['status', 'next_attempt_at'], unique=False)

    op.create_table('mypage_channel',
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=24), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizen.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('citizen_id', 'topic')
    )
    op.create_table('mypage_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('expires_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', civic.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizen.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mypage_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mypage_code_citizen_id'), ['citizen_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mypage_code_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mypage_code_subject'), ['subject'], unique=False)

    op.create_table('mypage_email',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('address', civic.types.EncryptedText(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('verified_at', civic.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('unsubscribe_token', sa.String(length=43), nullable=False),
    sa.Column('unsubscribed_at', civic.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('totp_secret', civic.types.EncryptedText(), nullable=True),
    sa.Column('created_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizen.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('citizen_id'),
    sa.UniqueConstraint('digest'),
    sa.UniqueConstraint('unsubscribe_token')
    )
    op.create_table('mypage_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', civic.types.EncryptedText(), nullable=False),
    sa.Column('at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', civic.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizen.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mypage_notice', schema=None) as batch_op:
        batch_op.create_index('ix_mypage_notice_citizen_at', ['citizen_id', 'at'], unique=False)

    op.create_table('mypage_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('stepped_up_until', civic.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizen.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('mypage_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mypage_session_citizen_id'), ['citizen_id'], unique=False)

    op.create_table('mypage_todo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('event_code', sa.String(length=40), nullable=False),
    sa.Column('event_title', sa.String(length=200), nullable=False),
    sa.Column('code', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('bring', sa.Text(), nullable=False),
    sa.Column('deadline', sa.String(length=200), nullable=False),
    sa.Column('deadline_date', sa.Date(), nullable=True),
    sa.Column('done_at', civic.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('saved_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizen.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('citizen_id', 'event_code', 'code', name='uq_mypage_todo')
    )
    with op.batch_alter_table('mypage_todo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mypage_todo_citizen_id'), ['citizen_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('mypage_todo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mypage_todo_citizen_id'))

    op.drop_table('mypage_todo')
    with op.batch_alter_table('mypage_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mypage_session_citizen_id'))

    op.drop_table('mypage_session')
    with op.batch_alter_table('mypage_notice', schema=None) as batch_op:
        batch_op.drop_index('ix_mypage_notice_citizen_at')

    op.drop_table('mypage_notice')
    op.drop_table('mypage_email')
    with op.batch_alter_table('mypage_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mypage_code_subject'))
        batch_op.drop_index(batch_op.f('ix_mypage_code_created_at'))
        batch_op.drop_index(batch_op.f('ix_mypage_code_citizen_id'))

    op.drop_table('mypage_code')
    op.drop_table('mypage_channel')
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_message_status_next')
        batch_op.drop_index(batch_op.f('ix_mail_message_run_id'))
        batch_op.drop_index(batch_op.f('ix_mail_message_citizen_id'))

    op.drop_table('mail_message')
