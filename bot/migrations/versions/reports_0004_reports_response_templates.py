"""reports: response templates (回答テンプレート) staff edit, seeded with the texts the console had built in

Revision ID: reports_0004
Revises: reports_0003
Create Date: 2026-12-04 22:10:00
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
import civic.types


revision = 'reports_0004'
down_revision = 'reports_0003'
branch_labels = None
depends_on = None

#: Frozen copy of civic.reports.templates.DEFAULTS (status, title, text) as this revision shipped them.
SEED = (
    ('in_progress', '補修の準備中', '現地を確認し、補修の準備を進めています。完了しましたらお知らせします。'),
    ('in_progress', '担当課で確認', '担当課で現地を確認します。しばらくお待ちください。'),
    ('done', '補修が完了', '補修が完了しました。ご連絡ありがとうございました。'),
    ('done', '安全のための措置', '現地を確認し、安全のための措置を行いました。'),
    ('rejected', '町の管理外', '町が管理する場所ではないため、管理者（県・国など）にお伝えしました。'),
    ('rejected', '補修の必要なし', '現地を確認しましたが、現時点では補修の必要はないと判断しました。'),
    ('duplicate', '先の通報で対応中', '同じ場所について先に通報をいただいており、そちらで対応しています。'),
)


def upgrade() -> None:
    table = op.create_table('report_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('updated_at', civic.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('report_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_template_status'), ['status'], unique=False)
    now = datetime.now(timezone.utc)
    op.bulk_insert(table, [{'status': s, 'title': t, 'text': x, 'sort_order': (i + 1) * 10, 'updated_at': now}
                           for i, (s, t, x) in enumerate(SEED)])


def downgrade() -> None:
    with op.batch_alter_table('report_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_template_status'))
    op.drop_table('report_template')
