"""Fine-tune a model bundle on reviewed articles: ``unspin train --base BUNDLE --extra reviewed.jsonl``.

The network starts from the bundle's weights. Only its top two encoder layers and the
technique heads train further (the layers below run once and their output is cached, as in
:mod:`unspin.train.trainer`), for one epoch at a low learning rate, on

- the reviewed articles (JSON Lines, :mod:`unspin.review.jsonl`): a review's spans are the
  token targets, its paragraph labels the paragraph targets (the paragraph's techniques
  where the reviewer set them, else the techniques of its spans there; a paragraph with
  neither is a negative). Only reviews whose status is ``done`` count; where reviewers
  disagree on one text, the latest review wins;
- mixed with a replay sample of the original training data (three SemEval train paragraphs
  per reviewed one, at most 3,000, drawn with a fixed seed, never from the validation
  split), so that the model keeps what it knew.

Afterwards each technique's head biases are shifted back to the base's rates on unlabelled
reference text (:mod:`unspin.train.anchor`). Fewer layers, one epoch, more replay and the
anchoring were each measured against the first recipe (six layers, three epochs, 1:1
replay) in docs/benchmarks.md: less forgetting, and 0.42 times the fitting time with
twice the paragraphs.

A fixed, hashed 20% of the reviewed articles (by text) never trains: it measures the
bundle before and after. With the SemEval data, so does the validation split, per
language. Both use the same decoding: the base bundle's calibration curves and thresholds
are kept, since a reviewed set of tens to hundreds of articles is smaller than the
validation split they were fitted on (refit them on that split with ``unspin calibrate``).
The frame and genre heads are kept too. The bundle is written in the same format and size,
with a model card that names the base, the extra data and the figures before and after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..analyzer import Analyzer
from ..article import Article
from ..errors import InputError
from ..files import write_atomically
from ..formats.semeval import LabelledSpan
from ..model.bundle import Bundle, load_bundle
from ..review.jsonl import read_reviewed
from ..review.model import Review, ReviewSpan
from ..split import hash_share, is_validation
from ..taxonomy import TECHNIQUE_LABELS
from .anchor import anchor_heads, build_reference
from .data import ParagraphExample, load_paragraphs
from .trainer import TrainConfig, config_record, fit_or_load, seed_everything
from .views import GoldArticle, ViewScores, load_gold_articles, score_view

log = logging.getLogger("unspin.train")

HOLDOUT_SALT = "unspin-finetune-holdout-v1"
HOLDOUT_SHARE = 0.2
USED_STATUSES = ("done",)
SUMMARY_KEYS = ("paragraph_micro_f1", "article_micro_f1", "span_f1")
_WORK_FILES = ("checkpoint.pt", "fitted.pt", "fit-seconds.txt")


@dataclass
class FinetuneConfig:
    """The fine-tuning recipe: a short schedule at a low learning rate, from the bundle's weights."""

    seed: int = 13
    layers: int = 2  # top encoder layers trained (at most the base's trainable ones); fewer is faster
    epochs: int = 1
    learning_rate: float = 3e-5  # the upper encoder layers (the first training used 1e-4)
    head_learning_rate: float = 3e-4  # the technique heads (first training: 1e-3)
    warmup_share: float = 0.1
    replay: float = 3.0  # SemEval train paragraphs mixed in per reviewed paragraph,
    max_replay: int = 3000  # but no more than this many, so that a large reviewed set still fits in minutes
    anchor: bool = True  # keep the base's rates on unlabelled reference text (unspin.train.anchor)
    anchor_paragraphs: int = 100  # reference paragraphs per language
    quick: bool = False  # validation figures on the two shortest articles per language (tests)
    name: str | None = None  # default: the base bundle's name
    version: str | None = None  # default: the base version + "+ft.<date>.<extra file digest>"
    device: str = "auto"  # where the fit runs (TrainConfig.device, unspin train --device)

    def replay_count(self, reviewed_paragraphs: int) -> int:
        """How many SemEval train paragraphs to replay beside ``reviewed_paragraphs`` reviewed ones."""
        return min(round(self.replay * reviewed_paragraphs), self.max_replay)

    @classmethod
    def quick_config(cls) -> FinetuneConfig:
        return cls(epochs=1, quick=True, anchor_paragraphs=5)

    def train_config(self, settings: dict[str, Any], depth: int, languages: Sequence[str]) -> TrainConfig:
        """The :class:`TrainConfig` the trainer's windows, loss and checkpoints read (the base's network settings).

        Its ``frozen_layers`` leaves the top ``layers`` of the ``depth`` encoder layers to train,
        never one the base froze (the bundle stores only the base's trainable layers).
        """
        return TrainConfig(
            seed=self.seed,
            frozen_layers=max(settings["frozen_layers"], depth - self.layers),
            max_tokens=settings["max_tokens"],
            stride=settings["stride"],
            epochs=self.epochs,
            learning_rate=self.learning_rate,
            head_learning_rate=self.head_learning_rate,
            warmup_share=self.warmup_share,
            checkpoint_every=100,
            device=self.device,
            languages=tuple(languages),
        )


