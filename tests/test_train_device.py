"""Where training runs: ``TrainConfig.device`` / ``unspin train --device``, and the network back on the CPU after a fit.

The CUDA cases run only where PyTorch has a GPU (CI has none); the CPU ones run everywhere.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from unspin.cli import main
from unspin.errors import InputError
from unspin.model.bundle import new_network
from unspin.taxonomy import TECHNIQUE_LABELS
from unspin.train.data import ParagraphExample
from unspin.train.trainer import TrainConfig, config_record, fit_or_load, joined_articles, resolve_device

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
without_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="this PyTorch has a CUDA GPU")
DEVICES = ["cpu", pytest.param("cuda", marks=needs_cuda)]


def test_auto_and_cpu() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert TrainConfig().device == "auto"


@without_cuda
def test_auto_is_the_cpu_without_cuda() -> None:
    assert resolve_device("auto") == torch.device("cpu")


@pytest.mark.parametrize(
    ("device", "bf16"), [("cpu", False), ("cpu", True), pytest.param("cuda", False, marks=needs_cuda)]
)
def test_the_card_records_the_device_and_precision_the_fit_used(device: str, bf16: bool) -> None:
    """On CUDA the fit always autocasts to bf16, whatever the CPU's flag says; ``auto`` is recorded resolved."""
    record = config_record(TrainConfig(device=device, bf16=bf16))
    assert record["device"] == str(resolve_device(device))
    assert record["bf16"] is (bf16 or device == "cuda")
    assert record["languages"] == list(TrainConfig().languages)
    assert config_record(TrainConfig())["device"] in ("cpu", "cuda:0", "cuda")


@without_cuda
@pytest.mark.parametrize("name", ["cuda", "cuda:0", "cuda:1"])
def test_cuda_without_cuda_is_an_input_error(name: str) -> None:
    with pytest.raises(InputError, match=rf"^cannot train on {name}: PyTorch .* use --device cpu or auto$"):
        resolve_device(name)


@pytest.mark.parametrize("name", ["gpu", "CUDA", "cuda:", "cuda:x", "mps", ""])
def test_unknown_device_is_an_input_error(name: str) -> None:
    with pytest.raises(InputError, match="give auto, cpu, cuda or cuda:N"):
        resolve_device(name)


@without_cuda
@pytest.mark.parametrize("mode", ["data", "extra"])
def test_cli_device_cuda_without_cuda_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    out = tmp_path / "bundle"
    source = ["--data", str(tmp_path)] if mode == "data" else ["--extra", str(tmp_path / "missing.jsonl")]
    assert main(["train", *source, "--out", str(out), "--quick", "--device", "cuda"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot train on cuda: PyTorch ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert not out.exists() and not out.with_name("bundle.work").exists()  # stopped before anything was written


def _paragraphs() -> list[ParagraphExample]:
    texts = [
        ("The corrupt elite will stop at nothing to silence ordinary people.", [(4, 17, "Name_Calling-Labeling")]),
        ("Officials said the council met on Tuesday to discuss the budget.", []),
        (
            "Either we act now or everything is lost forever: there is no other way.",
            [(0, 71, "False_Dilemma-No_Choice")],
        ),
        ("A betrayal without precedent, a shameful and disgusting decision.", [(2, 28, "Loaded_Language")]),
    ]
    return [
        ParagraphExample(f"a{n}", "en", 1, text, tuple(sorted({s[2] for s in spans})), spans)
        for n, (text, spans) in enumerate(texts * 2)
    ]


@pytest.mark.parametrize("device", DEVICES)
def test_fit_leaves_the_network_on_the_cpu_in_fp32(
    device: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The cache and the fit run on ``device``; afterwards the network and every file written are on the CPU."""
    net, tokenizer = new_network(len(TECHNIQUE_LABELS), 11)
    buffers = {name: b.dtype for name, b in net.named_buffers()}  # the Q4 embedding: int8 codes, fp16 scales
    before = {k: v.clone() for k, v in net.trainable_state().items()}
    config = TrainConfig(
        frozen_layers=11, max_tokens=64, epochs=1, batch_tokens=64, checkpoint_every=2, bf16=False, device=device
    )
    with caplog.at_level("INFO", logger="unspin.train"):
        fit_or_load(net, tokenizer, _paragraphs(), config, tmp_path, 0.0)
    assert f"caching and fitting on {device}" in caplog.text
    assert {(p.device.type, p.dtype) for p in net.parameters()} == {("cpu", torch.float32)}
    assert not any(p.is_inference() for p in net.parameters())  # usable for training and in-place updates
    assert {name: b.dtype for name, b in net.named_buffers()} == buffers
    assert {b.device.type for b in net.buffers()} == {"cpu"}
    assert all(p.grad is None for p in net.parameters())
    assert not net.training  # dropout off: what predicts next sees the fitted network as a loaded bundle would
    after = net.trainable_state()
    assert any(not torch.equal(before[k], after[k]) for k in before)  # it did fit
    for name in ("checkpoint.pt", "fitted.pt", "epoch1.pt"):
        saved = torch.load(tmp_path / name, weights_only=True)  # no map_location: tensors come back where saved
        tensors = [saved] if isinstance(saved, torch.Tensor) else list(_tensors(saved))
        assert tensors and {t.device.type for t in tensors} == {"cpu"}, name
    # A rerun loads the fitted network on the CPU, whichever device fitted it.
    fresh, _ = new_network(len(TECHNIQUE_LABELS), 11)
    fit_or_load(fresh, tokenizer, _paragraphs(), TrainConfig(frozen_layers=11, device="cpu"), tmp_path, 0.0)
    assert all(torch.equal(v, after[k]) for k, v in fresh.trainable_state().items())


@needs_cuda
def test_a_checkpoint_written_on_cuda_resumes_on_the_cpu(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = TrainConfig(frozen_layers=11, max_tokens=64, epochs=1, batch_tokens=64, checkpoint_every=2, bf16=False)
    net, tokenizer = new_network(len(TECHNIQUE_LABELS), 11)
    fit_or_load(net, tokenizer, _paragraphs(), replace(config, device="cuda"), tmp_path, 0.0)
    (tmp_path / "fitted.pt").unlink()  # keep the checkpoint only: the rerun resumes from it
    again, _ = new_network(len(TECHNIQUE_LABELS), 11)
    with caplog.at_level("INFO", logger="unspin.train"):
        fit_or_load(again, tokenizer, _paragraphs(), replace(config, device="cpu"), tmp_path, 0.0)
    assert "resumed from" in caplog.text
    assert {p.device.type for p in again.parameters()} == {"cpu"}


def _tensors(value: object):
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tensors(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _tensors(v)


def test_joined_articles_are_a_seeded_share_of_the_english_train_articles() -> None:
    paragraphs = [ParagraphExample(f"{n}", "en" if n % 3 else "fr", 1, "Text.", ()) for n in range(300)]
    english_train = {p.article_id for p in paragraphs if p.language == "en" and not p.validation}
    config = TrainConfig(english_join_share=0.5, seed=4)
    chosen = joined_articles(paragraphs, config)
    assert chosen <= english_train and len(chosen) == len(english_train) // 2
    assert chosen == joined_articles(paragraphs, config)
    assert chosen != joined_articles(paragraphs, TrainConfig(english_join_share=0.5, seed=5))
    assert joined_articles(paragraphs, TrainConfig()) == set()
