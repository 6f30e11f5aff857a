"""The shipped demo corpus loads, is varied enough for a dashboard, and matches its generator."""

from __future__ import annotations

import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from unspin.analysis import Analysis
from unspin.article import Article
from unspin.store.demo import DEMO_CORPUS, demo_analyses

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
EMBEDDING_SIZE = 384  # multilingual-e5-small's hidden size


@pytest.fixture(scope="module")
def generator():
    sys.path.insert(0, str(SCRIPTS))
    try:
        import make_demo_corpus
    finally:
        sys.path.remove(str(SCRIPTS))
    return make_demo_corpus


@pytest.fixture(scope="module")
def analyses():
    return list(demo_analyses())


def test_the_corpus_is_small_and_loads(analyses):
    assert DEMO_CORPUS.stat().st_size < 3 * 2**20
    assert 500 <= len(analyses) <= 700


def test_each_line_round_trips_exactly():
    with gzip.open(DEMO_CORPUS, "rt", encoding="utf-8") as lines:
        for line in lines:
            document = json.loads(line)
            assert Analysis.from_dict(document).to_dict(embedding=True) == document


def test_it_spans_languages_outlets_and_a_year(analyses):
    articles = [a.article for a in analyses]
    assert len({a.language for a in articles}) >= 3
    assert len({a.source for a in articles}) >= 5
    dates = [a.date for a in articles]
    assert (max(dates) - min(dates)).days >= 300
    assert all(a.id and a.title and a.url for a in articles)
    assert len({a.content_hash for a in articles}) == len(articles)  # the store keys articles by it


def test_every_analysis_has_an_embedding(analyses):
    for analysis in analyses:
        assert analysis.embedding is not None and analysis.embedding.shape == (EMBEDDING_SIZE,)


def test_paragraph_offsets_match_a_fresh_parse(analyses):
    # Analysis.from_dict already checked every span against the text.
    for analysis in analyses:
        parsed = Article.from_text(analysis.article.text)
        assert [(p.start, p.end) for p in parsed.paragraphs] == [(p.start, p.end) for p in analysis.paragraphs]
        assert parsed.date == analysis.article.date


def test_persuasive_outlets_show_more_techniques(generator, analyses):
    per_paragraph = defaultdict(list)
    style = {o.name: o.style for o in generator.OUTLETS}
    for analysis in analyses:
        per_paragraph[style[analysis.article.source]] += [len(p.techniques) for p in analysis.paragraphs]
    mean = {s: sum(counts) / len(counts) for s, counts in per_paragraph.items()}
    assert mean["persuasive"] > 2 * mean["reporting"]


def test_generation_is_deterministic(generator):
    first = generator.generate_articles(seed=7)
    assert first == generator.generate_articles(seed=7)
    assert [a.text for a in first] != [a.text for a in generator.generate_articles(seed=8)]


def test_the_shipped_file_is_what_the_generator_writes(generator, analyses):
    shipped = {a.article.id: a.article.text for a in analyses}
    generated = {a.id: a.text for a in generator.generate_articles()}
    assert shipped == generated