# --- the reviewed articles ----------------------------------------------------------------


def is_held_out(content_hash: str) -> bool:
    """True for the fixed 20% of reviewed texts that never train (they measure before and after)."""
    return hash_share(HOLDOUT_SALT, content_hash) < HOLDOUT_SHARE


@dataclass(frozen=True)
class ReviewedExample:
    """One reviewed text (the review that counts for it), keyed by its content hash."""

    article: Article  # id replaced by the content hash: unique, and what gold spans name
    review: Review
    reviewers: tuple[str, ...]  # everyone who reviewed this text

    @property
    def language(self) -> str:
        return self.article.language or "unknown"

    @property
    def held_out(self) -> bool:
        return is_held_out(self.review.content_hash)

    def labels(self) -> dict[int, tuple[str, ...]]:
        """Each paragraph's techniques: the reviewer's where set, else those of the review's spans in it."""
        labels = {}
        for p in self.article.paragraphs:
            explicit = self.review.paragraphs.get(p.number)
            found = explicit if explicit is not None else [s.technique for s in self._spans_in(p.start, p.end)]
            labels[p.number] = tuple(sorted(set(found), key=TECHNIQUE_LABELS.index))
        return labels

    def gold(self) -> GoldArticle:
        key = self.article.id or ""
        spans = tuple(LabelledSpan(key, s.technique, s.start, s.end) for s in self.review.spans)
        return GoldArticle(self.article, self.language, self.labels(), spans)

    def paragraphs(self) -> list[ParagraphExample]:
        """Training examples: every paragraph, its labels, and the review's spans clipped to it."""
        labels = self.labels()
        examples = []
        for p in self.article.paragraphs:
            spans = [
                (max(s.start, p.start) - p.start, min(s.end, p.end) - p.start, s.technique)
                for s in self._spans_in(p.start, p.end)
            ]
            examples.append(
                ParagraphExample(self.article.id or "", self.language, p.number, p.text, labels[p.number], spans)
            )
        return examples

    def _spans_in(self, start: int, end: int) -> list[ReviewSpan]:
        return [s for s in self.review.spans if s.start < end and s.end > start]


@dataclass
class ReviewedSet:
    path: Path
    sha256: str
    records: int
    examples: list[ReviewedExample]
    skipped: dict[str, int] = field(default_factory=dict)  # status (or "duplicate") -> records left out

    @property
    def training(self) -> list[ReviewedExample]:
        return [e for e in self.examples if not e.held_out]

    @property
    def held_out(self) -> list[ReviewedExample]:
        return [e for e in self.examples if e.held_out]

    def summary(self) -> dict[str, Any]:
        languages: dict[str, dict[str, int]] = {}
        for e in self.examples:
            counts = languages.setdefault(e.language, dict.fromkeys(("articles", "held_out", "paragraphs", "spans"), 0))
            counts["articles"] += 1
            counts["held_out"] += int(e.held_out)
            counts["paragraphs"] += len(e.article.paragraphs)
            counts["spans"] += len(e.review.spans)
        return {
            "file": self.path.name,
            "sha256": self.sha256,
            "records": self.records,
            "articles": len(self.examples),
            "held_out": len(self.held_out),
            "held_out_share": HOLDOUT_SHARE,
            "statuses_used": list(USED_STATUSES),
            "skipped": dict(self.skipped),
            "languages": dict(sorted(languages.items())),
            "reviewers": sorted({r for e in self.examples for r in e.reviewers}),
        }


