"""Article parsing (offsets, date header, title, SemEval lines) and decoding of article bytes."""

from __future__ import annotations

import codecs
import datetime as dt
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unspin.article import Article, decode_bytes, read_text
from unspin.errors import InputError

HEADER = "date 2022-03-11 "
BOM = "\ufeff"

# Pieces that stress offsets: line endings, blank lines (NBSP too), tabs, astral emoji,
# a ZWJ family, combining marks (alone and after a letter), and words that merely say "date".
PIECES = st.sampled_from(
    [
        "Sanctions",
        "hurt",
        "the",
        "West",
        "date",
        "naïve",
        "!",
        ".",
        ",",
        "\n",
        "\r\n",
        "\n\n",
        "\r\n\r\n",
        "\r",
        " ",
        "  ",
        "\t",
        "\u00a0",
        "🙂",
        "👨\u200d👩\u200d👧",
        "e\u0301",
        "\u0301",
        "Ελλάδα",
        "მშვიდობა",
    ]
)


@st.composite
def article_texts(draw: st.DrawFn) -> tuple[str, bool, bool]:
    """``(text, has_bom, has_header)``."""
    has_bom, has_header = draw(st.booleans()), draw(st.booleans())
    body = "".join(draw(st.lists(PIECES, max_size=40)))
    return (BOM if has_bom else "") + (HEADER if has_header else "") + body, has_bom, has_header


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(article_texts())
def test_paragraph_offsets_point_into_the_original_text(case: tuple[str, bool, bool]) -> None:
    text, has_bom, has_header = case
    body_start = (1 if has_bom else 0) + (len(HEADER.rstrip()) if has_header else 0)
    if not text[body_start:].strip():
        with pytest.raises(InputError):
            Article.from_text(text)
        return
    article = Article.from_text(text)

    assert article.text == text
    assert article.date == (dt.date(2022, 3, 11) if has_header else None)
    assert [p.number for p in article.paragraphs] == list(range(1, len(article.paragraphs) + 1))
    previous_end = body_start
    for p in article.paragraphs:
        assert text[p.start : p.end] == p.text
        assert previous_end <= p.start < p.end  # in order, never inside the BOM or the date header
        assert p.text == p.text.strip()
        assert all(line.strip() for line in p.text.split("\n")), "a blank line inside a paragraph"
        previous_end = p.end
    in_paragraph = {i for p in article.paragraphs for i in range(p.start, p.end)}
    lost = [i for i in range(body_start, len(text)) if not text[i].isspace() and i not in in_paragraph]
    assert not lost, f"characters outside every paragraph: {[text[i] for i in lost]}"


def test_date_header_is_metadata_and_offsets_still_count_it() -> None:
    text = "date 2022-03-11 Sanctions will hurt Europe\n\nThe West has launched a campaign."
    article = Article.from_text(text)
    assert article.date == dt.date(2022, 3, 11)
    first, second = article.paragraphs
    assert (first.start, first.text) == (16, "Sanctions will hurt Europe")
    assert "date" not in first.text and "2022" not in first.text
    assert text[second.start : second.end] == "The West has launched a campaign."


@pytest.mark.parametrize(
    "text",
    ["\ufeffdate 2022-03-11 Body text.", "  \n date 2022-03-11\n\nBody text.", "date\t2022-03-11\r\n\r\nBody text."],
)
def test_date_header_after_bom_whitespace_or_tab(text: str) -> None:
    article = Article.from_text(text)
    assert article.date == dt.date(2022, 3, 11)
    assert [p.text for p in article.paragraphs] == ["Body text."]


@pytest.mark.parametrize("text", ["date 2022-03-11x Body.", "date: 2022-03-11 Body.", "Body date 2022-03-11 more."])
def test_text_that_only_resembles_a_header_stays_text(text: str) -> None:
    article = Article.from_text(text)
    assert article.date is None
    assert article.paragraphs[0].text == text


def test_explicit_date_wins_over_the_header() -> None:
    article = Article.from_text("date 2022-03-11 Body.", date=dt.date(2020, 1, 2))
    assert article.date == dt.date(2020, 1, 2)
    assert [p.text for p in article.paragraphs] == ["Body."]


@pytest.mark.parametrize("value", ["2022-13-45", "2022-02-30", "2022-00-10"])
def test_invalid_date_header_is_an_input_error(value: str) -> None:
    with pytest.raises(InputError, match=value):
        Article.from_text(f"date {value} The leaders met.")


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\n\r\n\t \u00a0",
        BOM,
        BOM + " \r\n",
        "date 2022-03-11",
        "date 2022-03-11  \r\n\r\n ",
        BOM + "date 2022-03-11\n",
    ],
)
def test_empty_whitespace_or_header_only_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError):
        Article.from_text(text)


def test_non_str_is_an_input_error() -> None:
    with pytest.raises(InputError, match="bytes"):
        Article.from_text(b"Some text.")  # type: ignore[arg-type]


