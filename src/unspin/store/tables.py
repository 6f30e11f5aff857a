"""The corpus database schema, in SQLAlchemy Core (the migrations in migrations/ create it).

Analyses are normalised into articles, paragraphs, paragraph techniques, spans and
frames. Three ``agg_*`` tables hold counts per model, day, source and language, kept up to
date on import, so that dashboard queries read thousands of rows rather than millions.
Aggregates use ``''`` for an unknown source or language and :data:`UNDATED` for an
undated article, because key columns cannot be NULL.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON, Column, Date, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table,
    Text, UniqueConstraint,
)

UNDATED = dt.date(1, 1, 1)

metadata = MetaData()

models = Table(
    "models", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("version", String(100), nullable=False),
    Column("first_imported", DateTime, nullable=False),
    UniqueConstraint("name", "version", name="uq_models_name_version"),
)

articles = Table(
    "articles", metadata,
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
    UniqueConstraint("content_hash", "model_id", name="uq_articles_hash_model"),
    Index("ix_articles_model_date", "model_id", "date"),
    Index("ix_articles_model_source_date", "model_id", "source", "date"),
)

paragraphs = Table(
    "paragraphs", metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("words", Integer, nullable=False),
)

paragraph_techniques = Table(
    "paragraph_techniques", metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("paragraph", Integer, primary_key=True),
    Column("technique", String(64), primary_key=True),
    Column("confidence", Float, nullable=False),
    Index("ix_paragraph_techniques_technique", "technique", "article_id"),
)

spans = Table(
    "spans", metadata,
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
    Index("ix_spans_technique_phrase", "technique", "phrase"),
)

frames = Table(
    "frames", metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("frame", String(64), primary_key=True),
    Column("probability", Float, nullable=False),
    Index("ix_frames_frame", "frame", "article_id"),
)

embeddings = Table(
    "embeddings", metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("vector", LargeBinary, nullable=False),  # float16, unit length
)

narratives = Table(
    "narratives", metadata,
    Column("id", Integer, primary_key=True),
    Column("model_id", Integer, ForeignKey("models.id"), nullable=False),
    Column("label", Text, nullable=False),
    Column("terms", JSON, nullable=False),
    Column("size", Integer, nullable=False),
    Column("built_at", DateTime, nullable=False),
)

article_narratives = Table(
    "article_narratives", metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("narrative_id", Integer, ForeignKey("narratives.id", ondelete="CASCADE"), nullable=False),
    Column("probability", Float, nullable=False),
    Index("ix_article_narratives_narrative", "narrative_id"),
)


def _period_columns() -> list[Column]:
    return [Column("day", Date, primary_key=True), Column("week", Date, nullable=False),
            Column("month", Date, nullable=False)]


agg_articles = Table(
    "agg_articles", metadata,
    Column("model_id", Integer, primary_key=True),
    *_period_columns(),
    Column("source", String(500), primary_key=True),
    Column("language", String(16), primary_key=True),
    Column("genre", String(16), primary_key=True),
    Column("articles", Integer, nullable=False),
    Column("words", Integer, nullable=False),
    Column("paragraphs", Integer, nullable=False),
)

agg_labels = Table(
    "agg_labels", metadata,
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
)

AGG_KEYS = {
    "agg_articles": ("model_id", "day", "source", "language", "genre"),
    "agg_labels": ("model_id", "day", "source", "language", "kind", "label"),
}
