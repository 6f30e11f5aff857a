"""Generate the demo corpus, analyse it with the shipped model, write it for `unspin corpus demo`.

    .venv/bin/python scripts/make_demo_corpus.py [--seed 2025] [--out PATH]

Eight invented outlets in five languages report on the invented country Aldria through 2025:
energy prices from January, a football match-fixing scandal from February, the election
campaign from March (polling day 28 September), contaminated water in Lorsanne from April,
and the closure of the Dravik Pass by neighbouring Korvenia on 15 June, after which the
persuasive outlets publish more and escalate (more fear and flag waving). Texts come from
the phrase banks in demo_phrases.py; :func:`generate_articles` is deterministic for a seed
and needs no model. The output is one ``Analysis.to_dict(embedding=True)`` per line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import io
import json
import random
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from demo_phrases import (
    FACTS,
    HEADLINES,
    LOADED_HEADLINES,
    PERSUASION,
    REPORTING,
    SATIRE,
    SATIRE_HEADLINES,
    TOPICS,
    WEEKDAYS,
)

if TYPE_CHECKING:
    from unspin.analysis import Analysis
    from unspin.article import Article

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "unspin" / "store" / "demo" / "demo-corpus.jsonl.gz"
DEFAULT_SEED = 2025
FIRST_DAY, LAST_DAY = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
BORDER_CLOSURE = dt.date(2025, 6, 15)
ELECTION_DAY = dt.date(2025, 9, 28)
NARRATIVES = ("energy", "sports", "health", "election", "border")
CITIES = ("Valmora", "Halvenburg", "Lorsanne", "Estvell")
THOUSANDS = {"en": ",", "fr": " ", "de": ".", "it": ".", "ru": " "}

# A persuasive paragraph dwells on one theme, as such writing does (and the model then sees
# the technique); the themes draw on these kinds of PERSUASION lines. "border_" lines are for
# border stories only.
THEMES = {
    "loaded_language": ("loaded_language",),
    "name_calling": ("name_calling",),
    "doubt": ("doubt",),
    "fear": ("fear", "border_fear"),
    "flag_waving": ("flag_waving", "border_pride"),
    "rhetoric": ("false_dilemma", "causal_oversimplification", "whataboutism", "conversation_killer", "slogans"),
}
# How often persuasive outlets pick each theme, before and after the border closure.
CALM_THEMES = {"loaded_language": 3.0, "name_calling": 2.0, "doubt": 2.0, "fear": 1.0, "flag_waving": 1.0,
               "rhetoric": 1.5}
CRISIS_THEMES = {"loaded_language": 2.0, "name_calling": 2.0, "doubt": 1.0, "fear": 3.5, "flag_waving": 3.5,
                 "rhetoric": 1.0}


@dataclass(frozen=True)
class Outlet:
    key: str
    name: str
    domain: str
    language: str
    style: str  # "reporting", "persuasive" or "satire"
    daily_rate: float  # chance of publishing on a given day, before the border closure
    escalation: float = 1.0  # after it, the rate and the persuasive share are multiplied by this
    persuasion: float = 0.0  # share of body paragraphs that persuade
    interests: dict[str, float] = field(default_factory=dict)  # narrative weights, 1 where absent
    voice: dict[str, str] = field(default_factory=dict)  # {nation}, {enemy}... of persuasive lines


OUTLETS = (
    Outlet("clarion", "The Aldrian Clarion", "aldrian-clarion.test", "en", "persuasive", 0.30, 1.4, 0.55,
           {"sports": 1.3, "border": 1.5},
           {"nation": "Aldria", "demonym": "Aldrian", "enemy": "the Korvenian regime",
            "elite": "Brenner and his friends in the opposition"}),
    Outlet("meridian", "Meridian Wire", "meridian-wire.test", "en", "reporting", 0.30),
    Outlet("vigie", "La Vigie d'Aldrie", "vigie-aldrie.test", "fr", "persuasive", 0.15, 1.4, 0.5, {"health": 1.3},
           {"nation": "l'Aldrie", "demonym": "Aldrien", "enemy": "le régime korvénien", "enemy_de": "du régime korvénien",
            "elite": "les technocrates de Valmora", "elite_de": "des technocrates de Valmora"}),
    Outlet("courrier", "Le Courrier de Lorsanne", "courrier-lorsanne.test", "fr", "reporting", 0.18,
           interests={"health": 1.5}),
    Outlet("rundschau", "Halvenburger Rundschau", "halvenburger-rundschau.test", "de", "reporting", 0.18,
           interests={"sports": 1.3}),
    Outlet("klartext", "Klartext Aldrien", "klartext-aldrien.test", "de", "persuasive", 0.15, 1.4, 0.5,
           {"energy": 1.5, "border": 1.3},
           {"nation": "Aldrien", "demonym": "Aldrier", "enemy": "die Regierung Varga", "enemy_gen": "der Regierung Varga",
            "elite": "die Bürokraten in Valmora"}),
    Outlet("gufo", "Il Gufo Beffardo", "gufo-beffardo.test", "it", "satire", 0.10),
    Outlet("vestnik", "Korvenski Vestnik", "korvenski-vestnik.test", "ru", "persuasive", 0.20, 1.5, 0.6,
           {"border": 2.0, "energy": 1.5, "sports": 0.4, "health": 0.7, "election": 1.2},
           {"nation": "Корвения", "enemy": "режим Варги", "enemy_gen": "режима Варги",
            "enemy_ins": "режимом Варги", "elite": "их заграничные покровители"}),
)


@dataclass(frozen=True)
class DemoArticle:
    id: str
    title: str
    date: dt.date
    source: str
    language: str
    url: str
    text: str
    narrative: str  # the storyline it was written on: the ground truth for narrative clustering


Writer = Callable[[random.Random, Outlet, str, Callable[[str], str], bool], tuple[str, list[str]]]


def generate_articles(seed: int = DEFAULT_SEED) -> list[DemoArticle]:
    """Every article of the year, in date order; the same seed gives the same articles."""
    rng = random.Random(seed)
    articles: list[DemoArticle] = []
    for day in _days(FIRST_DAY, LAST_DAY):
        for outlet in OUTLETS:
            crisis = day >= BORDER_CLOSURE
            if rng.random() >= outlet.daily_rate * (outlet.escalation if crisis else 1.0):
                continue
            narrative = _pick_narrative(rng, outlet, day)
            if narrative:
                articles.append(_write(rng, outlet, day, narrative, len(articles) + 1))
    return articles


def coverage(narrative: str, day: dt.date) -> float:
    """How much news a narrative makes on a day: nothing before it starts, then its own curve."""
    if narrative == "energy":
        return 0.8 if day.month in (1, 2, 3, 10, 11, 12) else 0.2  # a winter story
    if narrative == "sports":
        return _after(day, dt.date(2025, 2, 20), lambda days: 0.2 + 1.2 * _decay(days, 40))
    if narrative == "health":
        return _after(day, dt.date(2025, 4, 10), lambda days: 0.15 + 2.0 * _decay(days, 30))
    if narrative == "election":
        to_go = (ELECTION_DAY - day).days
        campaign = _after(day, dt.date(2025, 3, 3), lambda days: 0.5 + 1.5 * _decay(to_go, 40))
        return campaign if to_go >= 0 else 1.5 * _decay(-to_go, 15)
    return _after(day, BORDER_CLOSURE, lambda days: 0.5 + 2.5 * _decay(days, 60))


def storyline(narrative: str, day: dt.date) -> str:
    """The phrase-bank key: the election is a campaign until polling day, then a result."""
    return "election_result" if narrative == "election" and day > ELECTION_DAY else narrative


def to_article(demo: DemoArticle) -> Article:
    from unspin.article import Article

    return Article.from_text(demo.text, id=demo.id, title=demo.title, source=demo.source,
                             language=demo.language, url=demo.url)


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    for offset in range((last - first).days + 1):
        yield first + dt.timedelta(days=offset)


def _after(day: dt.date, start: dt.date, curve: Callable[[int], float]) -> float:
    days = (day - start).days
    return curve(days) if days >= 0 else 0.0


def _decay(days: int, half_life: float) -> float:
    return 0.5 ** (days / half_life)


def _pick_narrative(rng: random.Random, outlet: Outlet, day: dt.date) -> str | None:
    weights = [coverage(n, day) * outlet.interests.get(n, 1.0) for n in NARRATIVES]
    return rng.choices(NARRATIVES, weights)[0] if any(weights) else None


def _write(rng: random.Random, outlet: Outlet, day: dt.date, narrative: str, number: int) -> DemoArticle:
    story = storyline(narrative, day)
    fill = _filler(_slots(rng, outlet, day, story))
    title, paragraphs = WRITERS[outlet.style](rng, outlet, story, fill, day >= BORDER_CLOSURE)
    slug = _slug(title) or narrative  # Cyrillic titles have no ASCII slug
    return DemoArticle(
        id=f"{outlet.key}-{number:04d}", title=title, date=day, source=outlet.name, language=outlet.language,
        url=f"https://{outlet.domain}/{day:%Y/%m}/{slug}-{number}",
        text=f"date {day.isoformat()} {title}\n\n" + "\n\n".join(paragraphs), narrative=narrative,
    )


def _slots(rng: random.Random, outlet: Outlet, day: dt.date, story: str) -> dict[str, object]:
    """The values one article's templates are filled with: numbers, places, its outlet's voice."""
    lang = outlet.language
    lead = rng.randint(29, 38)
    return {
        "n": rng.randint(3, 40), "few": rng.randint(2, 9), "pct": rng.randint(3, 35), "fill": rng.randint(40, 75),
        "m": rng.randint(40, 900), "big": f"{rng.randint(12, 98) * 100:,}".replace(",", THOUSANDS[lang]),
        "a": lead, "b": rng.randint(22, lead - 3), "turnout": rng.randint(58, 79), "km": rng.randint(5, 60),
        "city": rng.choice(CITIES), "day": WEEKDAYS[lang][(day - dt.timedelta(days=1)).weekday()],
        "outlet": outlet.name, "topic": TOPICS.get(lang, {}).get(story, ""), **outlet.voice,
    }


def _filler(slots: dict[str, object]) -> Callable[[str], str]:
    def fill(template: str) -> str:
        sentence = template.format(**slots)
        return sentence[:1].upper() + sentence[1:]  # templates may open with a lower-case slot

    return fill


def _slug(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_title)[:8])


def _shuffled(rng: random.Random, items: Iterable[str]) -> list[str]:
    items = list(items)
    rng.shuffle(items)
    return items


def _reporting(rng: random.Random, outlet: Outlet, story: str, fill: Callable[[str], str],
               crisis: bool) -> tuple[str, list[str]]:
    """Facts first, then facts mixed with attribution and caveats; no persuasion."""
    lang = outlet.language
    facts = _shuffled(rng, FACTS[lang][story])
    paragraphs = [" ".join(map(fill, facts[:2]))]
    rest = _shuffled(rng, facts[2:] + REPORTING[lang])
    for _ in range(rng.randint(2, 6)):
        size = rng.randint(1, 2)
        taken, rest = rest[:size], rest[size:]
        if taken:
            paragraphs.append(" ".join(map(fill, taken)))
    return fill(rng.choice(HEADLINES[lang][story])), paragraphs


def _persuasive(rng: random.Random, outlet: Outlet, story: str, fill: Callable[[str], str],
                crisis: bool) -> tuple[str, list[str]]:
    """Facts of the story spun by paragraphs on one persuasive theme each; after the border closure
    more such paragraphs, and more of them on fear and flag waving."""
    lang = outlet.language
    share = min(outlet.persuasion * (outlet.escalation if crisis else 1.0), 0.95)
    themes = CRISIS_THEMES if crisis else CALM_THEMES
    pools = _theme_pools(rng, lang, story)
    facts = _shuffled(rng, FACTS[lang][story])
    paragraphs = [" ".join(map(fill, [facts.pop(), *_take_theme(rng, pools, themes, 1)]))]
    for _ in range(rng.randint(2, 6)):
        if rng.random() < share:
            # Spinning a fact of the story: with the shared persuasive lines alone, embeddings
            # group an outlet's articles by its style rather than by narrative.
            hook = [facts.pop()] if facts else []
            paragraphs.append(" ".join(map(fill, hook + _take_theme(rng, pools, themes, 2))))
        elif facts:
            paragraphs.append(fill(facts.pop()))
    if rng.random() < share:
        paragraphs.append(fill(rng.choice(PERSUASION[lang]["slogans"])))  # the rallying cry to close on
    return fill(rng.choice(LOADED_HEADLINES[lang][story])), paragraphs


def _theme_pools(rng: random.Random, lang: str, story: str) -> dict[str, list[str]]:
    """Each theme's lines, shuffled: an article uses a line at most once."""
    kinds = {theme: [k for k in members if story == "border" or not k.startswith("border_")]
             for theme, members in THEMES.items()}
    return {theme: _shuffled(rng, [line for k in members for line in PERSUASION[lang][k]])
            for theme, members in kinds.items()}


