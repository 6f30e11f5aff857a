"""The SemEval-2023 Task 3 taxonomy: 23 persuasion techniques in 6 categories, 14 frames, 3 genres.

Labels are the exact strings of the shared task files; names, definitions and examples are
unspin's own wording. Category colours come from the Okabe–Ito palette, which stays
distinguishable under the common forms of colour blindness, and each keeps a WCAG AA
contrast (at least 4.5:1) with black text, so it can serve as a highlight background.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any, Literal

from .errors import InputError
from .i18n import N_

__all__ = [
    "CATEGORIES",
    "FRAMES",
    "FRAME_LABELS",
    "GENRES",
    "GENRE_LABELS",
    "PTC2020_TO_SEMEVAL2023",
    "TECHNIQUES",
    "TECHNIQUE_LABELS",
    "Category",
    "Frame",
    "Genre",
    "LabelKind",
    "Technique",
    "category_of",
    "resolve_label",
    "technique",
    "to_dict",
]

TECHNIQUE_LABELS: tuple[str, ...] = (
    "Appeal_to_Authority",
    "Appeal_to_Popularity",
    "Appeal_to_Values",
    "Appeal_to_Fear-Prejudice",
    "Flag_Waving",
    "Causal_Oversimplification",
    "False_Dilemma-No_Choice",
    "Consequential_Oversimplification",
    "Straw_Man",
    "Red_Herring",
    "Whataboutism",
    "Slogans",
    "Appeal_to_Time",
    "Conversation_Killer",
    "Loaded_Language",
    "Repetition",
    "Exaggeration-Minimisation",
    "Obfuscation-Vagueness-Confusion",
    "Name_Calling-Labeling",
    "Doubt",
    "Guilt_by_Association",
    "Appeal_to_Hypocrisy",
    "Questioning_the_Reputation",
)
FRAME_LABELS: tuple[str, ...] = (
    "Economic",
    "Capacity_and_resources",
    "Morality",
    "Fairness_and_equality",
    "Legality_Constitutionality_and_jurisprudence",
    "Policy_prescription_and_evaluation",
    "Crime_and_punishment",
    "Security_and_defense",
    "Health_and_safety",
    "Quality_of_life",
    "Cultural_identity",
    "Public_opinion",
    "Political",
    "External_regulation_and_reputation",
)
GENRE_LABELS: tuple[str, ...] = ("opinion", "reporting", "satire")


@dataclass(frozen=True, slots=True)
class Category:
    """A group of related techniques; ``colour`` is a ``#RRGGBB`` highlight background."""

    key: str
    name: str
    colour: str


@dataclass(frozen=True, slots=True)
class Technique:
    """A persuasion technique; ``category`` is the key of its :class:`Category`."""

    label: str
    name: str
    category: str
    definition: str
    example: str


@dataclass(frozen=True, slots=True)
class Frame:
    """A framing of the article's topic, from the Media Frames Corpus."""

    label: str
    name: str
    definition: str


@dataclass(frozen=True, slots=True)
class Genre:
    """The kind of article: reporting, opinion or satire."""

    label: str
    name: str
    definition: str


CATEGORIES: dict[str, Category] = {
    c.key: c
    for c in (
        Category("attack_on_reputation", N_("Attack on Reputation"), "#D55E00"),  # vermillion
        Category("justification", N_("Justification"), "#56B4E9"),  # sky blue
        Category("simplification", N_("Simplification"), "#F0E442"),  # yellow
        Category("distraction", N_("Distraction"), "#CC79A7"),  # reddish purple
        Category("call", N_("Call"), "#009E73"),  # bluish green
        Category("manipulative_wording", N_("Manipulative Wording"), "#E69F00"),  # orange
    )
}

