"""Reviews through SemEval files, Label Studio JSON and JSON Lines: round trips, offsets, hostile files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from _exchange_data import OTHER_TEXT, TEXT, analysed, full_decisions, place, ref, semeval_decisions
from unspin.article import Article
from unspin.cli import main
from unspin.errors import InputError
from unspin.formats import semeval
from unspin.review import Decision, Review, apply_decision
from unspin.review.formats import (
    Lookup,
    Reviewed,
    Utf16Offsets,
    jsonl_lines,
    labelstudio_config,
    labelstudio_tasks,
    line_labels,
    lines_of,
    read_jsonl,
    read_labelstudio,
    read_semeval,
    write_semeval,
)


def reviewed(decisions: list[Decision], text: str = TEXT, reviewer: str = "ana@example.org") -> Reviewed:
    article, analysis = analysed(text)
    review = Review(content_hash=article.content_hash, reviewer=reviewer, model="unspin-e5-small==1.0")
    for decision in decisions:
        review = apply_decision(review, decision, len(text))
    return article, analysis, review


def full_review(text: str = TEXT) -> Reviewed:
    return reviewed(full_decisions(text), text)


def semeval_review(text: str = TEXT) -> Reviewed:
    return reviewed(semeval_decisions(text), text)


def known(*items: Reviewed) -> Lookup:
    stored = {article.content_hash: (article, analysis) for article, analysis, _ in items}
    return stored.get


def files_of(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


# -- paragraphs and lines ---------------------------------------------------------------------------------


def test_lines_are_the_semeval_paragraphs() -> None:
    article = Article.from_semeval(TEXT)
    assert [(line.number, line.start, line.end) for line in lines_of(TEXT)] == [
        (p.number, p.start, p.end) for p in article.paragraphs
    ]


def test_a_paragraph_of_two_lines_labels_both_and_spans_label_the_lines_they_touch() -> None:
    article, _, review = full_review()
    labels = line_labels(article.paragraphs, review.paragraphs, review.spans, lines_of(TEXT))
    assert labels == {
        1: (),
        3: ("Loaded_Language",),  # "a disaster"
        4: ("Questioning_the_Reputation",),
        6: ("Appeal_to_Popularity", "Slogans"),  # explicit: the reviewer's, not only the spans'
    }
    explicit = line_labels(article.paragraphs, {2: ["Doubt"]}, review.spans, lines_of(TEXT))
    assert explicit[3] == explicit[4] == ("Doubt",)


# -- SemEval ----------------------------------------------------------------------------------------------


def test_semeval_round_trip_gives_the_same_review(tmp_path: Path) -> None:
    item = semeval_review()
    write_semeval([item], tmp_path / "out")
    [(article, analysis, review)] = read_semeval(tmp_path / "out", "ana@example.org", known(item))
    assert (article, analysis) == item[:2]
    assert review == item[2]
    assert review.spans[0].origin == "model" and review.spans[0].model_confidence == 0.91
    assert [s.origin for s in review.spans] == ["model", "model", "reviewer"]


def test_semeval_files_hold_what_the_review_says(tmp_path: Path) -> None:
    article, _, review = full_review()
    result = write_semeval([full_review()], tmp_path / "out")
    out = tmp_path / "out"
    [article_id] = result.ids.values()
    assert article_id == "1"  # "doc-7" is not a number
    assert (out / "articles" / "article1.txt").read_bytes() == TEXT.encode("utf-8")
    read_back = semeval.read_article(out / "articles" / "article1.txt")
    assert read_back.text == TEXT
    spans = semeval.read_span_file(out / "labels-subtask-3-spans" / "article1-labels-subtask-3.txt", TEXT)
    assert [(s.start, s.end, s.technique) for s in spans] == [(s.start, s.end, s.technique) for s in review.spans]
    assert semeval.read_technique_labels(out / "labels-subtask-3.txt") == {
        ("1", 1): (),
        ("1", 3): ("Loaded_Language",),
        ("1", 4): ("Questioning_the_Reputation",),
        ("1", 6): ("Appeal_to_Popularity", "Slogans"),
    }
    assert semeval.read_frame_labels(out / "labels-subtask-2.txt") == {"1": ("Morality", "Political")}
    assert semeval.read_genre_labels(out / "labels-subtask-1.txt") == {"1": "opinion"}
    model_lines = semeval.read_technique_labels(out / "model" / "labels-subtask-3.txt")
    assert model_lines[("1", 4)] == model_lines[("1", 3)] == ("Loaded_Language", "Name_Calling-Labeling")
    assert semeval.read_genre_labels(out / "model" / "labels-subtask-1.txt") == {"1": "opinion"}
    index = (out / "index.tsv").read_text().splitlines()
    assert index[1].split("\t") == [
        "1",
        article.content_hash,
        "doc-7",
        "ana@example.org",
        "done",
        "unspin-e5-small==1.0",
    ]


def test_semeval_export_import_export_gives_the_same_files(tmp_path: Path) -> None:
    """What SemEval files cannot say (rejections, relabels) is lost once; the files stay the same."""
    item = full_review()
    write_semeval([item], tmp_path / "first")
    again = read_semeval(tmp_path / "first", "ana@example.org", known(item))
    write_semeval(again, tmp_path / "second")
    assert files_of(tmp_path / "first") == files_of(tmp_path / "second")
    review = again[0][2]
    assert review.rejected == [] and review.status == "done"
    assert [(s.technique, s.origin) for s in review.spans] == [
        ("Loaded_Language", "reviewer"),  # moved: no longer where the model put it
        ("Questioning_the_Reputation", "reviewer"),  # relabelled
        ("Slogans", "reviewer"),
    ]


def test_semeval_import_without_the_store_numbers_paragraphs_by_line(tmp_path: Path) -> None:
    item = semeval_review()
    write_semeval([item], tmp_path / "out")
    [(article, analysis, review)] = read_semeval(tmp_path / "out", "bo")
    assert analysis is None and article.id == "1"
    assert [p.number for p in article.paragraphs] == [1, 3, 4, 6]
    assert review.paragraphs == {3: ["Doubt"], 4: ["Doubt"], 6: ["Appeal_to_Popularity", "Slogans"]}
    assert all(s.origin == "reviewer" for s in review.spans) and review.model is None


def test_semeval_keeps_numeric_ids_and_crlf_texts(tmp_path: Path) -> None:
    text = "Title\r\n\r\nThey are liars.\r\nVote now!"
    article = Article.from_semeval(text, id="111", language="en")
    review = Review(
        content_hash=article.content_hash,
        reviewer="x",
        status="done",
        spans=[
            {
                "start": text.index("liars"),
                "end": text.index("liars") + 5,
                "technique": "Name_Calling-Labeling",
                "origin": "reviewer",
            },
            {"start": text.index("Vote"), "end": len(text), "technique": "Slogans", "origin": "reviewer"},
        ],
    )
    write_semeval([(article, None, review)], tmp_path / "out")
    assert (tmp_path / "out" / "articles" / "article111.txt").read_bytes() == text.encode()
    assert not (tmp_path / "out" / "model").exists()
    assert semeval.read_technique_labels(tmp_path / "out" / "labels-subtask-3.txt") == {
        ("111", 1): (),
        ("111", 3): ("Name_Calling-Labeling",),
        ("111", 4): ("Slogans",),
    }
    [(_, _, back)] = read_semeval(tmp_path / "out", "x", known((article, None, review)))
    assert back == review


def test_unspin_evaluate_scores_the_model_against_an_exported_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    write_semeval([full_review()], out)
    for task, gold, pred in (
        ("techniques", "labels-subtask-3.txt", "model/labels-subtask-3.txt"),
        ("frames", "labels-subtask-2.txt", "model/labels-subtask-2.txt"),
        ("genre", "labels-subtask-1.txt", "model/labels-subtask-1.txt"),
        ("spans", "labels-subtask-3-spans", "model/labels-subtask-3-spans"),
    ):
        assert main(["evaluate", "--task", task, "--gold", str(out / gold), "--pred", str(out / pred), "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["task"] == task
    extra = ["--articles", str(out / "articles"), "--by-technique"]
    assert main(["evaluate", "--task", "spans", "--gold", str(out / "labels-subtask-3-spans"), "--pred", str(out / "model/labels-subtask-3-spans"), "--json", *extra]) == 0  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    # gold: "a disaster", "traitor" (relabelled), "act now!"; the model: its four proposals
    assert (report["n_gold"], report["n_pred"]) == (3, 4)
    assert 0 < report["precision"] < 1 and 0 < report["recall"] < 1
    assert main(["evaluate", "--task", "techniques", "--gold", str(out / "labels-subtask-3.txt"), "--pred", str(out / "model/labels-subtask-3.txt"), "--json"]) == 0  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert report["n_items"] == 4 and 0 < report["micro_f1"] < 1


@pytest.mark.slow
def test_unspin_evaluate_scores_a_real_model_on_an_exported_folder(
    analyzer: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The shipped model's analyses, a review of them, then `unspin predict` and `unspin evaluate` on the export."""
    analysis = analyzer.analyze(Article.from_text(TEXT, id="42", language="en"))
    review = Review(content_hash=analysis.article.content_hash, reviewer="ana", status="done", genre="opinion")
    review = apply_decision(review, Decision(kind="add", span=ref(TEXT, "traitor", "Name_Calling-Labeling")), len(TEXT))
    write_semeval([(analysis.article, analysis, review)], tmp_path / "out")
    predicted = tmp_path / "pred.txt"
    assert (
        main(["predict", "--task", "techniques", str(tmp_path / "out" / "articles"), "--output", str(predicted)]) == 0
    )
    for pred in (predicted, tmp_path / "out" / "model" / "labels-subtask-3.txt"):
        gold = str(tmp_path / "out" / "labels-subtask-3.txt")
        assert main(["evaluate", "--task", "techniques", "--gold", gold, "--pred", str(pred), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["n_items"] == 4


def test_semeval_export_refuses_two_reviewers_of_one_text_and_a_used_folder(tmp_path: Path) -> None:
    article, analysis, review = semeval_review()
    other = review.model_copy(update={"reviewer": "bo"})
    with pytest.raises(InputError, match=r"reviews by ana@example\.org and bo"):
        write_semeval([(article, analysis, review), (article, analysis, other)], tmp_path / "a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not an empty directory"):
        write_semeval([(article, analysis, review)], tmp_path / "b")
    with pytest.raises(InputError, match="no reviewed articles"):
        write_semeval([], tmp_path / "c")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda out: (out / "labels-subtask-3-spans/article1-labels-subtask-3.txt").write_text(
                "1\tSlogans\t130\t999\n"
            ),
            r"article1-labels-subtask-3.txt: span 130-999 \(Slogans\) runs past the end of article1.txt \(145 characters\)",
        ),
        (
            lambda out: (out / "labels-subtask-3-spans/article1-labels-subtask-3.txt").write_text("1\tSlogan\t1\t5\n"),
            r"article1-labels-subtask-3.txt:1: unknown label 'Slogan'; did you mean 'Slogans'\?",
        ),
        (
            lambda out: (out / "labels-subtask-3-spans/article1-labels-subtask-3.txt").write_text("1\tSlogans\t5\t1\n"),
            r"article1-labels-subtask-3.txt:1: span 5-1 is out of range",
        ),
        (
            lambda out: (out / "labels-subtask-3-spans/article1-labels-subtask-3.txt").unlink(),
            r"labels-subtask-3-spans: no span file for article1.txt",
        ),
        (
            lambda out: (out / "labels-subtask-3.txt").write_text("1\t2\tDoubt\n"),
            r"labels-subtask-3.txt: article 1 line 2: that line is blank or past the end",
        ),
        (
            lambda out: (out / "labels-subtask-3.txt").write_text("9\t1\tDoubt\n"),
            r"labels-subtask-3.txt: labels for article 9, which has no article9.txt",
        ),
        (
            lambda out: (out / "labels-subtask-1.txt").write_text("1\tnews\n"),
            r"labels-subtask-1.txt:1: unknown label 'news'",
        ),
        (
            lambda out: (out / "labels-subtask-3-spans/article2-labels-subtask-3.txt").write_text(""),
            r"article2-labels-subtask-3.txt: no article2.txt for these spans",
        ),
        (
            lambda out: (out / "articles/article1.txt").write_bytes(b"caf\xe9 au lait"),
            r"article1.txt: .*UTF-8",
        ),
    ],
)
def test_hostile_semeval_folders_fail_on_one_line_naming_file_and_item(tmp_path: Path, change, message: str) -> None:
    out = tmp_path / "out"
    write_semeval([semeval_review()], out)
    change(out)
    with pytest.raises(InputError, match=message) as raised:
        read_semeval(out, "ana")
    assert "\n" not in str(raised.value)


