"""Quality of a model bundle on the fixed validation split, with the official metrics.

    python benchmarks/quality.py --data ../shared/data/semeval2023 [--model DIR] [--json out.json]

The bundle analyses the validation articles exactly as `unspin analyze` would (the same
Analyzer), and the official scorers of `unspin.evaluate` score the result per language:
techniques micro/macro-F1 (subtask 3), frames micro-F1 (subtask 2), genre macro-F1
(subtask 1) and span precision/recall/F1, technique-agnostic and technique-aware.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from unspin.analyze import Analyzer
from unspin.evaluate import score_frames, score_genre, score_spans, score_techniques
from unspin.formats import semeval
from unspin.language import SEMEVAL_LANGUAGES
from unspin.split import is_validation

LANGUAGES = ("en", "fr", "ge", "it", "po", "ru")


def validation_articles(folder: Path, language: str) -> list:
    return [a for a in semeval.read_articles(folder, SEMEVAL_LANGUAGES[language]) if is_validation(a.id)]


def score_language(analyzer: Analyzer, root: Path, language: str) -> dict:
    every_article = semeval.read_articles(root / "train-articles-subtask-3", SEMEVAL_LANGUAGES[language])
    articles = [a for a in every_article if is_validation(a.id)]
    analyses = list(analyzer.pipe(articles))
    gold = semeval.read_technique_labels(root / "train-labels-subtask-3.txt")
    keys = {(a.id, p.number) for a in articles for p in a.paragraphs}
    techniques = score_techniques(
        {k: v for k, v in gold.items() if k in keys},
        {(x.article.id, p.number): [t.technique for t in p.techniques] for x in analyses for p in x.paragraphs},
    )
    texts = {a.id: a.text for a in every_article}  # the span reader fixes span ends against the text
    validation_ids = {a.id for a in articles}
    gold_spans = [s for s in semeval.read_span_dir(root / "train-labels-subtask-3-spans", texts) if s.article_id in validation_ids]
    pred_spans = [semeval.LabelledSpan(x.article.id, s.technique, s.start, s.end) for x in analyses for s in x.spans]
    agnostic = score_spans(gold_spans, pred_spans)
    aware = score_spans(gold_spans, pred_spans, technique_aware=True)

    frame_gold = semeval.read_frame_labels(root / "train-labels-subtask-2.txt")
    frame_articles = [a for a in validation_articles(root / "train-articles-subtask-2", language) if a.id in frame_gold]
    frames = score_frames({a.id: frame_gold[a.id] for a in frame_articles},
                          {x.article.id: [f.label for f in x.frames] for x in analyzer.pipe(frame_articles)})
    genre_gold = semeval.read_genre_labels(root / "train-labels-subtask-1.txt")
    genre_articles = [a for a in validation_articles(root / "train-articles-subtask-1", language) if a.id in genre_gold]
    genre = score_genre({a.id: genre_gold[a.id] for a in genre_articles},
                        {x.article.id: x.genre for x in analyzer.pipe(genre_articles)})
    return {
        "articles": len(articles), "paragraphs": len(keys),
        "techniques_micro_f1": techniques.micro_f1, "techniques_macro_f1": techniques.macro_f1,
        "frames_articles": len(frame_articles), "frames_micro_f1": frames.micro_f1,
        "genre_articles": len(genre_articles), "genre_macro_f1": genre.macro_f1,
        "spans_agnostic": [agnostic.precision, agnostic.recall, agnostic.f1],
        "spans_aware": [aware.precision, aware.recall, aware.f1],
    }


def markdown(results: dict[str, dict]) -> str:
    rows = ["| lang | articles | paragraphs | techniques micro-F1 | techniques macro-F1 | frames micro-F1 | genre macro-F1 "
            "| spans P / R / F1 (agnostic) | spans P / R / F1 (technique-aware) |",
            "|---|---|---|---|---|---|---|---|---|"]
    for language, r in results.items():
        fmt = lambda v: " / ".join(f"{x:.3f}" for x in v)  # noqa: E731
        rows.append(f"| {language} | {r['articles']} | {r['paragraphs']} | {r['techniques_micro_f1']:.3f} | "
                    f"{r['techniques_macro_f1']:.3f} | {r['frames_micro_f1']:.3f} | {r['genre_macro_f1']:.3f} | "
                    f"{fmt(r['spans_agnostic'])} | {fmt(r['spans_aware'])} |")
    mean = sum(r["techniques_micro_f1"] for r in results.values()) / len(results)
    rows.append(f"\nMean techniques micro-F1 over languages: {mean:.3f}")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--language", action="append", choices=LANGUAGES)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                        help="auto: bf16 autocast where the CPU has bf16 instructions")
    args = parser.parse_args()
    bf16 = {"auto": None, "fp32": False, "bf16": True}[args.precision]
    analyzer = Analyzer.from_bundle(args.model, bf16=bf16)
    results = {language: score_language(analyzer, args.data / language, language) for language in args.language or LANGUAGES}
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print(markdown(results))


if __name__ == "__main__":
    main()