def load_reviewed(path: Path) -> ReviewedSet:
    """Read and check the whole file (a malformed line is an InputError naming it) before any training."""
    records: list[tuple[Article, Review]] = [(r.article, r.review) for r in read_reviewed(path)]
    skipped: Counter[str] = Counter()
    chosen: dict[str, tuple[Article, Review]] = {}
    reviewers: dict[str, set[str]] = {}
    for article, review in records:
        if review.status not in USED_STATUSES:
            skipped[review.status] += 1
            continue
        numbers = {p.number for p in article.paragraphs}
        unknown = sorted(set(review.paragraphs) - numbers)
        if unknown:
            raise InputError(
                f"{path}: the review of article {article.id or review.content_hash[:12]} labels paragraph "
                f"{unknown[0]}, which the article does not have (paragraphs {min(numbers)}-{max(numbers)})"
            )
        key = review.content_hash
        reviewers.setdefault(key, set()).add(review.reviewer)
        if key in chosen:
            skipped["duplicate"] += 1
            if _stamp(review) < _stamp(chosen[key][1]):
                continue
        chosen[key] = (article, review)
    if not chosen:
        found = ", ".join(f"{n} {status}" for status, n in sorted(skipped.items())) or "no records"
        raise InputError(f"{path}: no review with status done to train on ({found})")
    examples = [
        ReviewedExample(replace(article, id=key), review, tuple(sorted(reviewers[key])))
        for key, (article, review) in chosen.items()
    ]
    return ReviewedSet(path, _file_sha256(path), len(records), examples, dict(skipped))


def _stamp(review: Review) -> dt.datetime:
    stamp = review.updated_at or dt.datetime.min
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- replay -------------------------------------------------------------------------------


def replay_sample(data_dir: Path, languages: Sequence[str], count: int, seed: int) -> list[ParagraphExample]:
    """``count`` paragraphs of the SemEval train part (never a validation article), drawn with ``seed``."""
    pool = [p for p in load_paragraphs(data_dir, tuple(languages)) if not p.validation]
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(len(pool), size=min(count, len(pool)), replace=False).tolist())
    return [pool[i] for i in chosen]


# --- fine-tuning --------------------------------------------------------------------------


def training_paragraphs(
    reviewed: ReviewedSet, data_dir: Path | None, languages: Sequence[str], config: FinetuneConfig
) -> tuple[list[ParagraphExample], list[ParagraphExample]]:
    """The reviewed paragraphs that train, and the SemEval train paragraphs replayed beside them (none without data)."""
    extra = [p for e in reviewed.training for p in e.paragraphs()]
    replayed = replay_sample(data_dir, languages, config.replay_count(len(extra)), config.seed) if data_dir else []
    return extra, replayed


