"""Tests of the SemEval-2023 taxonomy: completeness, consistency with the task files, lookups."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from unspin.errors import InputError
from unspin.taxonomy import (
    CATEGORIES,
    FRAME_LABELS,
    FRAMES,
    GENRE_LABELS,
    GENRES,
    PTC2020_TO_SEMEVAL2023,
    TECHNIQUE_LABELS,
    TECHNIQUES,
    Category,
    Frame,
    Genre,
    Technique,
    _key,
    category_of,
    resolve_label,
    technique,
    to_dict,
)

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
SEMEVAL_DIR = DATA_DIR / "semeval2023"
PTC_LABELS_DIR = DATA_DIR / "ptc2020" / "train-labels-task2-technique-classification"

# The category of every technique, as given by the SemEval-2023 Task 3 guidelines.
EXPECTED_CATEGORIES = {
    "attack_on_reputation": {
        "Name_Calling-Labeling",
        "Guilt_by_Association",
        "Doubt",
        "Appeal_to_Hypocrisy",
        "Questioning_the_Reputation",
    },
    "justification": {
        "Flag_Waving",
        "Appeal_to_Authority",
        "Appeal_to_Popularity",
        "Appeal_to_Values",
        "Appeal_to_Fear-Prejudice",
    },
    "simplification": {"Causal_Oversimplification", "False_Dilemma-No_Choice", "Consequential_Oversimplification"},
    "distraction": {"Straw_Man", "Red_Herring", "Whataboutism"},
    "call": {"Slogans", "Conversation_Killer", "Appeal_to_Time"},
    "manipulative_wording": {
        "Loaded_Language",
        "Obfuscation-Vagueness-Confusion",
        "Exaggeration-Minimisation",
        "Repetition",
    },
}

TABLES = [
    pytest.param(TECHNIQUES, TECHNIQUE_LABELS, 23, id="techniques"),
    pytest.param(FRAMES, FRAME_LABELS, 14, id="frames"),
    pytest.param(GENRES, GENRE_LABELS, 3, id="genres"),
]
ALL_ENTRIES = [*CATEGORIES.values(), *TECHNIQUES.values(), *FRAMES.values(), *GENRES.values()]


def _relative_luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize(("table", "labels", "count"), TABLES)
def test_every_label_has_exactly_one_entry_in_label_order(table, labels, count):
    assert len(labels) == len(set(labels)) == count
    assert tuple(table) == labels
    assert all(entry.label == label for label, entry in table.items())


@pytest.mark.parametrize(
    ("filename", "labels"),
    [
        ("techniques_subtask3.txt", TECHNIQUE_LABELS),
        ("frames_subtask2.txt", FRAME_LABELS),
        ("genres_subtask1.txt", GENRE_LABELS),
    ],
)
def test_labels_equal_the_shared_task_files(filename, labels):
    if not SEMEVAL_DIR.is_dir():
        pytest.skip(f"SemEval-2023 data not found at {SEMEVAL_DIR}")
    lines = (SEMEVAL_DIR / filename).read_text(encoding="utf-8").splitlines()
    assert tuple(line.strip() for line in lines if line.strip()) == labels


def test_techniques_belong_to_the_guideline_categories():
    actual = {key: {t.label for t in TECHNIQUES.values() if t.category == key} for key in CATEGORIES}
    assert actual == EXPECTED_CATEGORIES
    assert all(actual.values()), "every category needs at least one technique"


def test_category_keys_match_entries():
    assert all(category.key == key for key, category in CATEGORIES.items())
    assert {t.category for t in TECHNIQUES.values()} <= set(CATEGORIES)


def test_category_colours_are_unique_valid_hex_readable_with_black_text():
    colours = [category.colour for category in CATEGORIES.values()]
    assert all(re.fullmatch(r"#[0-9A-Fa-f]{6}", colour) for colour in colours), colours
    assert len({colour.upper() for colour in colours}) == len(colours)
    for colour in colours:
        contrast = (_relative_luminance(colour) + 0.05) / 0.05  # black text has luminance 0
        assert contrast >= 4.5, f"{colour} is too dark behind black text ({contrast:.1f}:1)"


@pytest.mark.parametrize("entry", ALL_ENTRIES, ids=lambda e: getattr(e, "label", getattr(e, "key", "")))
def test_texts_are_non_empty_sentences(entry):
    assert entry.name.strip() and entry.name == entry.name.strip()
    for field in ("definition", "example"):
        text = getattr(entry, field, None)
        if text is not None:
            assert text == text.strip() and text[0].isupper(), f"{field} of {entry}"
            assert text.endswith((".", "!", "?")), f"{field} of {entry} must end with punctuation"


@pytest.mark.parametrize(
    "table", [CATEGORIES, TECHNIQUES, FRAMES, GENRES], ids=["categories", "techniques", "frames", "genres"]
)
def test_names_are_unique(table):
    names = [entry.name for entry in table.values()]
    assert len(names) == len(set(names))


def test_entries_are_frozen_and_slotted():
    entry = TECHNIQUES["Doubt"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.name = "changed"  # type: ignore[misc]
    assert not hasattr(entry, "__dict__")


def test_lookups_return_the_entries():
    assert technique("Slogans") is TECHNIQUES["Slogans"]
    assert category_of("Slogans") is CATEGORIES["call"]
    assert category_of("Doubt").name == "Attack on Reputation"


@pytest.mark.parametrize("lookup", [technique, category_of])
@pytest.mark.parametrize(
    ("typo", "closest"),
    [("Loaded_Langauge", "Loaded_Language"), ("name_calling-labelling", "Name_Calling-Labeling")],
)
def test_unknown_label_raises_input_error_suggesting_the_closest(lookup, typo, closest):
    with pytest.raises(InputError, match=re.escape(f"did you mean {closest!r}?")) as caught:
        lookup(typo)
    assert typo in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_unknown_label_without_close_match_lists_the_labels():
    with pytest.raises(InputError) as caught:
        technique("zzz")
    assert all(label in str(caught.value) for label in TECHNIQUE_LABELS)


def test_to_dict_is_json_serialisable_and_round_trips():
    data = json.loads(json.dumps(to_dict()))
    assert {kind: len(entries) for kind, entries in data.items()} == {
        "categories": len(CATEGORIES),
        "techniques": len(TECHNIQUE_LABELS),
        "frames": len(FRAME_LABELS),
        "genres": len(GENRE_LABELS),
    }
    assert [t["label"] for t in data["techniques"]] == list(TECHNIQUE_LABELS)
    assert [Technique(**t) for t in data["techniques"]] == list(TECHNIQUES.values())
    assert [Category(**c) for c in data["categories"]] == list(CATEGORIES.values())
    assert [Frame(**f) for f in data["frames"]] == list(FRAMES.values())
    assert [Genre(**g) for g in data["genres"]] == list(GENRES.values())


def test_ptc2020_mapping_covers_all_14_classes_with_valid_labels():
    assert len(PTC2020_TO_SEMEVAL2023) == 14
    for ptc_label, candidates in PTC2020_TO_SEMEVAL2023.items():
        assert isinstance(candidates, tuple) and candidates, ptc_label
        assert set(candidates) <= set(TECHNIQUE_LABELS), ptc_label
    assert PTC2020_TO_SEMEVAL2023["Black-and-White_Fallacy"] == ("False_Dilemma-No_Choice",)
    assert PTC2020_TO_SEMEVAL2023["Bandwagon,Reductio_ad_hitlerum"] == ("Appeal_to_Popularity", "Guilt_by_Association")


def test_ptc2020_mapping_keys_equal_the_classes_in_the_ptc_labels():
    if not PTC_LABELS_DIR.is_dir():
        pytest.skip(f"PTC-2020 data not found at {PTC_LABELS_DIR}")
    classes = {
        line.split("\t")[1]
        for path in PTC_LABELS_DIR.glob("*.labels")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    assert classes == set(PTC2020_TO_SEMEVAL2023)


@pytest.mark.parametrize(
    ("kind", "value", "label"),
    [
        ("technique", "Loaded_Language", "Loaded_Language"),
        ("technique", "loaded language", "Loaded_Language"),
        ("technique", "LOADED LANGUAGE", "Loaded_Language"),
        ("technique", "  loaded-language ", "Loaded_Language"),
        ("technique", "appeal to fear or prejudice", "Appeal_to_Fear-Prejudice"),
        ("technique", "appeal_to_fear-prejudice", "Appeal_to_Fear-Prejudice"),
        ("technique", "Casting doubt", "Doubt"),
        ("category", "Attack on reputation", "attack_on_reputation"),
        ("frame", "security and defence", "Security_and_defense"),
        ("frame", "SECURITY_AND_DEFENSE", "Security_and_defense"),
        ("genre", "Opinion", "opinion"),
    ],
)
def test_labels_resolve_from_a_label_or_a_name_in_any_case(kind, value, label):
    assert resolve_label(value, kind) == label


def test_no_two_labels_share_a_name_once_case_and_punctuation_are_ignored():
    for kind, table in (("technique", TECHNIQUES), ("category", CATEGORIES), ("frame", FRAMES), ("genre", GENRES)):
        owners = {}
        for label, entry in table.items():
            for key in {_key(label), _key(entry.name)}:
                assert owners.setdefault(key, label) == label, (kind, key)


@pytest.mark.parametrize(
    ("value", "kind", "suggested"),
    [
        ("oversimplification", "technique", ["Causal_Oversimplification", "Consequential_Oversimplification"]),
        ("Securty", "frame", ["Security_and_defense"]),
        ("fear", "technique", ["Appeal_to_Fear-Prejudice"]),
    ],
)
def test_an_unknown_name_lists_the_close_matches(value, kind, suggested):
    with pytest.raises(InputError) as caught:
        resolve_label(value, kind)
    message = str(caught.value)
    assert message.startswith(
        f"unknown {'frame' if kind == 'frame' else 'persuasion technique'} {value!r}; did you mean"
    )
    assert all(repr(label) in message for label in suggested)
