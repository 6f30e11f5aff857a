"""Dynamic int8 for the encoder on CPUs without bf16: speed against quality, side by side.

    python -W ignore benchmarks/int8.py --data ../shared/data/semeval2023 --layers 12
    python -W ignore benchmarks/int8.py --data ../shared/data/semeval2023 --layers 6

The shipped bundle runs twice in one process, fp32 as shipped and with the Linear layers of
its lowest ``--layers`` encoder layers converted by torch's dynamic quantization (int8
weights, activations quantized per batch). For each language's validation articles both
analyse the same articles, interleaved, twice; the faster of the two runs counts. The
paragraph micro-F1, article micro-F1 and span F1 of both come from the same decoding
(:mod:`unspin.train.views`, the lines view). Torch 2.13 marks this API deprecated (torchao
succeeds it); it is measured here because it needs no new dependency.
"""

from __future__ import annotations

import argparse
import copy
import time
from dataclasses import replace
from pathlib import Path

import torch
from torch import nn

from unspin.analyzer import Analyzer
from unspin.split import is_validation
from unspin.train.views import load_gold_articles, score_view

SCORES = ("paragraph_micro_f1", "article_micro_f1", "span_f1")


def quantized(analyzer: Analyzer, layers: int) -> Analyzer:
    net = copy.deepcopy(analyzer.bundle.net)
    for i in range(layers):
        net.encoder.layers[i] = torch.ao.quantization.quantize_dynamic(
            net.encoder.layers[i], {nn.Linear}, dtype=torch.qint8
        )
    return Analyzer(replace(analyzer.bundle, net=net), bf16=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--layers", type=int, default=12, help="how many encoder layers, from the bottom, go int8")
    parser.add_argument("--languages", nargs="+", default=["en", "fr", "ru", "po"])
    args = parser.parse_args()
    torch.set_num_threads(2)
    fp32 = Analyzer.from_bundle(bf16=False)
    variants = {"fp32": fp32, "int8": quantized(fp32, args.layers)}
    print(f"int8 in the lowest {args.layers} of {len(fp32.bundle.net.encoder.layers)} encoder layers")
    print(
        "| language | articles | fp32 s | int8 s | speed-up | " + " | ".join(f"{s} fp32 / int8" for s in SCORES) + " |"
    )
    for language in args.languages:
        gold = load_gold_articles(args.data, language, is_validation)
        articles = [g.article for g in gold]
        seconds: dict[str, float] = {}
        predictions = {}
        for _ in range(2):
            for name, analyzer in variants.items():
                start = time.perf_counter()
                predictions[name] = analyzer.predict(articles)
                seconds[name] = min(seconds.get(name, float("inf")), time.perf_counter() - start)
        scores = {
            name: score_view(gold, [a.decode(g.article, p) for g, p in zip(gold, predictions[name], strict=True)])
            for name, a in variants.items()
        }
        cells = [f"{scores['fp32'].as_dict()[s]:.3f} / {scores['int8'].as_dict()[s]:.3f}" for s in SCORES]
        print(
            f"| {language} | {len(articles)} | {seconds['fp32']:.1f} | {seconds['int8']:.1f} | "
            f"{seconds['fp32'] / seconds['int8']:.2f}x | " + " | ".join(cells) + " |",
            flush=True,
        )


if __name__ == "__main__":
    main()