# Fields: label, name, category, definition, example; in the order of TECHNIQUE_LABELS.
TECHNIQUES: dict[str, Technique] = {
    t.label: t
    for t in (
        Technique(
            "Appeal_to_Authority",
            N_("Appeal to authority"),
            "justification",
            N_(
                "Treating a claim as settled because an expert, institution or celebrity backs it, "
                "whether or not they know the subject or show any evidence."
            ),
            N_("A Nobel laureate has said the new vaccine is unsafe, so there is nothing left to discuss."),
        ),
        Technique(
            "Appeal_to_Popularity",
            N_("Appeal to popularity"),
            "justification",
            N_(
                "Arguing that a view is right, or that the reader should join in, because many or most people "
                "already hold it."
            ),
            N_("Millions of families have already switched, so why are you still waiting?"),
        ),
        Technique(
            "Appeal_to_Values",
            N_("Appeal to values"),
            "justification",
            N_(
                "Backing a claim by tying it to values the audience holds dear, such as freedom, faith, tradition "
                "or fairness, instead of to evidence."
            ),
            N_("Decent people protect the traditions of their grandparents, and that is why the bill must pass."),
        ),
        Technique(
            "Appeal_to_Fear-Prejudice",
            N_("Appeal to fear or prejudice"),
            "justification",
            N_(
                "Pushing for or against an idea by stirring up anxiety, panic or existing prejudice about what "
                "will happen otherwise."
            ),
            N_("If the border opens, no street in this city will be safe at night."),
        ),
        Technique(
            "Flag_Waving",
            N_("Flag waving"),
            "justification",
            N_(
                "Justifying an idea by appealing to pride in a group, such as a nation, party or religion, "
                "or to what that group supposedly needs."
            ),
            N_("Every true patriot will stand behind the new defence law."),
        ),
        Technique(
            "Causal_Oversimplification",
            N_("Causal oversimplification"),
            "simplification",
            N_("Blaming a complex outcome on a single cause while ignoring everything else that contributed to it."),
            N_("Prices went up for one reason only: the new governor."),
        ),
        Technique(
            "False_Dilemma-No_Choice",
            N_("False dilemma or no choice"),
            "simplification",
            N_("Presenting two options, or only one, as the complete set of choices when others exist."),
            N_("Either we stop all foreign aid or our own children will go hungry."),
        ),
        Technique(
            "Consequential_Oversimplification",
            N_("Consequential oversimplification"),
            "simplification",
            N_(
                "Claiming that a first step will set off a chain of ever worse consequences, without showing "
                "why each step must follow from the last."
            ),
            N_("Allow one cycle lane today, and tomorrow cars will be banned from the whole city."),
        ),
        Technique(
            "Straw_Man",
            N_("Straw man"),
            "distraction",
            N_(
                "Replacing an opponent's real position with a distorted, weaker version that is easier to attack, "
                "then knocking that version down."
            ),
            N_(
                "My rival wants to review the defence budget; apparently he would like to leave the country "
                "without an army."
            ),
        ),
        Technique(
            "Red_Herring",
            N_("Red herring"),
            "distraction",
            N_(
                "Pulling attention away from the matter at hand by bringing in an unrelated topic that only seems "
                "relevant."
            ),
            N_("Asked about the hospital closures, the minister spoke at length about the national team's victory."),
        ),
        Technique(
            "Whataboutism",
            N_("Whataboutism"),
            "distraction",
            N_(
                "Deflecting criticism by accusing the critic, or someone else, of a similar or worse fault "
                "instead of answering the charge."
            ),
            N_("Why complain about our prisons when their country jails journalists?"),
        ),
        Technique(
            "Slogans",
            N_("Slogans"),
            "call",
            N_(
                "A short, catchy phrase that packs a claim or a demand into a memorable form, relying on punch "
                "rather than argument."
            ),
            N_("Our land, our rules!"),
        ),
        Technique(
            "Appeal_to_Time",
            N_("Appeal to time"),
            "call",
            N_(
                "Urging immediate action by insisting that the moment is now or never, leaving no room "
                "to weigh the decision."
            ),
            N_("The hour has come: we act today or we lose everything."),
        ),
        Technique(
            "Conversation_Killer",
            N_("Conversation killer"),
            "call",
            N_("A stock phrase that shuts down thought or debate by presenting the question as closed."),
            N_("It is what it is, and there is nothing more to say."),
        ),
        Technique(
            "Loaded_Language",
            N_("Loaded language"),
            "manipulative_wording",
            N_(
                "Choosing words with strong emotional charge, positive or negative, to steer how the reader feels "
                "about the subject."
            ),
            N_("The regime unleashed a brutal wave of terror on peaceful citizens."),
        ),
        Technique(
            "Repetition",
            N_("Repetition"),
            "manipulative_wording",
            N_("Saying the same word, phrase or idea again and again until the audience takes it for granted."),
            N_("They lied about the war, they lied about the money, and they are lying to you now."),
        ),
        Technique(
            "Exaggeration-Minimisation",
            N_("Exaggeration or minimisation"),
            "manipulative_wording",
            N_("Making something look far bigger, better or worse than it is, or playing down how serious it is."),
            N_("The leak was just a few harmless emails, hardly worth a headline."),
        ),
        Technique(
            "Obfuscation-Vagueness-Confusion",
            N_("Obfuscation, vagueness or confusion"),
            "manipulative_wording",
            N_(
                "Wording a statement so unclearly that the audience can read into it whatever suits them, "
                "or cannot pin the speaker down."
            ),
            N_("Certain steps will be taken, in due course, wherever appropriate."),
        ),
        Technique(
            "Name_Calling-Labeling",
            N_("Name calling or labelling"),
            "attack_on_reputation",
            N_(
                "Attaching an insulting, frightening or flattering label to a person or group so that the audience "
                "judges them by the label rather than by their actions."
            ),
            N_("The so-called reformers, a gang of spoiled careerists, met again on Tuesday."),
        ),
        Technique(
            "Doubt",
            N_("Casting doubt"),
            "attack_on_reputation",
            N_(
                "Undermining trust in a person or group by questioning their honesty, competence or motives "
                "rather than dealing with the issue."
            ),
            N_("Can we really expect a minister who has never run a business to fix the economy?"),
        ),
        Technique(
            "Guilt_by_Association",
            N_("Guilt by association"),
            "attack_on_reputation",
            N_(
                "Discrediting a person, group or idea by linking it to someone or something the audience already despises."
            ),
            N_("Her tax plan is exactly what the old dictatorship tried in the seventies."),
        ),
        Technique(
            "Appeal_to_Hypocrisy",
            N_("Appeal to hypocrisy"),
            "attack_on_reputation",
            N_(
                "Attacking a target by showing that their past words or deeds contradict their current position, "
                "instead of answering the position itself."
            ),
            N_("The senator now lectures us about thrift, yet he once billed taxpayers for a yacht."),
        ),
        Technique(
            "Questioning_the_Reputation",
            N_("Questioning the reputation"),
            "attack_on_reputation",
            N_(
                "Smearing the general character or moral standing of a target with broad negative claims, "
                "often unrelated to the issue under discussion."
            ),
            N_("The mayor has a long record of broken promises and shady deals behind closed doors."),
        ),
    )
}