def _take_theme(rng: random.Random, pools: dict[str, list[str]], weights: dict[str, float], size: int) -> list[str]:
    themes = [t for t in weights if pools[t]]
    theme = rng.choices(themes, [weights[t] for t in themes])[0]
    taken, pools[theme] = pools[theme][:size], pools[theme][size:]
    return taken


def _satire(rng: random.Random, outlet: Outlet, story: str, fill: Callable[[str], str],
            crisis: bool) -> tuple[str, list[str]]:
    """A real-sounding lead, then only jokes (more facts and the model reads it as reporting)."""
    lang = outlet.language
    jokes = _shuffled(rng, SATIRE[lang][story] + SATIRE[lang]["any"])
    paragraphs = [" ".join([fill(rng.choice(FACTS[lang][story])), fill(jokes.pop())])]
    paragraphs += [fill(jokes.pop()) for _ in range(rng.randint(2, 5))]
    return fill(rng.choice(SATIRE_HEADLINES[lang][story])), paragraphs


WRITERS: dict[str, Writer] = {"reporting": _reporting, "persuasive": _persuasive, "satire": _satire}


def analyse(articles: list[DemoArticle]) -> Iterator[Analysis]:
    from unspin import Analyzer  # imported here: generating the texts needs no model

    analyzer = Analyzer.from_bundle()
    for done, analysis in enumerate(analyzer.pipe(map(to_article, articles), batch_size=32), start=1):
        if done % 100 == 0:
            print(f"analysed {done}/{len(articles)}", file=sys.stderr, flush=True)
        yield analysis