def finetune(base: Path, extra: Path, out_dir: Path, config: FinetuneConfig, data_dir: Path | None = None) -> Bundle:
    """Fine-tune the bundle at ``base`` on the reviewed articles in ``extra`` and write it to ``out_dir``.

    Resumable like ``unspin train``: the fit checkpoints in ``<out>.work`` and a rerun with the
    same inputs and recipe resumes; other inputs start afresh.
    """
    started = time.time()
    reviewed = load_reviewed(extra)
    if not reviewed.training:
        raise InputError(
            f"{extra}: all {len(reviewed.examples)} reviewed articles fall in the held-out {HOLDOUT_SHARE:.0%}; "
            "review more articles to fine-tune on"
        )
    bundle = load_bundle(base)
    if bundle.techniques != list(TECHNIQUE_LABELS):
        raise InputError(f"{base}: its techniques are not this unspin's {len(TECHNIQUE_LABELS)}; cannot fine-tune it")
    base_meta = json.loads(json.dumps(bundle.meta))  # a copy: the figures below describe the base as it was
    languages = base_meta.get("training", {}).get("languages") or []
    net = bundle.net
    train_config = config.train_config(bundle.settings, len(net.encoder.layers), languages)
    extra_paragraphs, replayed = training_paragraphs(reviewed, data_dir, languages, config)
    validation = _validation_gold(data_dir, languages, config.quick) if data_dir is not None else {}
    reference = (
        build_reference(data_dir, languages, bundle.tokenizer, bundle.settings, config.anchor_paragraphs, config.seed)
        if data_dir is not None and config.anchor
        else None
    )
    log.info(
        "fine-tuning %s %s on %d reviewed articles (%d paragraphs; %d held out) and %d replayed paragraphs",
        base_meta["name"],
        base_meta["version"],
        len(reviewed.training),
        len(extra_paragraphs),
        len(reviewed.held_out),
        len(replayed),
    )
    held_out: dict[str, list[GoldArticle]] = {}
    for e in sorted(reviewed.held_out, key=lambda e: e.language):
        held_out.setdefault(e.language, []).append(e.gold())
    held_out["all"] = [g for gold in held_out.values() for g in gold]
    before = _figures(Analyzer(bundle), held_out, validation)
    base_rates = reference.rates(net) if reference else None
    log.info("before: %s", json.dumps(_summaries(before)))

    work_dir = out_dir.with_name(out_dir.name + ".work")
    _prepare_work_dir(
        work_dir,
        {
            "base": _file_sha256(base / "network.safetensors"),
            "extra": reviewed.sha256,
            "data": str(data_dir),
            "recipe": {k: v for k, v in asdict(config).items() if k != "device"},  # a fit resumes on any device
        },
    )
    seed_everything(config.seed)
    fit_started, timing = time.time(), work_dir / "fit-seconds.txt"
    resumed = (work_dir / "fitted.pt").is_file()
    net.frozen_layers = train_config.frozen_layers  # cache below the trained layers, train above
    fit_or_load(net, bundle.tokenizer, extra_paragraphs + replayed, train_config, work_dir, fit_started)
    net.frozen_layers = bundle.settings["frozen_layers"]  # the bundle's split: what it saves and loads
    if resumed and timing.is_file():  # the fit of the run that finished it
        fit_seconds = float(timing.read_text())
    else:
        fit_seconds = time.time() - fit_started
        write_atomically(timing, f"{fit_seconds:.1f}")
    log.info("fitted in %.0f s", fit_seconds)
    net.eval()
    anchor = None
    if reference and base_rates:
        anchor = {"paragraphs": reference.paragraphs, "languages": reference.languages}
        anchor["shifts"] = anchor_heads(net, reference, base_rates)
        log.info("anchored the head biases on %d reference paragraphs", reference.paragraphs)
    after = _figures(Analyzer(bundle), held_out, validation)
    log.info("after: %s", json.dumps(_summaries(after)))

    bundle.meta = _meta(base, base_meta, reviewed, replayed, config, train_config, before, after, fit_seconds)
    bundle.meta["finetune"]["anchor"] = anchor
    bundle.meta["finetune"]["seconds_in_all"] = round(time.time() - started)
    bundle.save(out_dir)
    write_atomically(out_dir / "README.md", finetune_card(bundle.meta))
    log.info("saved the fine-tuned bundle to %s (%.0f s in all)", out_dir, time.time() - started)
    return bundle


def fine_tuned_version(base_version: str, day: dt.date, digest: str) -> str:
    """``0.2.0+ft.20261207.3f9a1c``: the base release, and a local part naming the day and the reviewed file.

    A fine-tuned bundle's analyses are stored under their own version in a corpus; a
    fine-tune of a fine-tune keeps the earlier local part (``0.2.0+ft.20261207.3f9a1c.ft.20270110.77aa02``).
    """
    release, _, local = base_version.partition("+")
    return f"{release}+{local + '.' if local else ''}ft.{day:%Y%m%d}.{digest[:6]}"


def _validation_gold(data_dir: Path, languages: Sequence[str], quick: bool) -> dict[str, list[GoldArticle]]:
    gold = {}
    for language in languages:
        articles = load_gold_articles(data_dir, language, is_validation)
        gold[language] = sorted(articles, key=lambda g: len(g.article.text))[:2] if quick else articles
    return gold


def _figures(
    analyzer: Analyzer, held_out: dict[str, list[GoldArticle]], validation: dict[str, list[GoldArticle]]
) -> dict[str, dict[str, dict]]:
    """Scores of ``analyzer`` on the held-out reviewed articles (per language and all) and on validation."""
    return {
        "held_out": {k: _score(analyzer, gold).as_dict() for k, gold in held_out.items() if gold},
        "validation": {k: _score(analyzer, gold).as_dict() for k, gold in validation.items() if gold},
    }


def _score(analyzer: Analyzer, gold: Sequence[GoldArticle]) -> ViewScores:
    articles = [g.article for g in gold]
    analyses = [analyzer.decode(a, p) for a, p in zip(articles, analyzer.predict(articles), strict=False)]
    return score_view(gold, analyses)


