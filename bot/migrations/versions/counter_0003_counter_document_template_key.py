"""counter: a related form's template key on counter_document (the report's 担当課 no longer rests on its title)

Revision ID: counter_0003
Revises: counter_0002
Create Date: 2026-12-04 23:00:00

Rows made before are filled from their label 「<title>（<applicant>）」 with the titles of the town's
templates (``$CONTENT_DIR/$TOWN/counter/related/<key>.json``, as the counter role reads them; the longest
title that fits wins). A label whose title matches no template keeps "" and is matched by its label at
report time, as before.
"""
import json
import os
from pathlib import Path

from alembic import op
import sqlalchemy as sa


revision = 'counter_0003'
down_revision = 'counter_0002'
branch_labels = None
depends_on = None

RELATED_KINDS = ('related', 'related-xlsx')


def _titles() -> dict[str, str]:
    """Template key → title, from the town's files (none when the directory is not there)."""
    directory = (Path(os.environ.get('CONTENT_DIR', '').strip() or 'content')
                 / (os.environ.get('TOWN', '').strip() or 'midori') / 'counter' / 'related')
    out = {}
    for mapping in sorted(directory.glob('*.json')) if directory.is_dir() else []:
        try:  # a file the counter role would refuse must not stop the migration: its rows keep ""
            data = json.loads(mapping.read_text(encoding='utf-8'))
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        title = data.get('title') if isinstance(data, dict) else None
        if isinstance(title, str) and title:
            out[mapping.stem] = title
    return out


def backfill(titles: dict[str, str]) -> None:
    document = sa.table('counter_document', sa.column('kind', sa.String), sa.column('label', sa.String),
                        sa.column('template', sa.String))
    # Longest titles first: a row takes the first that fits and is not touched again.
    for key, title in sorted(titles.items(), key=lambda kv: -len(kv[1])):
        prefix = title + '（'
        op.execute(document.update()
                   .where(document.c.kind.in_(RELATED_KINDS), document.c.template == '',
                          sa.func.substr(document.c.label, 1, len(prefix)) == prefix)
                   .values(template=key))


def upgrade() -> None:
    with op.batch_alter_table('counter_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template', sa.String(length=64), server_default='', nullable=False))
    backfill(_titles())


def downgrade() -> None:
    with op.batch_alter_table('counter_document', schema=None) as batch_op:
        batch_op.drop_column('template')
