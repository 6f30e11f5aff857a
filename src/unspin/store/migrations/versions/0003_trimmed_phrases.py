"""trimmed phrases: spans.phrase recomputed without the stop words at its ends

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08

``spans.phrase`` is what ``unspin corpus phrases`` counts. It used to be every case-folded word
of the span ("the so-called experts ... into every"); it is now trimmed of stop words at both
ends, and empty (never counted) for a span of stop words or a single character. Rows are read
in pages by id and only changed phrases are written, so a store is converted once, on the
first open after the upgrade. A later change to the stop list needs another such migration.
"""

import sqlalchemy as sa
from alembic import op

from unspin.corpus.stats.phrases import normalise_phrase

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PAGE = 20_000


def upgrade() -> None:
    connection = op.get_bind()
    spans = sa.table("spans", sa.column("id", sa.Integer), sa.column("text", sa.Text), sa.column("phrase", sa.Text))
    update = sa.update(spans).where(spans.c.id == sa.bindparam("span_id")).values(phrase=sa.bindparam("new_phrase"))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(spans.c.id, spans.c.text, spans.c.phrase)
            .where(spans.c.id > last)
            .order_by(spans.c.id)
            .limit(PAGE)
        ).all()
        if not rows:
            return
        changed = [
            {"span_id": span_id, "new_phrase": phrase}
            for span_id, text, old in rows
            if (phrase := normalise_phrase(text)) != old
        ]
        if changed:
            connection.execute(update, changed)
        last = rows[-1].id


def downgrade() -> None:
    pass  # the trimmed phrases are still valid phrases; the old ones cannot be told apart from them