FRAMES: dict[str, Frame] = {
    f.label: f
    for f in (
        Frame(
            "Economic",
            N_("Economic"),
            N_("The costs, benefits and financial consequences of the issue for people, businesses or the state."),
        ),
        Frame(
            "Capacity_and_resources",
            N_("Capacity and resources"),
            N_("Whether there is enough money, staff, time, space or material to deal with the issue."),
        ),
        Frame(
            "Morality",
            N_("Morality"),
            N_("Questions of right and wrong, religious teaching, ethics or social duty raised by the issue."),
        ),
        Frame(
            "Fairness_and_equality",
            N_("Fairness and equality"),
            N_("Whether rights, rewards and burdens are shared out justly and equally among people or groups."),
        ),
        Frame(
            "Legality_Constitutionality_and_jurisprudence",
            N_("Legality, constitutionality and jurisprudence"),
            N_("The legal side of the issue: rights, court rulings, constitutional limits and what the law allows."),
        ),
        Frame(
            "Policy_prescription_and_evaluation",
            N_("Policy prescription and evaluation"),
            N_("Specific policies proposed to deal with the issue, or judgements of whether existing ones work."),
        ),
        Frame(
            "Crime_and_punishment",
            N_("Crime and punishment"),
            N_("Breaking the law, enforcing it, and the penalties that follow."),
        ),
        Frame(
            "Security_and_defense",
            N_("Security and defence"),
            N_("Threats to a nation, community or person, and the means of protecting them."),
        ),
        Frame(
            "Health_and_safety",
            N_("Health and safety"),
            N_("Illness, injury, care, sanitation and the physical safety of the people affected."),
        ),
        Frame(
            "Quality_of_life",
            N_("Quality of life"),
            N_("How the issue changes people's well-being, comfort, opportunities or daily routines."),
        ),
        Frame(
            "Cultural_identity",
            N_("Cultural identity"),
            N_("The traditions, customs, language or values of a social group as they bear on the issue."),
        ),
        Frame(
            "Public_opinion",
            N_("Public opinion"),
            N_("What the public thinks or feels about the issue, from polls to protests and popular reactions."),
        ),
        Frame(
            "Political",
            N_("Political"),
            N_("The issue as a matter of parties, elections, lobbying, political manoeuvring and partisan conflict."),
        ),
        Frame(
            "External_regulation_and_reputation",
            N_("External regulation and reputation"),
            N_("A country's standing abroad and its relations with other states, treaties and foreign policy."),
        ),
    )
}