# -- Label Studio -----------------------------------------------------------------------------------------


def test_utf16_offsets_both_ways() -> None:
    offsets = Utf16Offsets(TEXT)
    start, _ = place(TEXT, "act now!")
    js_start = len(TEXT[:start].encode("utf-16-le")) // 2
    assert offsets.to_utf16(start) == js_start == start + 3  # 🇺🇦 is two code points, four units
    assert offsets.from_utf16(js_start) == start
    emoji = TEXT.index("😀")
    assert offsets.from_utf16(offsets.to_utf16(emoji) + 1) is None  # inside the surrogate pair
    plain = Utf16Offsets("no astral characters")
    assert plain.to_utf16(7) == plain.from_utf16(7) == 7


def test_labelstudio_tasks_carry_predictions_in_utf16_and_the_review_as_annotation() -> None:
    article, analysis, review = full_review()
    [task] = labelstudio_tasks([(article, analysis, review)])
    assert task["data"]["text"] == TEXT and task["data"]["content_hash"] == article.content_hash
    assert task["data"]["article_id"] == "doc-7"
    [prediction] = task["predictions"]
    assert prediction["model_version"] == "unspin-e5-small==1.0"
    spans = [r for r in prediction["result"] if r["type"] == "labels"]
    assert len(spans) == 4 and all(r["from_name"] == "technique" and r["to_name"] == "text" for r in spans)
    popular = next(r for r in spans if r["value"]["labels"] == ["Appeal_to_Popularity"])
    assert popular["score"] == 0.61 and popular["value"]["text"] == "Everyone knows"
    [annotation] = task["annotations"]
    assert annotation["created_username"] == "ana@example.org"
    slogan = next(r for r in annotation["result"] if r.get("value", {}).get("labels") == ["Slogans"])
    utf16 = TEXT.encode("utf-16-le")
    start, end = slogan["value"]["start"], slogan["value"]["end"]
    assert utf16[2 * start : 2 * end].decode("utf-16-le") == "act now!" == slogan["value"]["text"]
    assert slogan["origin"] == "manual"
    traitor = next(
        r for r in annotation["result"] if r.get("value", {}).get("labels") == ["Questioning_the_Reputation"]
    )
    assert traitor["origin"] == "prediction-changed" and traitor["id"] in {r["id"] for r in spans}
    paragraph = [r for r in annotation["result"] if r["from_name"] in ("paragraph", "paragraph_techniques")]
    assert {r["id"] for r in paragraph} == {"paragraph-3"}
    assert next(r for r in paragraph if r["type"] == "choices")["value"]["choices"] == [
        "Appeal_to_Popularity",
        "Slogans",
    ]
    assert json.loads(json.dumps(task)) == task


