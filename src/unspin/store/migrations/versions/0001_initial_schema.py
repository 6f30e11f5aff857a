"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agg_articles",
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("genre", sa.String(length=16), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.Column("paragraphs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("model_id", "day", "source", "language", "genre"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "agg_articles_monthly",
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("genre", sa.String(length=16), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.Column("paragraphs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("model_id", "month", "source", "language", "genre"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "agg_labels",
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("paragraphs", sa.Integer(), nullable=False),
        sa.Column("spans", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("model_id", "day", "source", "language", "kind", "label"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("agg_labels", schema=None) as batch_op:
        batch_op.create_index("ix_agg_labels_kind_label", ["model_id", "kind", "label", "day"], unique=False)

    op.create_table(
        "agg_labels_monthly",
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("paragraphs", sa.Integer(), nullable=False),
        sa.Column("spans", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("model_id", "month", "source", "language", "kind", "label"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("agg_labels_monthly", schema=None) as batch_op:
        batch_op.create_index("ix_agg_labels_monthly_kind_label", ["model_id", "kind", "label", "month"], unique=False)

    op.create_table(
        "agg_pairs",
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("technique_a", sa.String(length=64), nullable=False),
        sa.Column("technique_b", sa.String(length=64), nullable=False),
        sa.Column("paragraphs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("model_id", "day", "source", "language", "technique_a", "technique_b"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "agg_pairs_monthly",
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("technique_a", sa.String(length=64), nullable=False),
        sa.Column("technique_b", sa.String(length=64), nullable=False),
        sa.Column("paragraphs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("model_id", "month", "source", "language", "technique_a", "technique_b"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("first_imported", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "version", name="uq_models_name_version"),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("doc_id", sa.String(length=1000), nullable=True),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.Column("genre", sa.String(length=16), nullable=False),
        sa.Column("genre_probabilities", sa.JSON(), nullable=False),
        sa.Column("frame_probabilities", sa.JSON(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["models.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("content_hash", "model_id", name="uq_articles_hash_model"),
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index("ix_articles_model_date", ["model_id", "date"], unique=False)
        batch_op.create_index("ix_articles_model_source_date", ["model_id", "source", "date"], unique=False)

    op.create_table(
        "narratives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["models.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "agg_narratives",
        sa.Column("narrative_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["narrative_id"], ["narratives.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("narrative_id", "day", "source", "language"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("agg_narratives", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agg_narratives_model_narrative_day", ["model_id", "narrative_id", "day"], unique=False
        )

    op.create_table(
        "agg_narratives_monthly",
        sa.Column("narrative_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["narrative_id"], ["narratives.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("narrative_id", "month", "source", "language"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("agg_narratives_monthly", schema=None) as batch_op:
        batch_op.create_index("ix_agg_narratives_monthly_model_month", ["model_id", "month"], unique=False)

    op.create_table(
        "article_narratives",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("narrative_id", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["narrative_id"], ["narratives.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id"),
    )
    with op.batch_alter_table("article_narratives", schema=None) as batch_op:
        batch_op.create_index("ix_article_narratives_narrative", ["narrative_id"], unique=False)

    op.create_table(
        "embeddings",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id"),
    )
    op.create_table(
        "frames",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("frame", sa.String(length=64), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id", "frame"),
    )
    with op.batch_alter_table("frames", schema=None) as batch_op:
        batch_op.create_index("ix_frames_frame", ["frame", "article_id"], unique=False)

    op.create_table(
        "paragraph_techniques",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("paragraph", sa.Integer(), nullable=False),
        sa.Column("technique", sa.String(length=64), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id", "paragraph", "technique"),
    )
    with op.batch_alter_table("paragraph_techniques", schema=None) as batch_op:
        batch_op.create_index("ix_paragraph_techniques_technique", ["technique", "article_id"], unique=False)

    op.create_table(
        "paragraphs",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id", "number"),
    )
    op.create_table(
        "spans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("paragraph", sa.Integer(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("technique", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("phrase", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("spans", schema=None) as batch_op:
        batch_op.create_index("ix_spans_article", ["article_id"], unique=False)
        batch_op.create_index("ix_spans_technique_phrase", ["technique", "phrase", "article_id"], unique=False)
    _create_full_text_search()


def downgrade() -> None:
    _drop_full_text_search()
    with op.batch_alter_table("spans", schema=None) as batch_op:
        batch_op.drop_index("ix_spans_technique_phrase")
        batch_op.drop_index("ix_spans_article")

    op.drop_table("spans")
    op.drop_table("paragraphs")
    with op.batch_alter_table("paragraph_techniques", schema=None) as batch_op:
        batch_op.drop_index("ix_paragraph_techniques_technique")

    op.drop_table("paragraph_techniques")
    with op.batch_alter_table("frames", schema=None) as batch_op:
        batch_op.drop_index("ix_frames_frame")

    op.drop_table("frames")
    op.drop_table("embeddings")
    with op.batch_alter_table("article_narratives", schema=None) as batch_op:
        batch_op.drop_index("ix_article_narratives_narrative")

    op.drop_table("article_narratives")
    with op.batch_alter_table("agg_narratives_monthly", schema=None) as batch_op:
        batch_op.drop_index("ix_agg_narratives_monthly_model_month")

    op.drop_table("agg_narratives_monthly")
    with op.batch_alter_table("agg_narratives", schema=None) as batch_op:
        batch_op.drop_index("ix_agg_narratives_model_narrative_day")

    op.drop_table("agg_narratives")
    op.drop_table("narratives")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index("ix_articles_model_source_date")
        batch_op.drop_index("ix_articles_model_date")

    op.drop_table("articles")
    op.drop_table("models")
    with op.batch_alter_table("agg_labels", schema=None) as batch_op:
        batch_op.drop_index("ix_agg_labels_kind_label")

    with op.batch_alter_table("agg_labels_monthly", schema=None) as batch_op:
        batch_op.drop_index("ix_agg_labels_monthly_kind_label")

    op.drop_table("agg_pairs_monthly")
    op.drop_table("agg_pairs")
    op.drop_table("agg_labels_monthly")
    op.drop_table("agg_labels")
    op.drop_table("agg_articles_monthly")
    op.drop_table("agg_articles")


# Full-text search: FTS5 tables kept in step by triggers on SQLite, GIN expression
# indexes on PostgreSQL ('simple' configuration: no stemming, as the corpus is multilingual).
_SQLITE_FTS = [
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); END",
    "CREATE VIRTUAL TABLE spans_fts USING fts5(text, content='spans', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER spans_fts_insert AFTER INSERT ON spans BEGIN "
    "INSERT INTO spans_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER spans_fts_delete AFTER DELETE ON spans BEGIN "
    "INSERT INTO spans_fts(spans_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
]
_POSTGRES_FTS = [
    "CREATE INDEX ix_articles_fts ON articles USING gin (to_tsvector('simple', coalesce(title, '') || ' ' || text))",
    "CREATE INDEX ix_spans_fts ON spans USING gin (to_tsvector('simple', text))",
]


def _create_full_text_search() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE_FTS if dialect == "sqlite" else _POSTGRES_FTS if dialect == "postgresql" else []:
        op.execute(statement)


def _drop_full_text_search() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("articles_fts_insert", "articles_fts_delete", "spans_fts_insert", "spans_fts_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
        op.execute("DROP TABLE IF EXISTS spans_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_fts")
        op.execute("DROP INDEX IF EXISTS ix_spans_fts")
