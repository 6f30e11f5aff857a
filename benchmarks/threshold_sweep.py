"""A bundle's validation scores across paragraph thresholds: compare networks at each one's best.

    python benchmarks/threshold_sweep.py --data ../shared/data/semeval2023 --model DIR [--variants]

For each paragraph-technique threshold from 0.10 to 0.60 (spans at the bundle's own span
threshold), prints the mean over the six languages of paragraph micro-F1, article
micro-F1 and span F1 on the lines view, and the English joined view's paragraph
micro-F1. ``--variants`` repeats the sweep with sentence scores and span-first labels
each switched, from the same network scores.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

from unspin.analyzer import Analyzer
from unspin.split import is_validation
from unspin.train.views import joined_view, load_gold_articles, score_view

LANGUAGES = ("en", "fr", "ge", "it", "po", "ru")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--variants", action="store_true")
    args = parser.parse_args()
    analyzer = Analyzer.from_bundle(args.model)
    views = []  # (language, view name, gold, network scores)
    for language in LANGUAGES:
        gold = load_gold_articles(args.data, language, is_validation)
        for name, articles in (("lines", gold), *((("joined", joined_view(gold)),) if language == "en" else ())):
            views.append((language, name, articles, analyzer.predict([g.article for g in articles])))
    decodings = {"as is": analyzer.decoding}
    if args.variants:
        decodings["sentence scores switched"] = replace(
            analyzer.decoding, sentence_scores=not analyzer.decoding.sentence_scores
        )
        decodings["span-first switched"] = replace(analyzer.decoding, span_first=not analyzer.decoding.span_first)
    print("| decoding | threshold | paragraph micro-F1 | article micro-F1 | span F1 | joined-en paragraph micro-F1 |")
    print("|---|---|---|---|---|---|")
    for name, decoding in decodings.items():
        variant = analyzer.with_decoding(decoding)
        decoded = [
            (view, gold, [variant.decode(g.article, p) for g, p in zip(gold, scores, strict=False)])
            for _, view, gold, scores in views
        ]
        for threshold in np.arange(0.1, 0.601, 0.05):
            lines, joined = [], float("nan")
            for view, gold, analyses in decoded:
                shown = score_view(gold, [a.with_thresholds(threshold, analyzer.span_threshold) for a in analyses])
                if view == "lines":
                    lines.append((shown.paragraph_micro_f1, shown.article_micro_f1, shown.span_f1))
                else:
                    joined = shown.paragraph_micro_f1
            p, a, s = np.mean(lines, axis=0)
            print(f"| {name} | {threshold:.2f} | {p:.4f} | {a:.4f} | {s:.4f} | {joined:.4f} |", flush=True)


if __name__ == "__main__":
    main()
