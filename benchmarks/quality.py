"""Quality of model bundles on the fixed validation split, the way users meet them.

    python benchmarks/quality.py --data ../shared/data/semeval2023 [--model DIR ...] [--variants] [--json out.json]

Each bundle analyses the validation articles exactly as `unspin analyze` would (the same
Analyzer) and is scored per language on two views (see :mod:`unspin.train.views`):
``lines``, the SemEval paragraphs as they are, and ``joined`` (English only), each
article's lines joined into paragraphs of 3-6 sentences. For each: paragraph micro-F1
(the official subtask-3 metric) and macro-F1, article-level micro-F1 (the union of an
article's labels), and technique-aware span precision/recall/F1 with partial-overlap
credit; frames micro-F1 (subtask 2) and genre macro-F1 (subtask 1) on the lines view.
``--variants`` also scores decoding variants of each bundle (sentence scores and
span-first labels each switched) from the same network scores.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from unspin.analyzer import Analyzer, default_model_path
from unspin.evaluate import score_frames, score_genre
from unspin.formats import semeval
from unspin.language import SEMEVAL_LANGUAGES
from unspin.split import is_validation
from unspin.train.views import joined_view, load_gold_articles, score_view

LANGUAGES = ("en", "fr", "ge", "it", "po", "ru")
COLUMNS = ("paragraph_micro_f1", "paragraph_macro_f1", "article_micro_f1", "span_precision", "span_recall", "span_f1")


def technique_views(analyzers: dict[str, Analyzer], data: Path, language: str) -> dict[str, dict[str, dict]]:
    """``{variant: {view: scores}}`` for one language; the network runs once per bundle and view."""
    gold = load_gold_articles(data, language, is_validation)
    views = {"lines": gold, **({"joined": joined_view(gold)} if language == "en" else {})}
    results: dict[str, dict[str, dict]] = {}
    predictions: dict[tuple[int, str], list] = {}
    for name, analyzer in analyzers.items():
        key = id(analyzer.bundle)
        for view, articles in views.items():
            if (key, view) not in predictions:
                predictions[key, view] = analyzer.predict([g.article for g in articles])
            analyses = [analyzer.decode(g.article, p) for g, p in zip(articles, predictions[key, view], strict=False)]
            results.setdefault(name, {})[view] = score_view(articles, analyses).as_dict()
    return results


def article_tasks(analyzer: Analyzer, root: Path, language: str) -> dict[str, float | int]:
    """Frames micro-F1 and genre macro-F1 (with the share of genres shown as uncertain)."""

    def validation(folder: str) -> list:
        return [a for a in semeval.read_articles(root / folder, SEMEVAL_LANGUAGES[language]) if is_validation(a.id)]

    frame_gold = semeval.read_frame_labels(root / "train-labels-subtask-2.txt")
    frame_articles = [a for a in validation("train-articles-subtask-2") if a.id in frame_gold]
    frames = score_frames(
        {a.id: frame_gold[a.id] for a in frame_articles},
        {x.article.id: [f.label for f in x.frames] for x in analyzer.pipe(frame_articles)},
    )
    genre_gold = semeval.read_genre_labels(root / "train-labels-subtask-1.txt")
    genre_articles = [a for a in validation("train-articles-subtask-1") if a.id in genre_gold]
    genres = list(analyzer.pipe(genre_articles))
    genre = score_genre({a.id: genre_gold[a.id] for a in genre_articles}, {x.article.id: x.genre for x in genres})
    return {
        "frames_micro_f1": round(frames.micro_f1, 4),
        "genre_articles": len(genres),
        "genre_macro_f1": round(genre.macro_f1, 4),
        "genre_uncertain": round(float(np.mean([x.genre_uncertain for x in genres])), 4) if genres else 0.0,
    }


def variants(analyzer: Analyzer, name: str) -> dict[str, Analyzer]:
    """The bundle as it is, then with sentence scores and span-first labels each switched the other way."""
    decoding = analyzer.decoding
    sentences = "without" if decoding.sentence_scores else "with"
    labels = "spans gated by the paragraph label" if decoding.span_first else "span-first labels"
    return {
        name: analyzer,
        f"{name} · {sentences} sentence scores": analyzer.with_decoding(
            replace(decoding, sentence_scores=not decoding.sentence_scores)
        ),
        f"{name} · {labels}": analyzer.with_decoding(replace(decoding, span_first=not decoding.span_first)),
    }


def markdown(results: dict[str, dict[str, dict]]) -> str:
    rows = [
        "| model | lang | view | paragraphs | paragraph micro-F1 | paragraph macro-F1 | article micro-F1 "
        "| spans P / R / F1 | frames micro-F1 | genre macro-F1 (uncertain) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for model, languages in results.items():
        for language, r in languages.items():
            for view, v in r["views"].items():
                article = r.get("article_tasks") if view == "lines" else None
                tail = (
                    f"{article['frames_micro_f1']:.3f} | {article['genre_macro_f1']:.3f} ({article['genre_uncertain']:.0%})"
                    if article
                    else "– | –"
                )
                rows.append(
                    f"| {model} | {language} | {view} | {v['paragraphs']} | {v['paragraph_micro_f1']:.3f} | "
                    f"{v['paragraph_macro_f1']:.3f} | {v['article_micro_f1']:.3f} | {v['span_precision']:.3f} / "
                    f"{v['span_recall']:.3f} / {v['span_f1']:.3f} | {tail} |"
                )
        lines = [r["views"]["lines"] for r in languages.values()]
        means = " · ".join(
            f"{k} {np.mean([v[k] for v in lines]):.3f}" for k in ("paragraph_micro_f1", "article_micro_f1", "span_f1")
        )
        rows.append(f"| {model} | mean | lines | | {means} | | | | | |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument(
        "--model", type=Path, action="append", help="a bundle (repeat to compare; default: the shipped one)"
    )
    parser.add_argument("--language", action="append", choices=LANGUAGES)
    parser.add_argument("--variants", action="store_true", help="also score decoding variants of each bundle")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--precision",
        choices=("auto", "fp32", "bf16"),
        default="auto",
        help="auto: bf16 autocast where the CPU has bf16 instructions",
    )
    args = parser.parse_args()
    bf16 = {"auto": None, "fp32": False, "bf16": True}[args.precision]
    analyzers: dict[str, Analyzer] = {}
    for path in args.model or [default_model_path()]:
        analyzer = Analyzer.from_bundle(path, bf16=bf16)
        name = f"{analyzer.model_info['name']} {analyzer.model_info['version']}"
        analyzers.update(variants(analyzer, name) if args.variants else {name: analyzer})
    results: dict[str, dict[str, dict]] = {name: {} for name in analyzers}
    for language in args.language or LANGUAGES:
        for name, views in technique_views(analyzers, args.data, language).items():
            results[name][language] = {"views": views}
        for name, analyzer in analyzers.items():
            if "·" not in name:
                results[name][language]["article_tasks"] = article_tasks(analyzer, args.data / language, language)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print(markdown(results))


if __name__ == "__main__":
    main()
