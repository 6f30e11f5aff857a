"""Constant baselines: constants learnt from train only, predictions for every validation item, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from unspin.baseline import Labels, fit_constants, read_labels, run_baseline, write_baseline
from unspin.cli import main
from unspin.errors import InputError
from unspin.evaluate import evaluate_files
from unspin.split import is_validation

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2023"
TRAIN_LANGUAGES = ("en", "fr", "ge", "it", "po", "ru")

TRAIN_IDS, VALIDATION_IDS = ("1", "2", "3"), ("5", "6", "7")

# Train: Loaded_Language in 3 paragraphs, Doubt in 2, Flag_Waving and Slogans in 1 (a tie that
# taxonomy order breaks for Flag_Waving). Validation holds Repetition, absent from train.
TECHNIQUES = """\
1\t1\tDoubt,Loaded_Language
1\t2\t
1\t3\tLoaded_Language
2\t1\tSlogans,Doubt
2\t3\tLoaded_Language,Flag_Waving
3\t1\t
5\t1\tLoaded_Language
5\t2\t
5\t3\tRepetition
6\t1\tDoubt,Repetition
6\t2\tDoubt
"""
# Train: 2.5 frames per article, rounded up to 3; Economic and Political tie, Economic first.
FRAMES = "1\tPolitical,Economic,Morality\n2\tEconomic,Political\n5\tPolitical\n6\tMorality,Crime_and_punishment\n"
GENRES = "1\topinion\n2\treporting\n3\treporting\n5\treporting\n6\topinion\n7\tsatire\n"

FILE_PAIRS = [
    ("techniques", "gold-techniques.txt", "pred-techniques-top1.txt"),
    ("techniques", "gold-techniques.txt", "pred-techniques-top3.txt"),
    ("frames", "gold-frames.txt", "pred-frames.txt"),
    ("genre", "gold-genre.txt", "pred-genre.txt"),
]


def test_fixture_ids_fall_on_both_sides_of_the_split() -> None:
    assert not any(map(is_validation, TRAIN_IDS))
    assert all(map(is_validation, VALIDATION_IDS))


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "semeval2023"
    (root / "en").mkdir(parents=True)
    for subtask, content in ((1, GENRES), (2, FRAMES), (3, TECHNIQUES)):
        (root / "en" / f"train-labels-subtask-{subtask}.txt").write_text(content, encoding="utf-8")
    return root


def test_constants_come_from_train_only(data: Path) -> None:
    constants = run_baseline(data, "en").constants
    assert constants.techniques == ("Loaded_Language", "Doubt", "Flag_Waving")
    assert constants.top_techniques(1) == ("Loaded_Language",)
    assert constants.frames == ("Economic", "Political", "Morality")
    assert constants.genre == "reporting"


def test_every_validation_item_gets_the_constants(data: Path) -> None:
    baseline = run_baseline(data, "en")
    assert set(baseline.gold.techniques) == {("5", 1), ("5", 2), ("5", 3), ("6", 1), ("6", 2)}
    assert set(baseline.gold.frames) == {"5", "6"}
    assert set(baseline.gold.genres) == {"5", "6", "7"}
    top1, top3 = baseline.predictions["top1"], baseline.predictions["top3"]
    assert top1.techniques.keys() == top3.techniques.keys() == baseline.gold.techniques.keys()
    assert top1.techniques["5", 2] == ("Loaded_Language",)  # a paragraph without gold technique
    assert set(top3.techniques.values()) == {("Loaded_Language", "Doubt", "Flag_Waving")}
    assert set(top1.frames.values()) == {("Economic", "Political", "Morality")}
    assert set(top1.genres.values()) == {"reporting"}


def test_scores_by_hand(data: Path) -> None:
    scores = run_baseline(data, "en").scores()
    assert scores.techniques_top1.micro_f1 == pytest.approx(0.2)  # TP 1, FP 4, FN 4
    assert scores.techniques_top3.micro_f1 == pytest.approx(0.3)  # TP 3, FP 12, FN 2
    assert scores.frames.micro_f1 == pytest.approx(4 / 9)  # TP 2, FP 4, FN 1
    assert scores.genre.accuracy == pytest.approx(1 / 3)


def test_set_size_rounds_half_up_and_is_at_least_one() -> None:
    train = Labels({("1", 1): ("Doubt",)}, {"1": (), "2": ()}, {"1": "opinion"})
    with pytest.raises(InputError, match="at least one technique, frame and genre"):
        fit_constants(train)
    train = Labels({("1", 1): ("Doubt",)}, {"1": ("Economic",), "2": ()}, {"1": "opinion"})
    assert fit_constants(train).frames == ("Economic",)  # mean 0.5 -> 1


def test_written_files_rescore_to_the_same_figures(data: Path, tmp_path: Path) -> None:
    baseline = run_baseline(data, "en")
    paths = write_baseline(baseline, tmp_path / "out")
    scores = baseline.scores()
    expected = [scores.techniques_top1, scores.techniques_top3, scores.frames, scores.genre]
    for (task, gold, pred), report in zip(FILE_PAIRS, expected, strict=True):
        assert evaluate_files(task, paths[gold], paths[pred]) == report


def test_cli_writes_scorable_files_and_prints_scores(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["baseline", "--data", str(data), "--out", str(out), "--language", "en"]) == 0
    printed = capsys.readouterr().out
    assert "0.2000" in printed and "0.3000" in printed and "Flag_Waving" in printed
    written = out / "en"
    for task, gold, pred in FILE_PAIRS:
        assert main(["evaluate", "--task", task, "--gold", str(written / gold), "--pred", str(written / pred)]) == 0
    expected_names = {name for _, gold, pred in FILE_PAIRS for name in (gold, pred)}
    assert {path.name for path in written.iterdir()} == expected_names


@pytest.mark.parametrize(
    ("relative_data", "language", "message"),
    [("missing", "en", "no such data directory"), (".", "fr", "no folder fr/"), (".", "xx", "no folder xx/")],
    ids=["no-data-dir", "no-language-folder", "unknown-language"],
)
def test_missing_data_exits_1_with_one_line(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], relative_data: str, language: str, message: str
) -> None:
    args = ["baseline", "--data", str(data / relative_data), "--out", str(tmp_path / "out"), "--language", language]
    assert main(args) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert captured.err.startswith("error:") and message in captured.err
    assert len(captured.err.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [("--out", "o"), ("--data", "d", "--out", "o", "--bogus")], ids=["no-data", "bogus"])
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], args: tuple[str, ...]) -> None:
    assert main(["baseline", *args]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err


# -- the real data ----------------------------------------------------------------------------------------


@pytest.mark.skipif(not DATA.is_dir(), reason="needs ../shared/data (not part of the repository)")
@pytest.mark.parametrize("language", TRAIN_LANGUAGES)
def test_real_data(language: str) -> None:
    baseline = run_baseline(DATA, language)
    every_row = read_labels(DATA, language).techniques
    assert baseline.gold.techniques == {key: v for key, v in every_row.items() if is_validation(key[0])}
    assert baseline.predictions["top1"].techniques.keys() == baseline.gold.techniques.keys()
    assert len(baseline.constants.techniques) == 3
    assert 1 <= len(baseline.constants.frames) <= 5 and baseline.constants.genre == "opinion"
    scores = baseline.scores()
    assert 0 < scores.techniques_top1.micro_f1 < 1 and 0 < scores.frames.micro_f1 < 1
