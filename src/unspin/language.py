"""Offline language identification (py3langid ships its model inside the wheel)."""

from __future__ import annotations

_MIN_LETTERS = 3
_SAMPLE_CHARS = 5000

# SemEval-2023 directory codes -> ISO 639-1
SEMEVAL_LANGUAGES = {"en": "en", "fr": "fr", "ge": "de", "it": "it", "po": "pl", "ru": "ru", "es": "es", "gr": "el", "ka": "ka"}


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
    import py3langid

    code, _score = py3langid.classify(sample)
    return code
