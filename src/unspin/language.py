"""Offline language identification (py3langid ships its model inside the wheel)."""

from __future__ import annotations

import io
import threading
from array import array
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from py3langid.langid import LanguageIdentifier

_MIN_LETTERS = 3
_SAMPLE_CHARS = 5000

# SemEval-2023 directory codes -> ISO 639-1
SEMEVAL_LANGUAGES = {
    "en": "en",
    "fr": "fr",
    "ge": "de",
    "it": "it",
    "po": "pl",
    "ru": "ru",
    "es": "es",
    "gr": "el",
    "ka": "ka",
}


def detect_language(text: str) -> str | None:
    """Return the ISO 639-1 code of ``text``'s language, or ``None`` when there is too little text.

    Examples
    --------
    >>> detect_language("Это тестовое предложение на русском языке.")
    'ru'
    """
    sample = text[:_SAMPLE_CHARS]
    if sum(c.isalpha() for c in sample) < _MIN_LETTERS:
        return None
    code, _score = _identifier().classify(sample)
    return code


_identifier_lock = threading.Lock()


def _identifier() -> LanguageIdentifier:
    """py3langid's identifier, loaded once per process (the server detects from several threads)."""
    with _identifier_lock:
        return _load_identifier()


@cache
def _load_identifier() -> LanguageIdentifier:
    """The identifier ``py3langid.classify`` uses, read from an uncompressed copy of its model.

    Decompressing the 68 MB model from its LZMA file took about half a second on every start.
    Without a usable cache it is decompressed in memory: py3langid's own loader goes through
    a temporary file, and a full or unwritable temporary directory would fail every article.
    """
    import numpy as np
    import py3langid
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    source = MODEL_DIR / MODEL_FILE
    uncompressed = _uncompressed_model(source, py3langid.__version__) or io.BytesIO(_decompressed(source))
    with np.load(uncompressed, allow_pickle=False) as data:  # the arrays py3langid.modelio.load_model reads
        return LanguageIdentifier(
            data["ptc"],
            data["pc"],
            data["classes"].tolist(),
            _stdlib_array(data["nextmove"]),
            data["out_feat"].tolist(),
            tk_row=_stdlib_array(data["nextmove_row"]),
        )


def _decompressed(source: Path) -> bytes:
    import lzma

    with lzma.open(source) as compressed:
        return compressed.read()


def _uncompressed_model(source: Path, version: str) -> Path | None:
    """The model decompressed into unspin's cache, written on first use; ``None`` if it cannot be."""
    import lzma
    import shutil

    from .config import cache_dir
    from .files import replaced_atomically

    target = cache_dir() / f"py3langid-{version}-{source.stat().st_size}.npz"
    if target.is_file():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with replaced_atomically(target) as tmp, lzma.open(source) as compressed, tmp.open("wb") as out:
            shutil.copyfileobj(compressed, out, 1 << 20)
    except OSError:  # a read-only or full cache: decompress in memory as py3langid does
        return None
    return target


def _stdlib_array(values: np.ndarray) -> array:
    """py3langid walks its automaton over ``array`` objects, faster to index than numpy arrays."""
    typecode = {2: "H", 4: "I", 8: "L"}[values.dtype.itemsize]
    return array(typecode, values.tobytes())