def _summaries(figures: dict[str, dict[str, dict]]) -> dict[str, dict[str, float]]:
    summary = {}
    if "all" in figures["held_out"]:
        summary["held_out"] = {k: figures["held_out"]["all"][k] for k in SUMMARY_KEYS}
    if figures["validation"]:
        summary["validation_mean"] = _mean(figures["validation"].values())
    return summary


def _mean(scores: Iterable[dict]) -> dict[str, float]:
    rows = list(scores)
    return {f"mean_{k}": round(float(np.mean([r[k] for r in rows])), 4) for k in SUMMARY_KEYS}


def _prepare_work_dir(work_dir: Path, fingerprint: dict[str, Any]) -> None:
    """Keep a checkpoint only for the same base, reviewed file, data and recipe; else start afresh."""
    work_dir.mkdir(parents=True, exist_ok=True)
    stamp = work_dir / "finetune.json"
    text = json.dumps(fingerprint, sort_keys=True)
    if stamp.is_file() and stamp.read_text() == text:
        return
    for name in _WORK_FILES:
        (work_dir / name).unlink(missing_ok=True)
    for old in work_dir.glob("epoch*.pt"):
        old.unlink()
    write_atomically(stamp, text)


def _meta(
    base: Path,
    base_meta: dict[str, Any],
    reviewed: ReviewedSet,
    replayed: Sequence[ParagraphExample],
    config: FinetuneConfig,
    train_config: TrainConfig,
    before: dict[str, dict[str, dict]],
    after: dict[str, dict[str, dict]],
    seconds: float,
) -> dict[str, Any]:
    extra = reviewed.summary()
    replay_languages = Counter(p.language for p in replayed)
    languages = ", ".join(f"{k} {v['articles']}" for k, v in extra["languages"].items())
    description = (
        f"{base_meta['name']} {base_meta['version']} fine-tuned on {len(reviewed.training)} reviewed articles "
        f"({languages} in all, {len(reviewed.held_out)} held out)"
        + (f" and {len(replayed)} replayed SemEval-2023 train paragraphs" if replayed else ", without replay")
    )
    meta: dict[str, Any] = {
        key: base_meta[key]
        for key in ("labels", "encoder", "settings", "thresholds", "decoding", "genre")
        if key in base_meta
    }
    meta["name"] = config.name or base_meta["name"]
    meta["version"] = config.version or fine_tuned_version(base_meta["version"], dt.date.today(), reviewed.sha256)
    meta["training"] = {
        **config_record(train_config),
        "seconds": round(seconds),
        "replay": config.replay,
    }
    meta["data"] = {
        "description": description,
        "base": base_meta.get("data", {}),
        "extra": extra,
        "replay": {
            "paragraphs": len(replayed),
            "languages": dict(sorted(replay_languages.items())),
            "seed": config.seed,
            "source": "SemEval-2023 Task 3 train split minus the unspin validation split",
        },
    }
    validation_after = after["validation"]
    if validation_after:  # what the Analyzer's quality line reads: this network on validation, same decoding
        meta["metrics"] = {"views": {"lines": validation_after, "summary": _mean(validation_after.values())}}
    meta["finetune"] = {
        "base": {"name": base_meta["name"], "version": base_meta["version"], "path": str(base)},
        "quick": config.quick,
        "seconds": round(seconds),
        "decoding": "kept from the base bundle (calibration curves and thresholds)",
        "heads": "frame and genre heads kept from the base bundle",
        "figures": {
            "scorer": "unspin.train.views.score_view, the base bundle's decoding for both",
            "held_out": {"before": before["held_out"], "after": after["held_out"]},
            "validation": {
                "before": before["validation"],
                "after": validation_after,
                "summary": {
                    "before": _mean(before["validation"].values()) if validation_after else {},
                    "after": _mean(validation_after.values()) if validation_after else {},
                },
            },
        },
    }
    return meta


# --- the model card -----------------------------------------------------------------------