GENRES: dict[str, Genre] = {
    g.label: g
    for g in (
        Genre(
            "opinion",
            N_("Opinion"),
            N_("Writing that argues for the author's own view, such as editorials, columns and commentary."),
        ),
        Genre(
            "reporting",
            N_("Reporting"),
            N_("Writing that sets out to inform the reader of events and facts without openly taking a side."),
        ),
        Genre(
            "satire",
            N_("Satire"),
            N_("Writing that mocks its subject through irony, exaggeration or humour, often posing as real news."),
        ),
    )
}

# PTC-2020 (SemEval-2020 Task 11) merged some classes that SemEval-2023 keeps apart; such a
# PTC label maps to every SemEval-2023 label it may stand for.
PTC2020_TO_SEMEVAL2023: dict[str, tuple[str, ...]] = {
    "Loaded_Language": ("Loaded_Language",),
    "Name_Calling,Labeling": ("Name_Calling-Labeling",),
    "Repetition": ("Repetition",),
    "Doubt": ("Doubt",),
    "Exaggeration,Minimisation": ("Exaggeration-Minimisation",),
    "Appeal_to_fear-prejudice": ("Appeal_to_Fear-Prejudice",),
    "Flag-Waving": ("Flag_Waving",),
    "Causal_Oversimplification": ("Causal_Oversimplification",),
    "Appeal_to_Authority": ("Appeal_to_Authority",),
    "Slogans": ("Slogans",),
    "Black-and-White_Fallacy": ("False_Dilemma-No_Choice",),
    "Thought-terminating_Cliches": ("Conversation_Killer",),
    "Whataboutism,Straw_Men,Red_Herring": ("Whataboutism", "Straw_Man", "Red_Herring"),
    "Bandwagon,Reductio_ad_hitlerum": ("Appeal_to_Popularity", "Guilt_by_Association"),
}

LabelKind = Literal["technique", "category", "frame", "genre"]
_KIND_NAMES: dict[LabelKind, str] = {
    "technique": "persuasion technique",
    "category": "technique category",
    "frame": "frame",
    "genre": "genre",
}


def technique(label: str) -> Technique:
    """Return the technique with this label or English name, in any case (see :func:`resolve_label`).

    Parameters
    ----------
    label : str
        A label from :data:`TECHNIQUE_LABELS`, e.g. ``"Flag_Waving"``, or the technique's
        name, e.g. ``"flag waving"``.

    Returns
    -------
    Technique

    Raises
    ------
    InputError
        If the label is unknown; the message suggests the closest known labels.

    Examples
    --------
    >>> technique("Flag_Waving").name
    'Flag waving'
    >>> technique("LOADED LANGUAGE").label
    'Loaded_Language'
    >>> technique("Loaded_Langauge")
    Traceback (most recent call last):
    ...
    unspin.errors.InputError: unknown persuasion technique 'Loaded_Langauge'; did you mean 'Loaded_Language'?
    """
    return TECHNIQUES[resolve_label(label, "technique")]


