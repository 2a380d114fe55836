"""content: NLU training examples, extra sections and models (retrains) staff run from the console

Revision ID: content_nlu_0001
Revises: content_0001
Create Date: 2026-12-04 19:50:00
"""
from alembic import op
import sqlalchemy as sa
import civic.types


revision = 'content_nlu_0001'
down_revision = 'content_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('nlu_example',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intent', sa.String(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('heldout', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('updated_at', civic.types.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('nlu_example', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nlu_example_intent'), ['intent'], unique=False)
    op.create_table('nlu_extra',
    sa.Column('section', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('section')
    )
    op.create_table('nlu_model',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', civic.types.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('training_yaml', sa.Text(), nullable=False),
    sa.Column('model', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('nlu_model', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nlu_model_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('nlu_model', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nlu_model_status'))
    op.drop_table('nlu_model')
    op.drop_table('nlu_extra')
    with op.batch_alter_table('nlu_example', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nlu_example_intent'))
    op.drop_table('nlu_example')