def finetune_card(meta: dict[str, Any]) -> str:
    """The README of a fine-tuned bundle: base, extra data, recipe, and the figures before and after."""
    tune, data = meta["finetune"], meta["data"]
    extra, replay = data["extra"], data["replay"]
    base, anchor = tune["base"], tune.get("anchor")
    training = meta["training"]
    languages = ", ".join(
        f"{k} {v['articles']} ({v['held_out']} held out, {v['paragraphs']} paragraphs, {v['spans']} spans)"
        for k, v in extra["languages"].items()
    )
    skipped = ", ".join(f"{n} {k}" for k, n in sorted(extra["skipped"].items())) or "none"
    lines = [
        f"# {meta['name']} {meta['version']}",
        "",
        f"Persuasion techniques (paragraphs and spans), frames and genre for news articles: "
        f"{base['name']} {base['version']} fine-tuned on reviewed articles.",
        "",
        f"- base model: {base['name']} {base['version']} (`{base['path']}`); its top "
        f"{meta['encoder']['layers'] - training['frozen_layers']} of {meta['encoder']['layers']} encoder layers "
        "and the technique heads were trained further, the others stay frozen",
        f"- extra data: `{extra['file']}` (sha256 {extra['sha256'][:12]}…), {extra['records']} records, "
        f"{extra['articles']} reviewed articles with status {' or '.join(extra['statuses_used'])} "
        f"(left out: {skipped}); languages: {languages}",
        f"- reviewers: {', '.join(extra['reviewers'])}",
        f"- held out: {extra['held_out']} articles (a fixed {extra['held_out_share']:.0%} by a hash of the text) "
        "never trained; they give the figures below",
        "- replay: "
        + (
            f"{replay['paragraphs']} paragraphs of the {replay['source']} (seed {replay['seed']}; "
            + ", ".join(f"{k} {v}" for k, v in replay["languages"].items())
            + ")"
            if replay["paragraphs"]
            else "none (no SemEval data given)"
        ),
        f"- recipe: {training['epochs']} epoch{'s' if training['epochs'] != 1 else ''}, AdamW {training['learning_rate']:g} for the layers and "
        f"{training['head_learning_rate']:g} for the heads, warm-up {training['warmup_share']:.0%}, seed "
        f"{training['seed']}, {'bf16' if training['bf16'] else 'fp32'}; {tune['seconds'] / 60:.1f} min of fitting "
        f"({tune.get('seconds_in_all', 0) / 60:.1f} min in all, with the figures)",
        f"- decoding: {tune['decoding']}; {tune['heads']}",
        "- anchoring: "
        + (
            f"each technique's head biases shifted so that the mean probabilities on {anchor['paragraphs']} "
            "unlabelled SemEval test paragraphs ("
            + ", ".join(f"{k} {v}" for k, v in anchor["languages"].items())
            + ") equal the base's there (unspin.train.anchor)"
            if anchor
            else "none"
        ),
        f"- thresholds: {json.dumps(meta['thresholds'])}",
    ]
    if tune.get("quick"):
        lines.append("- quick run (tests): one epoch, validation figures on the two shortest articles per language")
    figures = tune["figures"]
    lines += ["", "## Before and after: held-out reviewed articles", ""]
    lines += _table(figures["held_out"], "reviewed articles") or ["No reviewed article fell in the held-out part."]
    lines += ["", "## Before and after: unspin validation split (lines view)", ""]
    validation = figures["validation"]
    if validation["after"]:
        lines += _table(validation, "validation articles")
        b, a = validation["summary"]["before"], validation["summary"]["after"]
        lines += [
            "",
            "Means over languages, before → after: "
            + ", ".join(f"{k[5:]} {b[k]:.3f} → {a[k]:.3f}" for k in b)
            + ". Both with the base bundle's decoding, which was fitted on this split, so these are "
            "not cross-fitted figures (the base bundle's card has those).",
        ]
    else:
        lines.append("Not measured: no SemEval data was given (`--data`).")
    lines += ["", f"Scorer: {figures['scorer']}."]
    return "\n".join(lines) + "\n"


def _table(figures: dict[str, dict[str, dict]], what: str) -> list[str]:
    before, after = figures["before"], figures["after"]
    if not after:
        return []
    rows = [
        f"| lang | model | paragraphs ({what}) | paragraph P / R / micro-F1 | article micro-F1 | spans P / R / F1 |",
        "|---|---|---|---|---|---|",
    ]
    for language in after:
        for label, scores in (("before", before.get(language)), ("after", after[language])):
            if scores:
                rows.append(
                    f"| {language} | {label} | {scores['paragraphs']} | {scores['paragraph_precision']:.3f} / "
                    f"{scores['paragraph_recall']:.3f} / {scores['paragraph_micro_f1']:.3f} | "
                    f"{scores['article_micro_f1']:.3f} | {scores['span_precision']:.3f} / "
                    f"{scores['span_recall']:.3f} / {scores['span_f1']:.3f} |"
                )
    return rows
