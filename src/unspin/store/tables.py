"""The corpus database schema, in SQLAlchemy Core (the migrations in migrations/ create it).

Analyses are normalised into articles, paragraphs, paragraph techniques, spans and
frames. The ``agg_*`` tables hold counts per model, day (and in ``*_monthly``, month),
source and language, kept up to date on import, so that dashboard queries read thousands
of rows rather than millions. On SQLite they are ``WITHOUT ROWID`` tables, clustered on
their keys.
Aggregates use ``''`` for an unknown source or language and :data:`UNDATED` for an
undated article, because key columns cannot be NULL.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

UNDATED = dt.date(1, 1, 1)

metadata = MetaData()

models = Table(
    "models",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("version", String(100), nullable=False),
    Column("first_imported", DateTime, nullable=False),
    UniqueConstraint("name", "version", name="uq_models_name_version"),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("model_id", Integer, ForeignKey("models.id"), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("doc_id", String(1000)),
    Column("source", String(500), nullable=False, default=""),
    Column("url", Text),
    Column("date", Date),
    Column("language", String(16), nullable=False, default=""),
    Column("title", Text),
    Column("text", Text, nullable=False),
    Column("words", Integer, nullable=False),
    Column("genre", String(16), nullable=False),
    Column("genre_probabilities", JSON, nullable=False),
    Column("frame_probabilities", JSON, nullable=False),
    Column("meta", JSON),
    Column("imported_at", DateTime, nullable=False),
    # The review queue's order, kept on the row so that a page is an index scan, not an
    # average over every article's labels: the mean confidence of its paragraph technique
    # labels (NULL without any) and how many there are.
    Column("confidence", Float),
    Column("labels", Integer, nullable=False, server_default="0"),
    UniqueConstraint("content_hash", "model_id", name="uq_articles_hash_model"),
    Index("ix_articles_model_date", "model_id", "date"),
    Index("ix_articles_model_source_date", "model_id", "source", "date"),
    Index("ix_articles_model_confidence", "model_id", "confidence", "id"),
)

paragraphs = Table(
    "paragraphs",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("words", Integer, nullable=False),
)

paragraph_techniques = Table(
    "paragraph_techniques",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("paragraph", Integer, primary_key=True),
    Column("technique", String(64), primary_key=True),
    Column("confidence", Float, nullable=False),
    Index("ix_paragraph_techniques_technique", "technique", "article_id"),
)

spans = Table(
    "spans",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("paragraph", Integer, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("technique", String(64), nullable=False),
    Column("category", String(64), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("text", Text, nullable=False),
    Column("phrase", Text, nullable=False),  # normalised text, for counting phrases
    Index("ix_spans_article", "article_id"),
    Index("ix_spans_technique_phrase", "technique", "phrase", "article_id"),  # covers top_phrases' counts
)

frames = Table(
    "frames",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("frame", String(64), primary_key=True),
    Column("probability", Float, nullable=False),
    Index("ix_frames_frame", "frame", "article_id"),
)

embeddings = Table(
    "embeddings",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("vector", LargeBinary, nullable=False),  # float16, unit length
)

narratives = Table(
    "narratives",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("model_id", Integer, ForeignKey("models.id"), nullable=False),
    Column("label", Text, nullable=False),
    Column("terms", JSON, nullable=False),
    Column("size", Integer, nullable=False),
    Column("built_at", DateTime, nullable=False),
    sqlite_autoincrement=True,  # a rebuild's narratives get new ids, never those of the ones it replaced
)

article_narratives = Table(
    "article_narratives",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("narrative_id", Integer, ForeignKey("narratives.id", ondelete="CASCADE"), nullable=False),
    Column("probability", Float, nullable=False),
    Index("ix_article_narratives_narrative", "narrative_id"),
)


def _period_columns() -> list[Column]:
    return [
        Column("day", Date, primary_key=True),
        Column("week", Date, nullable=False),
        Column("month", Date, nullable=False),
    ]


agg_articles = Table(
    "agg_articles",
    metadata,
    Column("model_id", Integer, primary_key=True),
    *_period_columns(),
    Column("source", String(500), primary_key=True),
    Column("language", String(16), primary_key=True),
    Column("genre", String(16), primary_key=True),
    Column("articles", Integer, nullable=False),
    Column("words", Integer, nullable=False),
    Column("paragraphs", Integer, nullable=False),
    sqlite_with_rowid=False,
)

agg_labels = Table(
    "agg_labels",
    metadata,
    Column("model_id", Integer, primary_key=True),
    *_period_columns(),
    Column("source", String(500), primary_key=True),
    Column("language", String(16), primary_key=True),
    Column("kind", String(16), primary_key=True),  # technique, category or frame
    Column("label", String(64), primary_key=True),
    Column("articles", Integer, nullable=False),  # articles with the label
    Column("paragraphs", Integer, nullable=False),  # paragraphs with it (0 for frames)
    Column("spans", Integer, nullable=False),
    Index("ix_agg_labels_kind_label", "model_id", "kind", "label", "day"),
    sqlite_with_rowid=False,
)

# The same counts per month: a question about whole months (no period, or by month) reads
# these, about 30 times fewer rows than the daily ones, plus the days of any partial month
# at the ends of its date range from the daily tables (see queries.aggregate_table).
agg_articles_monthly = Table(
    "agg_articles_monthly",
    metadata,
    Column("model_id", Integer, primary_key=True),
    Column("month", Date, primary_key=True),
    Column("source", String(500), primary_key=True),
    Column("language", String(16), primary_key=True),
    Column("genre", String(16), primary_key=True),
    Column("articles", Integer, nullable=False),
    Column("words", Integer, nullable=False),
    Column("paragraphs", Integer, nullable=False),
    sqlite_with_rowid=False,
)

agg_labels_monthly = Table(
    "agg_labels_monthly",
    metadata,
    Column("model_id", Integer, primary_key=True),
    Column("month", Date, primary_key=True),
    Column("source", String(500), primary_key=True),
    Column("language", String(16), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("label", String(64), primary_key=True),
    Column("articles", Integer, nullable=False),
    Column("paragraphs", Integer, nullable=False),
    Column("spans", Integer, nullable=False),
    Index("ix_agg_labels_monthly_kind_label", "model_id", "kind", "label", "month"),
    sqlite_with_rowid=False,
)


def _pair_columns() -> list[Column]:
    return [
        Column("source", String(500), primary_key=True),
        Column("language", String(16), primary_key=True),
        Column("technique_a", String(64), primary_key=True),  # technique_a < technique_b
        Column("technique_b", String(64), primary_key=True),
        Column("paragraphs", Integer, nullable=False),
    ]  # paragraphs labelled with both


agg_pairs = Table(
    "agg_pairs",
    metadata,
    Column("model_id", Integer, primary_key=True),
    *_period_columns(),
    *_pair_columns(),
    sqlite_with_rowid=False,
)

agg_pairs_monthly = Table(
    "agg_pairs_monthly",
    metadata,
    Column("model_id", Integer, primary_key=True),
    Column("month", Date, primary_key=True),
    *_pair_columns(),
    sqlite_with_rowid=False,
)


# Articles per narrative, written by narratives.build_narratives (not on import) and
# replaced with the narratives; the narratives view reads only these. Keyed by narrative
# first, so that a narrative's first day is one index seek.
def _narrative_columns() -> list[Column]:
    return [
        Column("narrative_id", Integer, ForeignKey("narratives.id", ondelete="CASCADE"), primary_key=True),
        Column("model_id", Integer, nullable=False),
    ]


agg_narratives = Table(
    "agg_narratives",
    metadata,
    *_narrative_columns(),
    *_period_columns(),
    Column("source", String(500), primary_key=True),
    Column("language", String(16), primary_key=True),
    Column("articles", Integer, nullable=False),
    Index("ix_agg_narratives_model_narrative_day", "model_id", "narrative_id", "day"),
    sqlite_with_rowid=False,
)

agg_narratives_monthly = Table(
    "agg_narratives_monthly",
    metadata,
    *_narrative_columns(),
    Column("month", Date, primary_key=True),
    Column("source", String(500), primary_key=True),
    Column("language", String(16), primary_key=True),
    Column("articles", Integer, nullable=False),
    Index("ix_agg_narratives_monthly_model_month", "model_id", "month"),
    sqlite_with_rowid=False,
)

MONTHLY = {
    "agg_articles": agg_articles_monthly,
    "agg_labels": agg_labels_monthly,
    "agg_pairs": agg_pairs_monthly,
    "agg_narratives": agg_narratives_monthly,
}

AGG_KEYS = {
    "agg_articles": ("model_id", "day", "source", "language", "genre"),
    "agg_labels": ("model_id", "day", "source", "language", "kind", "label"),
    "agg_articles_monthly": ("model_id", "month", "source", "language", "genre"),
    "agg_labels_monthly": ("model_id", "month", "source", "language", "kind", "label"),
    "agg_pairs": ("model_id", "day", "source", "language", "technique_a", "technique_b"),
    "agg_pairs_monthly": ("model_id", "month", "source", "language", "technique_a", "technique_b"),
}


# The human layer (issue 15; unspin.review): reviewers' judgements of the model's proposals,
# kept apart from the analyses. A review belongs to the text (its content hash), not to one
# model's analysis of it, so it survives re-analysis by a newer model; ``layer`` is the
# reviewer's current unspin.review.Review as JSON, ``revision`` counts its writes (a write
# that finds another one's revision starts again: no lost update).
reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("reviewer", String(200), nullable=False),
    Column("status", String(16), nullable=False),  # unreviewed, in_progress or done
    Column("model_name", String(200)),  # the model whose proposals were judged last
    Column("model_version", String(100)),
    Column("layer", JSON, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("content_hash", "reviewer", name="uq_reviews_hash_reviewer"),
    Index("ix_reviews_reviewer_status", "reviewer", "status"),
)

# Every decision as it came, append-only (no cascade: a review with a history cannot be
# deleted by accident); replaying a review's decisions in id order gives its layer.
review_decisions = Table(
    "review_decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("review_id", Integer, ForeignKey("reviews.id"), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("reviewer", String(200), nullable=False),
    Column("model_name", String(200)),
    Column("model_version", String(100)),
    Column("decision", JSON, nullable=False),
    Index("ix_review_decisions_review", "review_id", "id"),
)

# Which reviewer is to review which text (the queue's "assigned to me").
review_assignments = Table(
    "review_assignments",
    metadata,
    Column("content_hash", String(64), primary_key=True),
    Column("reviewer", String(200), primary_key=True),
    Column("assigned_at", DateTime, nullable=False),
    Column("assigned_by", String(200)),
    Index("ix_review_assignments_reviewer", "reviewer", "content_hash"),
)