def test_labelstudio_round_trip_gives_the_same_review(tmp_path: Path) -> None:
    article, analysis, review = full_review()
    review = review.model_copy(update={"updated_at": dt.datetime(2025, 3, 1, 12, 30, tzinfo=dt.UTC)})
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(labelstudio_tasks([(article, analysis, review)]), ensure_ascii=False))
    [(back_article, back_analysis, back)] = read_labelstudio(path, lookup=known((article, analysis, review)))
    assert (back_article, back_analysis) == (article, analysis)
    assert back == review
    assert [(s.technique, s.origin, s.model_technique, s.model_confidence) for s in back.spans] == [
        ("Loaded_Language", "model", None, 0.91),
        ("Questioning_the_Reputation", "model", "Name_Calling-Labeling", 0.83),
        ("Slogans", "reviewer", None, None),
    ]
    assert [r.technique for r in back.rejected] == ["Loaded_Language", "Appeal_to_Popularity"]


def test_labelstudio_round_trip_without_the_store_reads_the_text_as_plain_text(tmp_path: Path) -> None:
    item = full_review()
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(labelstudio_tasks([item])))
    [(article, analysis, review)] = read_labelstudio(path, reviewer="bo")
    assert analysis is None and article.text == TEXT and article.id == "doc-7"
    assert review == item[2].model_copy(update={"reviewer": "bo"})


