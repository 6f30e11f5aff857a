"""Anchoring a fine-tuned network's head biases to its base's rates on unlabelled reference text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from unspin.config import default_model_path
from unspin.model.bundle import load_bundle
from unspin.model.inference import sigmoid
from unspin.train.anchor import anchor_heads, build_reference, matching_shifts, reference_paragraphs

ARTICLES = {
    "en": [
        "Title of the first\n\nThe corrupt elite will stop at nothing to silence you.\n\nOfficials met on Tuesday.",
        "Weather note\n\nRain is expected on Sunday afternoon in the north.",
    ],
    "it": ["Un titolo\n\nI traditori della patria vogliono distruggere tutto ciò che amiamo."],
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SemEval-shaped folder holding only unlabelled test articles (one paragraph per line)."""
    root = tmp_path_factory.mktemp("semeval")
    for language, texts in ARTICLES.items():
        folder = root / language / "test-articles-subtask-3"
        folder.mkdir(parents=True)
        for number, text in enumerate(texts, start=1):
            (folder / f"article{number}.txt").write_text(text.replace("\n\n", "\n"), encoding="utf-8")
    return root


def test_matching_shifts_hit_the_target_means() -> None:
    logits = np.array([[0.0, -3.0], [0.0, -1.0], [0.0, 2.0]])
    targets = np.array([sigmoid(np.array(1.0)), 0.25])
    shifts = matching_shifts(logits, targets)
    assert shifts[0] == pytest.approx(1.0, abs=1e-6)  # a constant column moves by exactly the logit gap
    assert sigmoid(logits[:, 1] + shifts[1]).mean() == pytest.approx(0.25, abs=1e-6)


def test_reference_is_a_fixed_sample_of_the_unlabelled_test_paragraphs(data_dir: Path) -> None:
    texts, counts = reference_paragraphs(data_dir, ("en", "it", "ru"), per_language=3, seed=13)
    assert counts == {"en": 3, "it": 2}  # no ru folder: left out, not an error
    assert "Officials met on Tuesday." in texts or "Rain is expected on Sunday afternoon in the north." in texts
    assert (texts, counts) == reference_paragraphs(data_dir, ("en", "it", "ru"), per_language=3, seed=13)
    assert reference_paragraphs(data_dir, ("ru",), per_language=3, seed=13) == ([], {})


@pytest.mark.slow
def test_anchoring_undoes_a_shift_of_the_head_biases(data_dir: Path) -> None:
    bundle = load_bundle(default_model_path())
    reference = build_reference(data_dir, ("en", "it"), bundle.tokenizer, bundle.settings, 10, seed=13)
    assert reference is not None and reference.paragraphs == 7
    net = bundle.net
    base = reference.rates(net)
    original = net.paragraph_head.bias.detach().clone(), net.token_head.bias.detach().clone()
    with torch.no_grad():  # what a fine-tune that learnt a denser label rate does to the scale
        net.paragraph_head.bias.add_(1.5)
        net.token_head.bias.sub_(0.5)
    assert np.all(reference.rates(net).paragraph > base.paragraph)
    shifts = anchor_heads(net, reference, base)
    assert np.allclose(shifts["paragraph"], -1.5, atol=1e-3) and np.allclose(shifts["token"], 0.5, atol=1e-3)
    assert torch.allclose(net.paragraph_head.bias, original[0], atol=1e-3)
    assert torch.allclose(net.token_head.bias, original[1], atol=1e-3)
    after = reference.rates(net)
    assert np.allclose(after.paragraph, base.paragraph, atol=1e-4) and np.allclose(after.token, base.token, atol=1e-4)