def category_of(label: str) -> Category:
    """Return the category of the technique with this label (or name, as for :func:`technique`).

    Raises
    ------
    InputError
        If the label is unknown, as for :func:`technique`.

    Examples
    --------
    >>> category_of("Whataboutism").name
    'Distraction'
    """
    return CATEGORIES[technique(label).category]


def resolve_label(value: str, kind: LabelKind = "technique") -> str:
    """The label of a technique, category, frame or genre named by its label or its English name, in any case.

    Case, spaces, underscores, hyphens and punctuation are ignored: ``Loaded_Language``,
    ``loaded language`` and ``LOADED LANGUAGE`` are all ``"Loaded_Language"``, and
    ``appeal to fear or prejudice`` is ``"Appeal_to_Fear-Prejudice"``. Every place that takes a
    label from a person (the corpus filters and questions, the API's query parameters)
    goes through here, so that a typo is an error rather than an empty answer.

    Raises
    ------
    InputError
        If nothing matches; the message lists the close matches (or every label when none is close).

    Examples
    --------
    >>> resolve_label("appeal to fear or prejudice"), resolve_label("security and defence", "frame")
    ('Appeal_to_Fear-Prejudice', 'Security_and_defense')
    >>> resolve_label("Flag Wavin")
    Traceback (most recent call last):
    ...
    unspin.errors.InputError: unknown persuasion technique 'Flag Wavin'; did you mean 'Flag_Waving'?
    """
    table = _tables()[kind]
    if value in table:  # the usual case: the label itself
        return value
    found = _index(kind).get(_key(value))
    if found is None:
        raise InputError(f"unknown {_KIND_NAMES[kind]} {value!r}; {_suggestion(value, kind)}") from None
    return found


def to_dict() -> dict[str, list[dict[str, Any]]]:
    """Return the whole taxonomy as JSON-serialisable lists of plain dicts, in label order.

    Examples
    --------
    >>> {kind: len(entries) for kind, entries in to_dict().items()}
    {'categories': 6, 'techniques': 23, 'frames': 14, 'genres': 3}
    """
    return {
        kind: [asdict(entry) for entry in table.values()]
        for kind, table in (
            ("categories", CATEGORIES),
            ("techniques", TECHNIQUES),
            ("frames", FRAMES),
            ("genres", GENRES),
        )
    }


def _tables() -> dict[LabelKind, dict[str, Any]]:
    return {"technique": TECHNIQUES, "category": CATEGORIES, "frame": FRAMES, "genre": GENRES}


def _key(text: str) -> str:
    """What a label and a name are compared by: case-folded words, nothing else ("Flag-waving!" is "flag waving")."""
    return " ".join(re.findall(r"[^\W_]+", str(text).casefold()))


@cache
def _index(kind: LabelKind) -> dict[str, str]:
    """Each label's key and its English name's key, to the label."""
    index: dict[str, str] = {}
    for label, entry in _tables()[kind].items():
        index.setdefault(_key(label), label)
        index.setdefault(_key(entry.name), label)
    return index


def _suggestion(value: str, kind: LabelKind) -> str:
    """The close matches: whole names like the value, then names with a word like each of its words."""
    index, typed = _index(kind), _key(value)
    close = difflib.get_close_matches(typed, index, n=6, cutoff=0.6)
    words = typed.split()
    close += [
        key
        for key in index
        if words and all(difflib.get_close_matches(word, key.split(), n=1, cutoff=0.75) for word in words)
    ]
    labels = list(dict.fromkeys(index[key] for key in close))[:3]
    if not labels:
        return "expected one of: " + ", ".join(_tables()[kind])
    quoted = [repr(label) for label in labels]
    return "did you mean " + (quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]) + "?"