def test_crlf_paragraphs_keep_their_offsets() -> None:
    text = "Headline\r\n\r\nFirst line\r\nsecond line.\r\n \r\n\tLast one!\r\n"
    article = Article.from_text(text)
    assert [p.text for p in article.paragraphs] == ["Headline", "First line\r\nsecond line.", "Last one!"]
    assert all(text[p.start : p.end] == p.text for p in article.paragraphs)


def test_a_line_of_non_breaking_spaces_separates_paragraphs() -> None:
    article = Article.from_text("One.\n\u00a0\u00a0\nTwo.")
    assert [p.text for p in article.paragraphs] == ["One.", "Two."]


def test_leading_bom_is_counted_but_belongs_to_no_paragraph() -> None:
    article = Article.from_text(BOM + "Headline\n\nBody text.")
    assert article.paragraphs[0].start == 1
    assert [p.text for p in article.paragraphs] == ["Headline", "Body text."]
    assert article.title == "Headline"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Sanctions will hurt Europe\n\nThe West has launched a campaign.", "Sanctions will hurt Europe"),
        ("date 2022-03-11 Sanctions will hurt Europe\n\nBody.", "Sanctions will hurt Europe"),
        ("They will never give up!\n\nBody.", None),  # final punctuation: a sentence, not a headline
        ("The leaders met in Brussels.\n\nBody.", None),
        ("What comes next?\n\nBody.", None),
        ("Read this:\n\nBody.", None),
        ("Only one paragraph without a full stop", None),
        ("A headline\nwith two lines\n\nBody.", None),
        ("A headline\r\nwith two CRLF lines\r\n\r\nBody.", None),
        ("x" * 201 + "\n\nBody.", None),
        ("x" * 200 + "\n\nBody.", "x" * 200),
    ],
)
def test_title_heuristic(text: str, title: str | None) -> None:
    assert Article.from_text(text).title == title


def test_explicit_title_wins() -> None:
    assert Article.from_text("Headline\n\nBody.", title="Given").title == "Given"


def test_language_is_detected_unless_given() -> None:
    text = "Правительство объявило о новых санкциях против страны."
    assert Article.from_text(text).language == "ru"
    assert Article.from_text(text, language="uk").language == "uk"


# --- SemEval articles: paragraph N is line N of text.split("\n") ---------------------------


def test_semeval_lines_with_crlf_and_blank_lines() -> None:
    text = "Title here\r\n\r\nFirst paragraph.\r\n  \t\r\n\nSecond paragraph.\r\n"
    article = Article.from_semeval(text, id="111111111")
    assert [(p.number, p.text) for p in article.paragraphs] == [
        (1, "Title here\r"),
        (3, "First paragraph.\r"),
        (6, "Second paragraph.\r"),
    ]
    assert all(text[p.start : p.end] == p.text for p in article.paragraphs)
    assert (article.id, article.title, article.date) == ("111111111", "Title here", None)


def test_semeval_line_starts_match_split_lines() -> None:
    text = "A\n\nB b\r\n \n\u00a0\nC 🙂 c\u0301\n\n\nD"
    lines = text.split("\n")
    article = Article.from_semeval(text)
    for p in article.paragraphs:
        assert p.start == sum(len(line) + 1 for line in lines[: p.number - 1])
        assert p.text == lines[p.number - 1]
    assert [p.number for p in article.paragraphs] == [1, 3, 6, 9]


def test_semeval_bom_stays_at_offset_zero() -> None:
    text = BOM + "Title\nBody text."
    article = Article.from_semeval(text)
    first, second = article.paragraphs
    assert (first.number, first.start, first.text) == (1, 0, BOM + "Title")
    assert (second.number, second.start) == (2, 7)
    assert article.title == "Title"


def test_semeval_without_final_newline_ends_at_the_text_end() -> None:
    text = "Title\n\nLast line without newline"
    article = Article.from_semeval(text)
    assert article.paragraphs[-1].end == len(text)
    assert article.paragraphs[-1].text == "Last line without newline"


def test_semeval_title_line_blank_means_no_title() -> None:
    article = Article.from_semeval("\nBody text.")
    assert article.title is None
    assert [(p.number, p.start) for p in article.paragraphs] == [(2, 1)]


@pytest.mark.parametrize("text", ["", "\n\n", " \r\n\t\r\n", BOM])
def test_semeval_without_text_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError):
        Article.from_semeval(text)


# --- decoding bytes ---------------------------------------------------------------------------

RUSSIAN = (
    "Министр иностранных дел заявил в понедельник, что новые санкции против страны не дадут никакого "
    "результата. По его словам, экономика выдержит давление, а цены на хлеб и газ останутся стабильными."
)
FRENCH = (
    "Le gouvernement a annoncé mercredi une réforme très contestée des retraites. Les syndicats dénoncent "
    "déjà une « trahison » et préparent une grève générale à la fin du mois, malgré l'opposition des élus."
)
SPANISH = "El Gobierno aprobó el martes una reforma polémica. La oposición pidió la dimisión del ministro de Economía."
GERMAN = "Die Regierung hat am Mittwoch eine umstrittene Reform angekündigt. Die Bürger klagen über höhere Preise."
POLISH = "Rząd przyjął w środę kontrowersyjną ustawę. Opozycja twierdzi, że zmia"
GREEK = "Η κυβέρνηση ανακοίνωσε την Τετάρτη νέα μέτρα για την ακρίβεια των τιμών της ενέργειας."
LATIN_1_NAMES = {"cp1252", "iso8859-1", "iso8859-15"}  # identical for these letters