def write_corpus(analyses: Iterable[Analysis], out: Path) -> list[Analysis]:
    """Write one JSON analysis per line; mtime 0 keeps the gzip bytes reproducible."""
    out.parent.mkdir(parents=True, exist_ok=True)
    written = []
    with gzip.GzipFile(out, "wb", mtime=0) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="\n") as lines:
        for analysis in analyses:
            lines.write(json.dumps(analysis.to_dict(embedding=True), ensure_ascii=False) + "\n")
            written.append(analysis)
    return written


def summary(analyses: list[Analysis]) -> str:
    """Per outlet: articles, techniques per article before and after the closure, the commonest ones."""
    by_outlet: dict[str, dict[str, list[int]]] = defaultdict(lambda: {"before": [], "after": []})
    top: dict[str, Counter[str]] = defaultdict(Counter)
    for analysis in analyses:
        a = analysis.article
        techniques = [t.technique for p in analysis.paragraphs for t in p.techniques]
        by_outlet[a.source]["after" if a.date >= BORDER_CLOSURE else "before"].append(len(techniques))
        top[a.source].update(techniques)
    rows = [f"{'outlet':<26}{'lang':<6}{'articles':>9}{'tech/art before':>17}{'after':>7}  commonest"]
    for outlet in OUTLETS:
        counts = by_outlet[outlet.name]
        common = ", ".join(f"{t} {n}" for t, n in top[outlet.name].most_common(3))
        rows.append(f"{outlet.name:<26}{outlet.language:<6}{len(counts['before']) + len(counts['after']):>9}"
                    f"{_mean(counts['before']):>17.1f}{_mean(counts['after']):>7.1f}  {common}")
    languages = Counter(a.article.language for a in analyses)
    rows.append("languages: " + ", ".join(f"{lang} {n}" for lang, n in sorted(languages.items())))
    return "\n".join(rows)


def _mean(values: list[int]) -> float:
    return sum(values) / len(values) if values else 0.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    articles = generate_articles(args.seed)
    analyses = write_corpus(analyse(articles), args.out)
    print(summary(analyses))
    size = args.out.stat().st_size / 2**20
    print(f"{len(analyses)} analyses -> {args.out} ({size:.1f} MiB) in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