def test_labelstudio_export_of_several_reviewers_and_unreviewed_articles(tmp_path: Path) -> None:
    article, analysis, review = full_review()
    other_text = OTHER_TEXT
    other_article, other_analysis = analysed(other_text, "doc-8")
    tasks = labelstudio_tasks(
        [
            (article, analysis, review),
            (article, analysis, semeval_review()[2].model_copy(update={"reviewer": "bo"})),
            (other_article, other_analysis, None),
        ]
    )
    assert len(tasks) == 2 and len(tasks[0]["annotations"]) == 2 and "annotations" not in tasks[1]
    assert tasks[1]["predictions"][0]["result"]
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks))
    back = read_labelstudio(path)
    assert sorted(r.reviewer for _, _, r in back) == ["ana@example.org", "bo"]


def label_studio_export() -> list[dict[str, Any]]:
    """A task as Label Studio exports it after annotation: UTF-16 offsets, a user id, an edited prediction."""
    utf16 = Utf16Offsets(TEXT)
    start, end = place(TEXT, "act now!")
    now_start, now_end = utf16.to_utf16(start), utf16.to_utf16(end)
    p_start, p_end = map(utf16.to_utf16, place(TEXT, "Everyone knows"))
    return [
        {
            "id": 17,
            "data": {"text": TEXT},
            "annotations": [
                {
                    "id": 3,
                    "completed_by": 2,
                    "created_username": " lena@example.org, 2",
                    "was_cancelled": False,
                    "result": [
                        {
                            "id": "Xa1",
                            "from_name": "technique",
                            "to_name": "text",
                            "type": "labels",
                            "origin": "manual",
                            "value": {"start": now_start, "end": now_end, "text": "act now!", "labels": ["Slogans"]},
                        },
                        {
                            "id": "pred1",
                            "from_name": "technique",
                            "to_name": "text",
                            "type": "labels",
                            "origin": "prediction",
                            "value": {
                                "start": p_start,
                                "end": p_end,
                                "text": "Everyone knows",
                                "labels": ["Appeal_to_Popularity"],
                            },
                        },
                        {
                            "id": "g",
                            "from_name": "genre",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": ["satire"]},
                        },
                    ],
                },
                {"id": 4, "completed_by": 3, "was_cancelled": True, "result": []},
            ],
            "predictions": [
                {
                    "model_version": "unspin-e5-small==1.0",
                    "result": [
                        {
                            "id": "pred1",
                            "from_name": "technique",
                            "to_name": "text",
                            "type": "labels",
                            "score": 0.61,
                            "value": {
                                "start": p_start,
                                "end": p_end,
                                "text": "Everyone knows",
                                "labels": ["Appeal_to_Popularity"],
                            },
                        }
                    ],
                }
            ],
        }
    ]


