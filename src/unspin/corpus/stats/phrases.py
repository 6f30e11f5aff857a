"""Words and phrases in text: word counts, normalised phrases, and names by a capitalised-run heuristic.

Examples
--------
>>> normalise_phrase("The  WEST's!"), normalise_phrase("of the"), count_words("The West's allies")
("west's", '', 3)
>>> top_entities([("Brussels lies, said NATO.", 0, 8), ("NATO and Moscow lie.", 9, 15)], "brussels", 5)
[('NATO', 2)]
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from ...stopwords import KEPT_AT_ENDS, STOP_WORDS

WORD = re.compile(r"\w+(?:['’-]\w+)*")
MAX_ENTITY_WORDS = 5
TRIMMED = STOP_WORDS - KEPT_AT_ENDS  # what a phrase loses at its ends


def count_words(text: str) -> int:
    return len(WORD.findall(text))


def normalise_phrase(text: str) -> str:
    """The phrase a span counts as: its case-folded words joined by single spaces, stop words trimmed from both ends.

    "The  WEST's" and "the West's!" are one phrase, "west's". Negations, verb particles and
    words of time stay (:data:`~unspin.stopwords.KEPT_AT_ENDS`: "never surrender", "wake up
    now"). A span that leaves nothing, a single character or a lone stop word ("and the",
    "now") gives "", which is never counted.

    Examples
    --------
    >>> normalise_phrase("are nothing but clowns and parasites who"), normalise_phrase("We will never surrender")
    ('nothing but clowns and parasites', 'never surrender')
    """
    words = WORD.findall(text.casefold())
    start, end = 0, len(words)
    while start < end and words[start] in TRIMMED:
        start += 1
    while end > start and words[end - 1] in TRIMMED:
        end -= 1
    words = words[start:end]
    if len(words) == 1 and (words[0] in STOP_WORDS or len(words[0]) == 1):
        return ""
    return " ".join(words)


def top_entities(contexts: Iterable[tuple[str, int, int]], phrase: str, n: int) -> list[tuple[str, int]]:
    """The ``n`` names (by :func:`entities_in`) in the most paragraphs around a phrase's spans, with their counts.

    ``contexts`` are (paragraph, start, end) of each span in its paragraph; the span's own
    words are never a name, a paragraph seen twice (two spans in it, or a copy) counts
    once, and a name whose normalised form is ``phrase`` is not counted. Ties go
    alphabetically.
    """
    if not n:
        return []
    counts: Counter[str] = Counter()
    seen: set[str] = set()
    for paragraph, start, end in contexts:
        if paragraph in seen:
            continue
        seen.add(paragraph)
        counts.update(e for e in entities_in(paragraph, skip=(start, end)) if normalise_phrase(e) != phrase)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]


_TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")  # letters, with inner apostrophes and hyphens
_ELIDED = re.compile(r"^(?:[cdjlmnst]|qu)['’](?=\w)", re.IGNORECASE)  # French l', d', qu'...
_POSSESSIVE = re.compile(r"['’]s$")
_OPENERS = " \t\n\"'«»“”„‘’([—–-"
_SENTENCE_ENDS = ".!?…:;"
CONNECTORS = frozenset({"of", "de", "du", "des", "di", "da", "del", "della", "von", "van", "der", "den", "dos", "das"})


def entities_in(text: str, *, skip: tuple[int, int] | None = None) -> list[str]:
    """Names in ``text`` by a heuristic: runs of capitalised words, each name once, in order.

    There is no multilingual named-entity model we could ship, so a name is a run of
    words that start with an upper-case letter (any script with case: Latin, Cyrillic,
    Greek), joined by single spaces, and possibly by one lower-case connector ("Bank of
    England", "Banque de France"). Leading stop words and titles are dropped ("The
    Kremlin" -> "Kremlin", "Mr Smith" -> "Smith", "Как заявил" -> nothing); French
    elisions and English possessives are removed ("l'Élysée" -> "Élysée", "Russia's" ->
    "Russia"). A single capitalised word at the start of a sentence counts only if the
    text never uses it in lower case ("Russia said", but not "Energy prices ... energy").
    Runs longer than :data:`MAX_ENTITY_WORDS` words (headlines, shouting) are dropped, and
    words overlapping ``skip`` (the span itself) are never part of a name.

    It is wrong in known ways: German capitalises every noun; any capitalised sentence
    opener missing from the stop list and used once ("Yesterday") passes.

    Examples
    --------
    >>> entities_in("The European Union and NATO met Mr Smith of the Bank of England.")
    ['European Union', 'NATO', 'Smith', 'Bank of England']
    """
    lowered = {w.casefold() for w in _TOKEN.findall(text) if not w[0].isupper()}
    names: list[str] = []
    for run in _runs(text, skip):
        name = _name(text, run, lowered)
        if name and name not in names:
            names.append(name)
    return names


def _runs(text: str, skip: tuple[int, int] | None) -> list[list[re.Match[str]]]:
    """Runs of capitalised words (with single connectors inside), as regex matches."""
    runs: list[list[re.Match[str]]] = []
    run: list[re.Match[str]] = []
    for match in _TOKEN.finditer(text):
        word = _ELIDED.sub("", match.group())
        adjacent = bool(run) and text[run[-1].end() : match.start()] == " "
        inside_skip = skip is not None and match.start() < skip[1] and match.end() > skip[0]
        if not inside_skip and word[0].isupper() and (adjacent or not run):
            run.append(match)
            continue
        connects = adjacent and not inside_skip and word in CONNECTORS and not _is_connector(run[-1])
        if connects:
            run.append(match)
            continue
        runs.append(run)
        run = [match] if not inside_skip and word[0].isupper() else []
    runs.append(run)
    return [_trimmed(r) for r in runs if r]


def _is_connector(match: re.Match[str]) -> bool:
    return not _ELIDED.sub("", match.group())[0].isupper()


def _trimmed(run: list[re.Match[str]]) -> list[re.Match[str]]:
    while run and _is_connector(run[-1]):
        run = run[:-1]
    return run


def _name(text: str, run: list[re.Match[str]], lowered: set[str]) -> str | None:
    words = [_POSSESSIVE.sub("", _ELIDED.sub("", m.group())) for m in run]
    dropped = 0
    while dropped < len(words) and words[dropped].casefold() in STOP_WORDS and not _acronym(words[dropped]):
        dropped += 1
    words = words[dropped:]
    while words and words[0] in CONNECTORS:
        words, dropped = words[1:], dropped + 1
    if not words or len(words) > MAX_ENTITY_WORDS:
        return None
    if len(words) == 1 and not dropped and _sentence_initial(text, run[0].start()) and words[0].casefold() in lowered:
        return None
    return " ".join(words)


def _acronym(word: str) -> bool:
    """ "US", "EU", "США": upper-case words that are names even when their lower case is a stop word."""
    return len(word) > 1 and word.isupper()


def _sentence_initial(text: str, start: int) -> bool:
    before = text[:start].rstrip(_OPENERS)
    return not before or before[-1] in _SENTENCE_ENDS
