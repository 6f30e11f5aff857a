"""The Analyzer: Article in, Analysis out, one article or a stream of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from .analysis import QUALITY_NOTE, Analysis, LabelScore, ParagraphAnalysis, Span, TechniqueScore
from .article import Article
from .config import default_model_path
from .errors import InputError, UnspinError
from .model.bundle import Bundle, load_bundle
from .model.decode import (
    DecodeSettings,
    ParagraphHead,
    SpanCandidate,
    TechniqueCandidate,
    decode_paragraph,
)
from .model.heads import article_embedding, article_features
from .model.inference import (
    ParagraphPrediction,
    aggregate,
    bf16_supported,
    pooled_lower_states,
    run_windows,
    window_inputs,
)

MAX_ARTICLE_CHARS = 2_000_000

OnError = Literal["raise", "skip"]


class AnalyzerLike(Protocol):
    """What batch runs need of an analyzer: :class:`Analyzer`, or the server's queue in front of one."""

    bundle: Bundle  # its tokenizer sizes the batches

    def analyze(self, article: Article) -> Analysis: ...

    def analyze_many(self, articles: Sequence[Article]) -> list[Analysis]: ...


class Analyzer:
    """Find techniques, frames and genre in articles with a loaded model bundle.

    ``batch_tokens`` bounds the padded tokens per forward pass: on a 2-core CPU, budgets of
    512 to 4,096 tokens ran about 25% faster than 8,192 (the activations stay in cache);
    see docs/benchmarks.md.

    Examples
    --------
    >>> analyzer = Analyzer.from_bundle("src/unspin/models/unspin-e5-small")  # doctest: +SKIP
    >>> analysis = analyzer("date 2022-03-11 They will never give up!")  # doctest: +SKIP
    """

    def __init__(
        self,
        bundle: Bundle,
        *,
        batch_tokens: int = 1024,
        bf16: bool | None = None,
        technique_threshold: float | None = None,
        span_threshold: float | None = None,
        decoding: DecodeSettings | None = None,
    ) -> None:
        self.bundle = bundle
        self.batch_tokens = batch_tokens
        self.bf16 = bf16_supported() if bf16 is None else bf16
        self.technique_threshold = (
            technique_threshold if technique_threshold is not None else bundle.thresholds["technique"]
        )
        self.span_threshold = span_threshold if span_threshold is not None else bundle.thresholds["span"]
        self.decoding = decoding or DecodeSettings.from_meta(bundle.meta)
        head = bundle.net.paragraph_head
        self._paragraph_head = ParagraphHead(head.weight.detach().float().numpy(), head.bias.detach().float().numpy())

    @classmethod
    def from_bundle(cls, path: str | Path | None = None, **overrides: object) -> Analyzer:
        return cls(load_bundle(path or default_model_path()), **overrides)  # type: ignore[arg-type]

    @property
    def model_info(self) -> dict[str, str]:
        info = {"name": self.bundle.meta["name"], "version": self.bundle.meta["version"]}
        lines = self.bundle.meta.get("metrics", {}).get("views", {}).get("lines")
        if lines:  # the mean over validation languages, at the bundle's default thresholds
            mean = {
                k: sum(v[k] for v in lines.values()) / len(lines)
                for k in ("span_precision", "span_recall", "paragraph_precision", "paragraph_recall")
            }
            info["quality"] = QUALITY_NOTE % {k: f"{v:.0%}" for k, v in mean.items()}  # English, as JSON is
        return info

    def __call__(self, article: Article | str) -> Analysis:
        return self.analyze(article)

    def analyze(self, article: Article | str) -> Analysis:
        return self.analyze_many([article])[0]

    def analyze_many(self, articles: Iterable[Article | str]) -> list[Analysis]:
        """Analyse articles together, batching their paragraphs for speed."""
        parsed = [_as_article(a) for a in articles]
        return [self.decode(a, p) for a, p in zip(parsed, self.predict(parsed), strict=False)]

    def predict(self, articles: Sequence[Article]) -> list[list[ParagraphPrediction]]:
        """The network's scores for every paragraph of every article (the costly step of :meth:`analyze_many`)."""
        predictions = iter(self._predict([p.text for a in articles for p in a.paragraphs]))
        return [[next(predictions) for _ in a.paragraphs] for a in articles]

    def embed(self, articles: Sequence[Sequence[str]]) -> np.ndarray:
        """One unit-length embedding per article, given each article's paragraph texts.

        The same vector an analysis carries (:func:`unspin.model.heads.article_embedding`),
        from the frozen lower layers only, so about half the cost of :meth:`analyze_many`.
        """
        tokenizer, settings = self.bundle.tokenizer, self.bundle.settings
        texts = [paragraph for paragraphs in articles for paragraph in paragraphs]
        tokenized = tokenizer.tokenize(texts)
        inputs = window_inputs(
            tokenized, settings["max_tokens"], settings["stride"], tokenizer.bos_id, tokenizer.eos_id
        )
        pooled = pooled_lower_states(
            self.bundle.net, inputs, tokenizer.pad_id, batch_tokens=self.batch_tokens, bf16=self.bf16
        )
        by_paragraph = np.zeros((len(texts), pooled.shape[1]), np.float32)
        windows = np.zeros(len(texts), np.float32)
        for window, vector in zip(inputs, pooled, strict=False):
            by_paragraph[window.paragraph] += vector
            windows[window.paragraph] += 1
        by_paragraph /= np.maximum(windows, 1)[:, None]  # the mean over a paragraph's windows
        weights = np.array([max(len(t.ids), 1) for t in tokenized], np.float32)[:, None]
        vectors, first = [], 0
        for paragraphs in articles:
            last = first + len(paragraphs)
            vector = (by_paragraph[first:last] * weights[first:last]).sum(0)
            vectors.append(vector / max(float(np.linalg.norm(vector)), 1e-12))
            first = last
        return np.stack(vectors).astype(np.float32)

    def cost(self, article: Article) -> int:
        """The model tokens analysing ``article`` takes: its paragraphs' tokens and two markers each.

        What the server's compute budget counts (time grows with it, roughly linearly).
        """
        counts = self.bundle.tokenizer.count([p.text for p in article.paragraphs])
        return sum(counts) + 2 * len(counts)

    def with_thresholds(self, technique: float | None = None, span: float | None = None) -> Analyzer:
        """The same model with other confidence thresholds (``None`` keeps the current one)."""
        copy = _copy(self)
        copy.technique_threshold = self.technique_threshold if technique is None else technique
        copy.span_threshold = self.span_threshold if span is None else span
        return copy

    def with_decoding(self, decoding: DecodeSettings) -> Analyzer:
        """The same model decoding its scores with other settings (used to fit and compare them)."""
        copy = _copy(self)
        copy.decoding = decoding
        return copy

    def pipe(
        self,
        articles: Iterable[Article | str],
        *,
        batch_size: int = 16,
        on_error: OnError = "raise",
        error_handler: Callable[[Article | str, UnspinError], None] | None = None,
    ) -> Iterator[Analysis]:
        """Stream analyses in input order; with ``on_error="skip"`` a bad document is reported and skipped."""
        batch: list[Article] = []
        for item in articles:
            try:
                batch.append(_as_article(item))
            except UnspinError as exc:
                if on_error == "raise":
                    raise
                if error_handler:
                    error_handler(item, exc)
                continue
            if len(batch) >= batch_size:
                yield from self.analyze_many(batch)
                batch = []
        if batch:
            yield from self.analyze_many(batch)

    def _predict(self, texts: list[str]) -> list[ParagraphPrediction]:
        tokenizer, settings = self.bundle.tokenizer, self.bundle.settings
        tokenized = tokenizer.tokenize(texts)
        inputs = window_inputs(
            tokenized, settings["max_tokens"], settings["stride"], tokenizer.bos_id, tokenizer.eos_id
        )
        outputs = run_windows(self.bundle.net, inputs, tokenizer.pad_id, batch_tokens=self.batch_tokens, bf16=self.bf16)
        return aggregate(tokenized, inputs, outputs)

    def decode(self, article: Article, predictions: Sequence[ParagraphPrediction]) -> Analysis:
        """Turn one article's network scores into its Analysis (cheap: no network pass)."""
        paragraphs = tuple(
            self._paragraph(article, p, q) for p, q in zip(article.paragraphs, predictions, strict=False)
        )
        features = article_features(predictions)[None, :]
        genre_probs = self.bundle.genre_head.predict_proba(features)[0]
        frame_probs = self.bundle.frames_head.predict_proba(features)[0]
        frames = self.bundle.frames
        chosen = [i for i in np.argsort(-frame_probs) if frame_probs[i] >= self.bundle.thresholds["frame"]]
        chosen = chosen or [int(frame_probs.argmax())]
        return Analysis(
            article=article,
            genre=self.bundle.genres[int(genre_probs.argmax())],
            genre_probabilities=dict(zip(self.bundle.genres, map(float, genre_probs), strict=False)),
            frames=tuple(LabelScore(frames[i], float(frame_probs[i])) for i in chosen),
            frame_probabilities=dict(zip(frames, map(float, frame_probs), strict=False)),
            paragraphs=paragraphs,
            model=self.model_info,
            embedding=article_embedding(predictions),
            thresholds={"technique": self.technique_threshold, "span": self.span_threshold},
            genre_uncertain=self._genre_uncertain(article, genre_probs),
        )

    def _genre_uncertain(self, article: Article, genre_probs: np.ndarray) -> bool:
        """Below the bundle's confidence bar, or too short to tell reporting from opinion or satire."""
        rule = self.bundle.meta.get("genre", {})
        words = len(article.text.split())
        return bool(genre_probs.max() < rule.get("min_confidence", 0.0) or words < rule.get("min_words", 0))

    def _paragraph(self, article: Article, paragraph, prediction: ParagraphPrediction) -> ParagraphAnalysis:
        labels = self.bundle.techniques
        techniques, candidates = decode_paragraph(paragraph.text, prediction, self._paragraph_head, self.decoding)
        labelled = {t.label for t in techniques if t.confidence >= self.technique_threshold}
        spans = [
            s
            for s in candidates
            if s.confidence >= self.span_threshold and (self.decoding.span_first or s.label in labelled)
        ]  # legacy bundles: only labelled techniques
        shown_spans = {id(s) for s in spans}
        shown = [t for t in techniques if t.label in labelled]

        def span(c: SpanCandidate) -> Span:
            a, b = paragraph.start + c.start, paragraph.start + c.end
            return Span(a, b, labels[c.label], c.confidence, article.text[a:b])

        def score(t: TechniqueCandidate) -> TechniqueScore:
            return TechniqueScore(
                labels[t.label], t.confidence, (paragraph.start + t.evidence[0], paragraph.start + t.evidence[1])
            )

        return ParagraphAnalysis(
            paragraph.number,
            paragraph.start,
            paragraph.end,
            tuple(map(score, shown)),
            tuple(span(c) for c in candidates if id(c) in shown_spans),
            tuple(score(t) for t in techniques if t not in shown),
            tuple(span(c) for c in candidates if id(c) not in shown_spans),
        )


def _copy(analyzer: Analyzer) -> Analyzer:
    copy = object.__new__(Analyzer)
    copy.__dict__.update(analyzer.__dict__)
    return copy


def _as_article(item: Article | str) -> Article:
    if isinstance(item, Article):
        article = item
    elif isinstance(item, str):
        article = Article.from_text(item)
    else:
        raise InputError(f"expected an Article or a str, got {type(item).__name__}")
    if len(article.text) > MAX_ARTICLE_CHARS:
        raise InputError(f"the article has {len(article.text):,} characters; the limit is {MAX_ARTICLE_CHARS:,}")
    return article