def test_a_label_studio_export_becomes_reviews_with_code_point_offsets(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(label_studio_export(), ensure_ascii=False))
    [(article, _, review)] = read_labelstudio(path)
    assert review.reviewer == "lena@example.org" and review.status == "done" and review.genre == "satire"
    assert review.model == "unspin-e5-small==1.0" and review.frames is None
    slogan = next(s for s in review.spans if s.technique == "Slogans")
    assert TEXT[slogan.start : slogan.end] == "act now!" and slogan.origin == "reviewer"
    popular = next(s for s in review.spans if s.technique == "Appeal_to_Popularity")
    assert (popular.origin, popular.model_confidence) == ("model", 0.61)
    assert review.content_hash == article.content_hash


def mutate(tasks: list[dict[str, Any]], path: str, value: object) -> list[dict[str, Any]]:
    """``tasks`` with the item at ``path`` (dots between keys and list indexes) set to ``value``."""
    *steps, last = path.split(".")
    node: Any = tasks
    for step in steps:
        node = node[int(step)] if isinstance(node, list) else node[step]
    if value is _DELETE:
        del node[int(last) if isinstance(node, list) else last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return tasks


_DELETE = object()
_FIRST = "0.annotations.0.result.0"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            f"{_FIRST}.value.text",
            "act later",
            r"task 1 \(id 17\), annotation 1, result 1: its text 'act later' is not the task text",
        ),
        (f"{_FIRST}.value.end", 9999, r"task 1 \(id 17\), annotation 1, result 1: offsets .* are outside the text"),
        (f"{_FIRST}.value.start", "3", r"result 1: value.start and value.end must be integers"),
        (f"{_FIRST}.value.labels", ["Slogan"], r"result 1: unknown technique 'Slogan'; did you mean 'Slogans'\?"),
        ("0.annotations.0.result.2.value.choices", ["news"], r"result 3: unknown genre 'news'"),
        ("0.annotations.0.result.2.from_name", "sentiment", r"result 3: choices from 'sentiment'"),
        ("0.data.content_hash", "0" * 64, r"task 1 \(id 17\): data.text is not the text of data.content_hash"),
        ("0.data.text", "", r"task 1 \(id 17\): not a task with data.text"),
        ("0.annotations.0.completed_by", _DELETE, None),  # created_username still names her
        ("0.annotations.0.created_username", _DELETE, None),  # a user id: "label-studio user 2"
        ("0.predictions.0.result.0.value.labels", ["Bogus"], r"prediction 1, result 1: unknown technique 'Bogus'"),
        ("0.annotations.0.result", {"not": "a list"}, r"annotation 1: result is not a list"),
    ],
)
def test_hostile_label_studio_files_fail_on_one_line_naming_task_and_result(
    tmp_path: Path, path: str, value: object, message: str | None
) -> None:
    file = tmp_path / "export.json"
    file.write_text(json.dumps(mutate(label_studio_export(), path, value)))
    if message is None:
        assert len(read_labelstudio(file)) == 1
        return
    with pytest.raises(InputError, match=message) as raised:
        read_labelstudio(file)
    assert str(raised.value).startswith(str(file)) and "\n" not in str(raised.value)