def codec(name: str) -> str:
    return codecs.lookup(name).name


@pytest.mark.parametrize(("text", "encoding"), [(RUSSIAN, "cp1251"), (RUSSIAN[:80], "cp1251"), (RUSSIAN, "koi8-r")])
def test_cyrillic_code_pages_are_detected(text: str, encoding: str) -> None:
    decoded, detected = decode_bytes(text.encode(encoding), name="ru.txt")
    assert decoded == text
    assert codec(detected) == codec(encoding)


@pytest.mark.parametrize("text", [FRENCH, FRENCH[:70], SPANISH, GERMAN])
def test_latin_1_western_text_is_detected(text: str) -> None:
    decoded, detected = decode_bytes(text.encode("latin-1"), name="fr.txt")
    assert decoded == text  # not Baltic or Central European mojibake ("trčs")
    assert codec(detected) in LATIN_1_NAMES


@pytest.mark.parametrize(("text", "encoding"), [(POLISH, "cp1250"), (GREEK, "cp1253")])
def test_other_project_code_pages_are_detected(text: str, encoding: str) -> None:
    decoded, detected = decode_bytes(text.encode(encoding), name="x.txt")
    assert decoded == text
    assert codec(detected) == codec(encoding)


@pytest.mark.parametrize("data", [RUSSIAN.encode("utf-16"), codecs.BOM_UTF16_BE + RUSSIAN.encode("utf-16-be")])
def test_utf16_with_bom(data: bytes) -> None:
    decoded, detected = decode_bytes(data, name="u16.txt")
    assert decoded.lstrip(BOM) == RUSSIAN
    assert codec(detected) == "utf-16"


def test_utf8_bom_is_kept_as_a_character() -> None:
    text, detected = decode_bytes(codecs.BOM_UTF8 + "Héllo\r\nwörld".encode(), name="bom.txt")
    assert (text, detected) == (BOM + "Héllo\r\nwörld", "utf-8")


def random_bytes(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random_bytes(1, 400),
        b"\x89PNG\r\n\x1a\n" + random_bytes(2, 400).replace(b"\x00", b"\x01"),
        b"Some text\x00\x00\x00 with NULs in it",
        b"\x00" * 16,
        bytes(range(1, 32)) * 20,  # control characters are valid UTF-8, still not text
    ],
)
def test_binary_bytes_are_an_input_error_naming_the_file(data: bytes) -> None:
    with pytest.raises(InputError, match=r"image\.png"):
        decode_bytes(data, name="image.png")


@pytest.mark.parametrize("data", [b"", b" \r\n\t ", codecs.BOM_UTF8, codecs.BOM_UTF8 + b"\n\n"])
def test_empty_bytes_are_an_input_error(data: bytes) -> None:
    with pytest.raises(InputError, match=r"empty\.txt: .*empty"):
        decode_bytes(data, name="empty.txt")


def test_strict_utf8_rejects_cp1251_and_names_the_file() -> None:
    with pytest.raises(InputError, match=r"news\.txt") as info:
        decode_bytes(RUSSIAN.encode("cp1251"), name="news.txt", encoding="utf-8")
    assert "UTF-8" in str(info.value)
    assert "\n" not in str(info.value)


def test_given_encoding_is_used() -> None:
    assert decode_bytes(RUSSIAN.encode("cp1251"), encoding="cp1251") == (RUSSIAN, "cp1251")


@pytest.mark.parametrize(("data", "encoding"), [(b"text", "no-such-codec"), ("Привет".encode("cp1251"), "ascii")])
def test_unusable_given_encoding_is_an_input_error(data: bytes, encoding: str) -> None:
    with pytest.raises(InputError, match=r"in\.txt"):
        decode_bytes(data, name="in.txt", encoding=encoding)


def test_read_text_keeps_crlf_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(codecs.BOM_UTF8 + b"Title\r\n\r\nBody.\r\n")
    text, encoding = read_text(path)
    assert (text, encoding) == (BOM + "Title\r\n\r\nBody.\r\n", "utf-8")
    article = Article.from_semeval(text)
    assert [p.number for p in article.paragraphs] == [1, 3]


def test_read_text_detects_cp1251(tmp_path: Path) -> None:
    path = tmp_path / "ru.txt"
    path.write_bytes(RUSSIAN.encode("cp1251"))
    assert read_text(path) == (RUSSIAN, "cp1251")


def test_read_text_on_a_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="directory") as info:
        read_text(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_read_text_on_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    with pytest.raises(InputError, match=r"missing\.txt"):
        read_text(missing)
