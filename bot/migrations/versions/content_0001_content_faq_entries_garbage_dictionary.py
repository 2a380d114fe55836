"""content: FAQ entries and the garbage dictionary staff edit live, content versions

Revision ID: content_0001
Revises:
Create Date: 2026-12-04 18:40:00
"""
import json

from alembic import op
import sqlalchemy as sa
import civic.types


revision = 'content_0001'
down_revision = None
branch_labels = ('content',)
depends_on = ('core_0001', 'staff_0001')


def upgrade() -> None:
    op.create_table('faq_entry',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('alternatives', sa.JSON(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('translations', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('updated_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('faq_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_faq_entry_status'), ['status'], unique=False)
    op.create_table('garbage_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('furigana', sa.String(length=200), nullable=False),
    sa.Column('synonyms', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('garbage_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_garbage_item_name'), ['name'], unique=False)
    op.create_table('garbage_category',
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('sublabel', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('styles', sa.String(length=200), nullable=False),
    sa.Column('bgcolor', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('label')
    )
    op.create_table('garbage_file',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('content_version',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    # ``faq.edit`` used to cover the garbage dictionary too: roles holding it keep editing both.
    conn = op.get_bind()
    roles = sa.table('staff_role', sa.column('id', sa.Integer), sa.column('permissions', sa.Text))
    for role_id, raw in conn.execute(sa.select(roles.c.id, roles.c.permissions)).all():
        held = json.loads(raw or "[]")
        if "faq.edit" in held and "garbage.edit" not in held:
            conn.execute(roles.update().where(roles.c.id == role_id)
                         .values(permissions=json.dumps([*held, "garbage.edit"])))


def downgrade() -> None:
    op.drop_table('content_version')
    op.drop_table('garbage_file')
    op.drop_table('garbage_category')
    with op.batch_alter_table('garbage_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_garbage_item_name'))
    op.drop_table('garbage_item')
    with op.batch_alter_table('faq_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_faq_entry_status'))
    op.drop_table('faq_entry')