def test_label_studio_offsets_inside_an_emoji_and_files_that_are_not_tasks(tmp_path: Path) -> None:
    file = tmp_path / "export.json"
    tasks = label_studio_export()
    emoji = Utf16Offsets(TEXT).to_utf16(TEXT.index("😀"))
    result = tasks[0]["annotations"][0]["result"][0]
    result["value"] = {"start": emoji + 1, "end": emoji + 6, "labels": ["Slogans"]}
    file.write_text(json.dumps(tasks))
    with pytest.raises(InputError, match=rf"offset {emoji + 1} splits a character in two"):
        read_labelstudio(file)
    file.write_text('[{"data": ')
    with pytest.raises(InputError, match=r"export.json: not JSON \(line 1, column 11"):
        read_labelstudio(file)
    file.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match=r"export\.json: not JSON that can be read"):
        read_labelstudio(file)
    file.write_text('[{"id": ' + "9" * 5000 + "}]")
    with pytest.raises(InputError, match=r"export\.json: not JSON that can be read"):
        read_labelstudio(file)
    file.write_text('"tasks"')
    with pytest.raises(InputError, match="expected a list of Label Studio tasks"):
        read_labelstudio(file)
    tasks = label_studio_export()
    del tasks[0]["annotations"][0]["completed_by"]
    del tasks[0]["annotations"][0]["created_username"]
    file.write_text(json.dumps(tasks))
    with pytest.raises(InputError, match="annotation 1: no annotator named"):
        read_labelstudio(file)
    assert read_labelstudio(file, reviewer="given")[0][2].reviewer == "given"


