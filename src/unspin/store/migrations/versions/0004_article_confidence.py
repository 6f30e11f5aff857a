"""article confidence: the review queue's order stored on each article

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

``articles.confidence`` (the mean confidence of the article's paragraph technique labels,
NULL without any) and ``articles.labels`` (how many) were computed for every article on
every queue page, which grew with the corpus. They are now written on import; this fills
them in for the articles already stored, once, on the first open after the upgrade.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("confidence", sa.Float(), nullable=True))
    op.add_column("articles", sa.Column("labels", sa.Integer(), nullable=False, server_default="0"))
    articles = sa.table("articles", sa.column("id", sa.Integer), sa.column("confidence"), sa.column("labels"))
    labels = sa.table("paragraph_techniques", sa.column("article_id", sa.Integer), sa.column("confidence", sa.Float))
    of_article = labels.c.article_id == articles.c.id
    op.get_bind().execute(
        sa.update(articles).values(
            confidence=sa.select(sa.func.avg(labels.c.confidence)).where(of_article).scalar_subquery(),
            labels=sa.select(sa.func.count()).where(of_article).scalar_subquery(),
        )
    )
    op.create_index("ix_articles_model_confidence", "articles", ["model_id", "confidence", "id"])


def downgrade() -> None:
    op.drop_index("ix_articles_model_confidence", table_name="articles")
    # Plain ALTER TABLE DROP COLUMN (SQLite 3.35 and later): a batch copy of the table would
    # drop the old one, and with it, through ON DELETE CASCADE, every paragraph and span.
    op.drop_column("articles", "labels")
    op.drop_column("articles", "confidence")
