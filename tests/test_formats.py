"""Readers and writers of SemEval-2023 Task 3 and PTC-2020 files, on tiny inline fixtures and the real data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from unspin.errors import InputError
from unspin.formats import (
    LabelledSpan,
    TemplateRow,
    fix_span_end,
    read_article,
    read_articles,
    read_frame_labels,
    read_genre_labels,
    read_si_dir,
    read_si_file,
    read_span_dir,
    read_span_file,
    read_tc_dir,
    read_tc_file,
    read_technique_labels,
    read_template,
    write_frame_labels,
    write_genre_labels,
    write_si_file,
    write_span_file,
    write_tc_file,
    write_technique_labels,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SEMEVAL = DATA / "semeval2023"
TRAIN_LANGUAGES = ("en", "fr", "ge", "it", "po", "ru")


def write(directory: Path, name: str, content: str | bytes) -> Path:
    """Write ``content`` byte for byte (no newline translation)."""
    path = directory / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


# -- articles ---------------------------------------------------------------------------------------------


def test_read_article_keeps_crlf_in_offsets_and_accepts_a_missing_final_newline(tmp_path: Path) -> None:
    path = write(tmp_path, "article42.txt", "Title\r\n\r\nFirst body line.\r\nLast line")
    article = read_article(path, language="en")
    assert article.id == "42"
    assert [(p.number, p.text) for p in article.paragraphs] == [
        (1, "Title\r"), (3, "First body line.\r"), (4, "Last line"),
    ]  # fmt: skip
    assert all(article.text[p.start : p.end] == p.text for p in article.paragraphs)
    assert article.paragraphs[1].start == len("Title\r\n\r\n")


def test_read_article_counts_the_bom_as_one_character(tmp_path: Path) -> None:
    path = write(tmp_path, "article7.txt", b"\xef\xbb\xbfTitle\nBody words here.\n")
    article = read_article(path, language="en")
    assert article.text[0] == "\ufeff"
    assert article.title == "Title"
    span = LabelledSpan("7", "Doubt", 7, 11)
    assert article.text[span.start : span.end] == "Body"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Заголовок статьи".encode("cp1251"), "not valid UTF-8"),
        ("Un café à Paris".encode("latin-1"), "not valid UTF-8"),
        (b"", "empty"),
        (b"  \r\n\n", "empty"),
        (b"\x00\x01\x02\x03\x04binary\x00\x00" * 20, "binary"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8", "UTF-8"),
        ("Title\n".encode("utf-16"), "UTF-8"),
    ],
    ids=["cp1251", "latin-1", "empty", "blank", "binary", "png", "utf-16"],
)
def test_read_article_rejects_files_that_are_not_utf8_text(tmp_path: Path, content: bytes, message: str) -> None:
    path = write(tmp_path, "article1.txt", content)
    with pytest.raises(InputError, match=message) as error:
        read_article(path)
    assert str(error.value).startswith(f"{path}: ")


def test_read_article_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"article404\.txt"):
        read_article(tmp_path / "article404.txt")


def test_read_articles_sorts_by_numeric_id_and_skips_other_files(tmp_path: Path) -> None:
    for article_id in ("10", "9", "100"):
        write(tmp_path, f"article{article_id}.txt", f"Title {article_id}\nBody.\n")
    write(tmp_path, "article9-labels-subtask-3.txt", "9\tDoubt\t0\t5\n")
    write(tmp_path, "notes.txt", "not an article")
    assert [a.id for a in read_articles(tmp_path, language="en")] == ["9", "10", "100"]


def test_read_articles_rejects_an_empty_directory_and_a_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no files named like article<ID>\.txt"):
        read_articles(tmp_path)
    with pytest.raises(InputError, match="not a directory"):
        read_articles(write(tmp_path, "article1.txt", "Title\n"))


# -- label files ------------------------------------------------------------------------------------------


def test_read_technique_labels_handles_crlf_empty_and_dropped_third_column(tmp_path: Path) -> None:
    path = write(tmp_path, "labels.txt", "7\t1\tDoubt,Loaded_Language\r\n7\t3\t\r\n7\t4\r\n\r\n8\t2\tSlogans")
    assert read_technique_labels(path) == {
        ("7", 1): ("Loaded_Language", "Doubt"),  # taxonomy order, whatever the file order
        ("7", 3): (),
        ("7", 4): (),
        ("8", 2): ("Slogans",),
    }


def test_read_genre_and_frame_labels(tmp_path: Path) -> None:
    genres = write(tmp_path, "st1.txt", "1\topinion\n2\tsatire\r\n")
    frames = write(tmp_path, "st2.txt", "1\tPolitical,Economic\n2\t\n3")
    assert read_genre_labels(genres) == {"1": "opinion", "2": "satire"}
    assert read_frame_labels(frames) == {"1": ("Economic", "Political"), "2": (), "3": ()}


def test_label_writers_produce_the_official_format_and_round_trip(tmp_path: Path) -> None:
    techniques = {("10", 1): ("Doubt",), ("9", 3): (), ("9", 1): ("Slogans", "Doubt")}
    write_technique_labels(tmp_path / "st3.txt", techniques)
    assert (tmp_path / "st3.txt").read_bytes() == b"9\t1\tSlogans,Doubt\n9\t3\t\n10\t1\tDoubt\n"
    assert read_technique_labels(tmp_path / "st3.txt") == techniques

    frames = {"2": ("Economic",), "1": ("Economic", "Political")}
    write_frame_labels(tmp_path / "st2.txt", frames)
    assert (tmp_path / "st2.txt").read_text() == "1\tEconomic,Political\n2\tEconomic\n"
    assert read_frame_labels(tmp_path / "st2.txt") == frames

    genres = {"2": "reporting", "1": "opinion"}
    write_genre_labels(tmp_path / "st1.txt", genres)
    assert (tmp_path / "st1.txt").read_text() == "1\topinion\n2\treporting\n"
    assert read_genre_labels(tmp_path / "st1.txt") == genres


def test_label_writers_reject_unknown_labels(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="'Sarcasm'"):
        write_technique_labels(tmp_path / "x.txt", {("1", 1): ("Sarcasm",)})
    with pytest.raises(InputError, match="'news'"):
        write_genre_labels(tmp_path / "x.txt", {"1": "news"})


@pytest.mark.parametrize(
    ("read", "content", "line", "message"),
    [
        (read_technique_labels, "1\t1\tDoubt\n1\t2\tDoubt\tSlogans\n", 2, r"expected 3 tab-separated columns"),
        (read_technique_labels, "1\n", 1, r"expected 3 tab-separated columns .*found 1"),
        (read_technique_labels, "1\tone\tDoubt\n", 1, r"expected an integer line number, found 'one'"),
        (read_technique_labels, "1\t0\tDoubt\n", 1, r"1-based"),
        (read_technique_labels, "1\t1\tLoaded_language\n", 1, r"unknown label 'Loaded_language'; did you mean"),
        (read_technique_labels, "1\t1\tDoubt\r\n1\t2\t\r\n1\t1\t\r\n", 3, r"duplicate row for article 1 line 1"),
        (read_technique_labels, "\t1\tDoubt\n", 1, r"article id"),
        (read_frame_labels, "1\tEconomic\n1\tPolitical\n", 2, r"duplicate row for article 1"),
        (read_frame_labels, "1\tEconomic\tPolitical\n", 1, r"expected 2 tab-separated columns"),
        (read_frame_labels, "1\tEconomy\n", 1, r"unknown label 'Economy'"),
        (read_genre_labels, "1\topinion\n2\n", 2, r"expected 2 tab-separated columns"),
        (read_genre_labels, "1\topinion,satire\n", 1, r"unknown label 'opinion,satire'"),
        (read_genre_labels, "1\t\n", 1, r"unknown label ''"),
    ],
)
def test_malformed_label_rows_name_file_and_line(
    tmp_path: Path, read: Callable[[Path], object], content: str, line: int, message: str
) -> None:
    path = write(tmp_path, "labels.txt", content)
    with pytest.raises(InputError, match=message) as error:
        read(path)
    assert str(error.value).startswith(f"{path}:{line}: ")


def test_label_files_must_be_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "labels.txt", "1\topinion\n".encode("utf-16"))
    with pytest.raises(InputError, match="not valid UTF-8"):
        read_genre_labels(path)


# -- spans ------------------------------------------------------------------------------------------------

RU_TEXT = "Заголовок\r\n\r\nМы поехали до Одессы. Потом домой.\r\n"


def test_fix_span_end_extends_only_spans_cut_before_the_last_letter() -> None:
    start = RU_TEXT.index("до")
    short_end = RU_TEXT.index("ы.")
    assert RU_TEXT[start : fix_span_end(RU_TEXT, start, short_end)] == "до Одессы"
    correct_end = short_end + 1
    assert fix_span_end(RU_TEXT, start, correct_end) == correct_end
    assert fix_span_end(RU_TEXT, 0, 4) == 4  # inside a word, but no full stop after the next letter
    assert fix_span_end("ab", 0, 2) == 2  # at the end of the text


def test_read_span_file_strips_cr_and_fixes_ends_only_with_text(tmp_path: Path) -> None:
    start, short_end = RU_TEXT.index("до"), RU_TEXT.index("ы.")
    path = write(tmp_path, "article5-labels-subtask-3.txt", f"5\tDoubt\t{start}\t{short_end}\r\n5\tSlogans\t0\t9\r\n")
    assert read_span_file(path) == [LabelledSpan("5", "Doubt", start, short_end), LabelledSpan("5", "Slogans", 0, 9)]
    fixed = read_span_file(path, RU_TEXT)
    assert [RU_TEXT[s.start : s.end] for s in fixed] == ["до Одессы", "Заголовок"]
    assert read_span_file(path, {"5": RU_TEXT}) == fixed


def test_read_span_file_accepts_an_empty_file(tmp_path: Path) -> None:
    assert read_span_file(write(tmp_path, "article1-labels-subtask-3.txt", b"")) == []


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("5\tDoubt\t10\t10", r"span 10-10 is out of range"),
        ("5\tDoubt\t-1\t3", r"span -1-3 is out of range"),
        ("5\tDoubt\t0\t999", rf"<= {len(RU_TEXT)} \(the article's length\)"),
        ("5\tDoubt\t0\tten", r"expected an integer end offset, found 'ten'"),
        ("5\tDoubt\t0", r"expected 4 tab-separated columns"),
        ("5\tName_Calling,Labeling\t0\t3", r"unknown label 'Name_Calling,Labeling'"),
        ("6\tDoubt\t0\t3", r"no article text for article 6"),
    ],
)
def test_bad_span_rows_name_file_and_line(tmp_path: Path, row: str, message: str) -> None:
    path = write(tmp_path, "spans.txt", f"5\tDoubt\t0\t3\n{row}\n")
    with pytest.raises(InputError, match=message) as error:
        read_span_file(path, {"5": RU_TEXT})
    assert str(error.value).startswith(f"{path}:2: ")


def test_read_span_dir_reads_every_span_file_in_id_order(tmp_path: Path) -> None:
    write(tmp_path, "article20-labels-subtask-3.txt", "20\tDoubt\t0\t4\n")
    write(tmp_path, "article3-labels-subtask-3.txt", "3\tSlogans\t1\t2\n3\tDoubt\t0\t1\n")
    write(tmp_path, "article4-labels-subtask-3.txt", "")
    write(tmp_path, "article3.txt", "ab\n")
    assert read_span_dir(tmp_path) == [
        LabelledSpan("3", "Slogans", 1, 2), LabelledSpan("3", "Doubt", 0, 1), LabelledSpan("20", "Doubt", 0, 4),
    ]  # fmt: skip
    with pytest.raises(InputError, match="no article text for article 20"):
        read_span_dir(tmp_path, {"3": "ab\n", "4": "x"})


def test_read_span_dir_rejects_a_directory_without_span_files(tmp_path: Path) -> None:
    write(tmp_path, "article1.txt", "Title\n")
    with pytest.raises(InputError, match=r"no files named like article<ID>-labels-subtask-3\.txt"):
        read_span_dir(tmp_path)


def test_write_span_file_round_trips(tmp_path: Path) -> None:
    spans = [LabelledSpan("9", "Slogans", 5, 8), LabelledSpan("9", "Doubt", 0, 4)]
    write_span_file(tmp_path / "spans.txt", spans)
    assert (tmp_path / "spans.txt").read_text() == "9\tDoubt\t0\t4\n9\tSlogans\t5\t8\n"
    assert read_span_file(tmp_path / "spans.txt") == sorted(spans, key=lambda s: s.start)


# -- templates --------------------------------------------------------------------------------------------


def test_read_template_keeps_trailing_cr_and_tabs_and_accepts_no_final_newline(tmp_path: Path) -> None:
    path = write(tmp_path, "test.template", "1\t1\tTitle\r\n1\t3\tBody\twith a tab\n2\t1\tLast")
    assert read_template(path) == [
        TemplateRow("1", 1, "Title\r"), TemplateRow("1", 3, "Body\twith a tab"), TemplateRow("2", 1, "Last"),
    ]  # fmt: skip


def test_read_template_rejects_a_bad_line_number(tmp_path: Path) -> None:
    path = write(tmp_path, "test.template", "1\t1\tTitle\n1\tx\tBody\n")
    with pytest.raises(InputError, match=r"expected an integer line number") as error:
        read_template(path)
    assert str(error.value).startswith(f"{path}:2: ")


# -- PTC --------------------------------------------------------------------------------------------------


def test_ptc_technique_names_with_commas_are_never_split(tmp_path: Path) -> None:
    rows = "1\tName_Calling,Labeling\t0\t4\n1\tWhataboutism,Straw_Men,Red_Herring\t5\t9\n"
    path = write(tmp_path, "article1.task2-TC.labels", rows)
    assert [s.technique for s in read_tc_file(path, "abcd efgh\n")] == [
        "Name_Calling,Labeling", "Whataboutism,Straw_Men,Red_Herring",
    ]  # fmt: skip


def test_ptc_spans_are_not_end_fixed_but_are_checked(tmp_path: Path) -> None:
    text = "one twoX. three"
    path = write(tmp_path, "article1.task2-TC.labels", "1\tDoubt\t4\t7\n")
    assert read_tc_file(path, text) == [LabelledSpan("1", "Doubt", 4, 7)]
    bad = write(tmp_path, "article2.task1-SI.labels", "2\t4\t70\n")
    with pytest.raises(InputError, match=r"article2\.task1-SI\.labels:1: span 4-70 is out of range"):
        read_si_file(bad, text)


def test_ptc_unknown_technique_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, "article1.task2-TC.labels", "1\tName_Calling-Labeling\t0\t4\n")
    with pytest.raises(InputError, match=r":1: unknown label 'Name_Calling-Labeling'; did you mean 'Name_Calling,Lab"):
        read_tc_file(path)


def test_ptc_dirs_and_writers_round_trip(tmp_path: Path) -> None:
    tc = [LabelledSpan("3", "Doubt", 0, 4), LabelledSpan("3", "Bandwagon,Reductio_ad_hitlerum", 2, 6)]
    write_tc_file(tmp_path / "article3.task2-TC.labels", tc)
    write_si_file(tmp_path / "article3.task1-SI.labels", tc)
    write(tmp_path, "article11.task1-SI.labels", "")
    assert read_tc_dir(tmp_path) == tc
    assert (tmp_path / "article3.task1-SI.labels").read_text() == "3\t0\t4\n3\t2\t6\n"
    assert read_si_dir(tmp_path) == [LabelledSpan("3", "", 0, 4), LabelledSpan("3", "", 2, 6)]


# -- the real data ----------------------------------------------------------------------------------------

needs_data = pytest.mark.skipif(not SEMEVAL.is_dir(), reason="needs ../shared/data (not part of the repository)")


@needs_data
@pytest.mark.parametrize("language", TRAIN_LANGUAGES)
def test_every_fixed_span_lies_in_paragraphs_labelled_with_its_technique(language: str) -> None:
    root = SEMEVAL / language
    articles = {a.id: a for a in read_articles(root / "train-articles-subtask-3", language=language)}
    spans = read_span_dir(root / "train-labels-subtask-3-spans", {i: a.text for i, a in articles.items()})
    labels = read_technique_labels(root / "train-labels-subtask-3.txt")
    assert spans
    unsupported = [
        (span, paragraph.number)
        for span in spans
        for paragraph in articles[span.article_id].paragraphs
        if paragraph.start < span.end and span.start < paragraph.end
        and span.technique not in labels[span.article_id, paragraph.number]
    ]  # fmt: skip
    assert unsupported == []


@needs_data
@pytest.mark.parametrize("language", [*TRAIN_LANGUAGES, "es", "gr", "ka"])
def test_every_template_row_matches_its_rebuilt_article_line(language: str) -> None:
    root = SEMEVAL / language
    rows = read_template(root / "test-labels-subtask-3.template")
    lines = {a.id: a.text.split("\n") for a in read_articles(root / "test-articles-subtask-3", language="und")}
    assert rows and all(lines[row.article_id][row.line_number - 1] == row.text for row in rows)


@needs_data
def test_ptc_label_dirs_read_in_full_with_offsets_checked() -> None:
    root = DATA / "ptc2020"
    texts = {a.id: a.text for a in read_articles(root / "train-articles", language="en")}
    tc = read_tc_dir(root / "train-labels-task2-technique-classification", texts)
    si = read_si_dir(root / "train-labels-task1-span-identification", texts)
    assert (len(tc), len(si)) == (6129, 5468)
    assert {s.article_id for s in si} <= set(texts)