def test_a_paragraph_region_sets_the_techniques_of_the_paragraphs_it_covers(tmp_path: Path) -> None:
    tasks = label_studio_export()
    utf16 = Utf16Offsets(TEXT)
    start, end = map(utf16.to_utf16, place(TEXT, "minister said"))  # part of paragraph 2 is enough
    region = {"start": start, "end": end, "text": "minister said"}
    tasks[0]["annotations"][0]["result"] += [
        {"id": "P", "from_name": "paragraph", "to_name": "text", "type": "labels", "value": {**region, "labels": ["Paragraph"]}},
        {"id": "P", "from_name": "paragraph_techniques", "to_name": "text", "type": "choices", "value": {**region, "choices": ["Doubt", "Slogans"]}},
        {"id": "Q", "from_name": "paragraph", "to_name": "text", "type": "labels", "value": {"start": 0, "end": 5, "labels": ["Paragraph"]}},
    ]  # fmt: skip
    file = tmp_path / "export.json"
    file.write_text(json.dumps(tasks))
    [(_, _, review)] = read_labelstudio(file)
    assert review.paragraphs == {1: [], 2: ["Doubt", "Slogans"]}
    gap = TEXT.index("\n\n") + 1
    tasks[0]["annotations"][0]["result"][-1]["value"] = {"start": gap, "end": gap + 1, "labels": ["Paragraph"]}
    file.write_text(json.dumps(tasks))
    with pytest.raises(InputError, match=r"annotation 1, result 6: a paragraph region at 23-24 covers no paragraph"):
        read_labelstudio(file)


def test_a_second_annotation_by_the_same_reviewer_is_refused(tmp_path: Path) -> None:
    tasks = label_studio_export()
    tasks[0]["annotations"][1]["was_cancelled"] = False
    file = tmp_path / "export.json"
    file.write_text(json.dumps(tasks))
    assert {r.reviewer for _, _, r in read_labelstudio(file)} == {"lena@example.org", "label-studio user 3"}
    with pytest.raises(InputError, match="a second review of this text by one"):
        read_labelstudio(file, reviewer="one")


def test_the_labelling_config_names_every_label_the_tasks_use() -> None:
    import xml.etree.ElementTree as ElementTree

    from unspin.taxonomy import FRAME_LABELS, GENRE_LABELS, TECHNIQUE_LABELS

    view = ElementTree.fromstring(labelstudio_config())
    controls = {element.get("name"): element for element in view.iter() if element.tag in ("Labels", "Choices", "Text")}
    values = {name: [child.get("value") for child in element] for name, element in controls.items()}
    assert values["technique"] == list(TECHNIQUE_LABELS)
    assert values["paragraph"] == ["Paragraph"]
    assert values["paragraph_techniques"] == list(TECHNIQUE_LABELS)
    assert values["frames"] == list(FRAME_LABELS) and values["genre"] == list(GENRE_LABELS)
    assert controls["text"].get("value") == "$text"
    assert controls["paragraph_techniques"].get("perRegion") == "true"
    article, analysis, review = full_review()
    [task] = labelstudio_tasks([(article, analysis, review)])
    for result in [*task["predictions"][0]["result"], *task["annotations"][0]["result"]]:
        assert result["to_name"] == "text"
        labels = result["value"].get("labels") or result["value"].get("choices")
        assert set(labels) <= set(values[result["from_name"]])


# -- JSON Lines -------------------------------------------------------------------------------------------


def test_jsonl_round_trip_keeps_everything(tmp_path: Path) -> None:
    items = [full_review(), (*analysed(OTHER_TEXT, "doc-8"), semeval_review()[2])]
    items[1] = (items[1][0], items[1][1], items[1][2].model_copy(update={"content_hash": items[1][0].content_hash}))
    path = tmp_path / "reviews.jsonl"
    path.write_text("".join(jsonl_lines(items)), encoding="utf-8")
    back = read_jsonl(path)
    assert [r for _, _, r in back] == [r for _, _, r in items]
    assert [a.to_dict() for _, a, _ in back if a] == [a.to_dict() for _, a, _ in items if a]
    assert read_jsonl(path, reviewer="bo")[0][2].reviewer == "bo"


def test_hostile_jsonl_fails_on_the_line(tmp_path: Path) -> None:
    path = tmp_path / "reviews.jsonl"
    good = "".join(jsonl_lines([full_review()]))
    path.write_text(good + '{"article": {"text": "x"}}\n')
    with pytest.raises(InputError, match=r"reviews.jsonl:2: not a reviewed article"):
        read_jsonl(path)
    path.write_text(good + '{"review": ' * 100_000 + "\n")
    with pytest.raises(InputError, match=r"reviews.jsonl"):
        read_jsonl(path)
    path.write_text(good + good)
    with pytest.raises(InputError, match=r"review 2: a second review of the same text by ana@example.org"):
        read_jsonl(path)
