"""Synthetic analyses, for testing and benchmarking the store without running the model.

They are not model output: texts are drawn from a small vocabulary, techniques from
per-source rates (doubled after ``shift_date``, so that comparisons and change points have
something to find), and embeddings from a few "narrative" centres plus noise.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterator

import numpy as np

from ..analysis import Analysis, LabelScore, ParagraphAnalysis, Span, TechniqueScore
from ..article import Article
from ..taxonomy import FRAME_LABELS, TECHNIQUE_LABELS

WORDS = [
    "the",
    "government",
    "said",
    "minister",
    "people",
    "country",
    "energy",
    "prices",
    "border",
    "crisis",
    "election",
    "vote",
    "market",
    "security",
    "army",
    "health",
    "vaccine",
    "report",
    "officials",
    "week",
    "city",
    "workers",
    "company",
    "plan",
    "law",
    "court",
    "police",
    "agreement",
    "talks",
    "budget",
    "tax",
    "school",
    "hospital",
    "rain",
    "season",
    "league",
    "club",
]
NARRATIVE_WORDS = [
    ("energy", "prices", "gas", "winter"),
    ("border", "crisis", "migrants", "army"),
    ("election", "vote", "fraud", "ballot"),
    ("health", "vaccine", "hospital", "virus"),
]
EMBEDDING_DIM = 384
WORD = re.compile(r"\w+")


def synthetic_analyses(
    n: int,
    *,
    seed: int = 0,
    sources: int = 5,
    languages: tuple[str, ...] = ("en", "fr", "de"),
    start: dt.date = dt.date(2024, 1, 1),
    days: int = 365,
    shift_date: dt.date | None = dt.date(2024, 7, 1),
    model: dict[str, str] | None = None,
    paragraphs: tuple[int, int] = (3, 6),
) -> Iterator[Analysis]:
    """``n`` reproducible analyses from ``sources`` outlets named "Outlet 1"... over ``days`` days."""
    rng = random.Random(seed)
    centres = np.random.default_rng(seed).normal(size=(len(NARRATIVE_WORDS), EMBEDDING_DIM)).astype(np.float32)
    outlet_rates = [rng.uniform(0.05, 0.6) for _ in range(sources)]
    model = model or {"name": "synthetic", "version": "1"}
    for i in range(n):
        outlet = i % sources
        day = start + dt.timedelta(days=rng.randrange(days))
        narrative = rng.randrange(len(NARRATIVE_WORDS))
        rate = outlet_rates[outlet] * (2 if shift_date and day >= shift_date else 1)
        yield _analysis(
            rng,
            i,
            outlet,
            day,
            languages[outlet % len(languages)],
            narrative,
            rate,
            centres[narrative],
            model,
            paragraphs,
        )


def _analysis(
    rng: random.Random,
    i: int,
    outlet: int,
    day: dt.date,
    language: str,
    narrative: int,
    rate: float,
    centre: np.ndarray,
    model: dict[str, str],
    paragraph_range: tuple[int, int],
) -> Analysis:
    topic = NARRATIVE_WORDS[narrative]
    texts = [
        " ".join(
            rng.choice(topic) if rng.random() < 0.3 else rng.choice(WORDS) for _ in range(rng.randint(15, 60))
        ).capitalize()
        + "."
        for _ in range(rng.randint(*paragraph_range))
    ]
    body = "\n\n".join(texts)
    text = f"date {day.isoformat()} {body}"
    article = Article.from_text(
        text,
        id=f"synthetic-{i}",
        source=f"Outlet {outlet + 1}",
        language=language,
        url=f"https://outlet{outlet + 1}.test/{i}",
    )
    paragraphs = tuple(_paragraph(rng, article.text, p, rate) for p in article.paragraphs)
    frame_probs = {f: round(rng.random(), 4) for f in FRAME_LABELS}
    frames = tuple(LabelScore(f, p) for f, p in sorted(frame_probs.items(), key=lambda x: -x[1])[:2])
    genre_probs = dict(zip(("opinion", "reporting", "satire"), _simplex(rng, 3), strict=False))
    vector = centre + np.random.default_rng(i).normal(scale=0.6, size=EMBEDDING_DIM).astype(np.float32)
    return Analysis(
        article,
        max(genre_probs, key=genre_probs.__getitem__),
        genre_probs,
        frames,
        frame_probs,
        paragraphs,
        dict(model),
        vector / np.linalg.norm(vector),
    )


def _paragraph(rng: random.Random, text: str, p, rate: float) -> ParagraphAnalysis:
    techniques = [x for x in TECHNIQUE_LABELS if rng.random() < rate / (1 + TECHNIQUE_LABELS.index(x))]
    spans = []
    for technique in techniques:
        words = [(m.start(), m.end()) for m in WORD.finditer(text, p.start, p.end)]
        start, end = rng.choice(words)
        spans.append(Span(start, end, technique, round(rng.uniform(0.3, 1), 4), text[start:end]))
    return ParagraphAnalysis(
        p.number,
        p.start,
        p.end,
        tuple(TechniqueScore(x, round(rng.uniform(0.3, 1), 4)) for x in techniques),
        tuple(sorted(spans, key=lambda s: (s.start, s.end))),
    )


def _simplex(rng: random.Random, k: int) -> list[float]:
    values = [rng.random() + 1e-3 for _ in range(k)]
    total = sum(values)
    return [round(v / total, 4) for v in values]
