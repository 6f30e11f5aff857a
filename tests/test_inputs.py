"""The reader layer: every input kind becomes Documents, and every bad input a failed Document, never an exception.

No model is needed. URLs and feeds are served by a local server on 127.0.0.1 (tests/_local_web.py).
"""

from __future__ import annotations

import codecs
import datetime as dt
import gzip
import io
import json
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from _local_web import NO_MAIN_TEXT_PAGE, PARAGRAPHS, LocalWeb, article_page, rss, rss_item
from unspin.errors import InputError
from unspin.formats.inputs import (
    Document,
    ReadOptions,
    article_from_html,
    article_from_record,
    count_documents,
    is_batch,
    parse_field_overrides,
    read_documents,
    read_feed,
)

RUSSIAN = "Санкции Запада ударят по простым людям. Цены на газ и хлеб растут каждую неделю, а семьи ждёт зима."
ENGLISH = "date 2022-03-11 They will never give up!\n\nThe West lies again and again."


def read(*inputs: str | Path, **options: object) -> list[Document]:
    return list(read_documents([str(i) for i in inputs], options=ReadOptions(**options)))  # type: ignore[arg-type]


def by_name(documents: list[Document], root: Path) -> dict[str, Document]:
    return {d.name.replace(str(root), "").lstrip("/"): d for d in documents}


def assert_one_line(reason: str | None) -> None:
    assert reason and "\n" not in reason and "Traceback" not in reason


@pytest.fixture
def web() -> Iterator[LocalWeb]:
    with LocalWeb() as server:
        yield server


# ---------------------------------------------------------------------------- text files and directories


def test_text_files_with_and_without_the_date_header(tmp_path: Path) -> None:
    (tmp_path / "dated.txt").write_text(ENGLISH, encoding="utf-8")
    (tmp_path / "plain.txt").write_text("No header here.\n\nJust text.", encoding="utf-8")
    dated, plain = read(tmp_path / "dated.txt", tmp_path / "plain.txt")
    assert dated.article and dated.article.date == dt.date(2022, 3, 11) and dated.article.id == "dated"
    assert plain.article and plain.article.date is None and len(plain.article.paragraphs) == 2
    assert dated.article.meta == {}, "UTF-8, the norm, is not recorded"


def test_directories_are_read_recursively_with_glob_filters(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ENGLISH, encoding="utf-8")
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "deeper" / "b.txt").write_text(ENGLISH + " b", encoding="utf-8")
    (tmp_path / "sub" / "page.html").write_text(article_page(), encoding="utf-8")
    (tmp_path / "notes.jsonl").write_text('{"text": "not an article"}\n', encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "hidden.txt").write_text("hidden", encoding="utf-8")

    default = by_name(read(tmp_path), tmp_path)
    assert sorted(default) == ["a.txt", "sub/deeper/b.txt"], "only *.txt by default, hidden folders skipped"
    assert default["sub/deeper/b.txt"].article.id == "sub/deeper/b"  # type: ignore[union-attr]

    html = by_name(read(tmp_path, globs=("*.html",)), tmp_path)
    assert list(html) == ["sub/page.html"]
    assert html["sub/page.html"].article.source == "Example Times"  # type: ignore[union-attr]


def test_a_directory_without_matching_files_is_a_failed_document(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(article_page(), encoding="utf-8")
    [document] = read(tmp_path)
    assert not document.ok and "*.txt" in document.reason and "--glob" in document.reason  # type: ignore[operator]


def test_a_run_never_reads_its_own_output_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ENGLISH, encoding="utf-8")
    (tmp_path / "results.txt").write_text("not an article", encoding="utf-8")
    documents = read(tmp_path, exclude=frozenset({(tmp_path / "results.txt").resolve()}))
    assert [Path(d.name).name for d in documents] == ["a.txt"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"  \r\n\n", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
        (b"\x7fELF\x02\x01\x01" + bytes(200), "binary"),
    ],
    ids=["empty", "whitespace", "bom only", "png", "elf"],
)
def test_empty_and_binary_files_are_failed_documents(content: bytes, reason: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    [document] = read(path)
    assert not document.ok and document.name == str(path)
    assert reason in document.reason  # type: ignore[operator]
    assert_one_line(document.reason)
    with pytest.raises(InputError, match=r"bad\.txt"):
        document.unwrap()


def test_a_50_mb_file_is_refused_quickly_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as stream:
        line = b"The West lies again and again. " * 32 + b"\n"
        stream.write(line * (50 * 2**20 // len(line)))
    started = time.monotonic()
    [document] = read(path)
    assert time.monotonic() - started < 10
    assert not document.ok and "10 MiB" in document.reason and "--max-size" in document.reason  # type: ignore[operator]
    assert_one_line(document.reason)


def test_the_size_cap_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(ENGLISH, encoding="utf-8")
    assert read(path, max_bytes=20)[0].reason.startswith("larger than the 0.0195 KiB")  # type: ignore[union-attr]
    assert read(path, max_bytes=len(ENGLISH))[0].ok


def test_missing_paths_and_other_url_schemes_are_failed_documents(tmp_path: Path) -> None:
    missing, ftp = read(tmp_path / "missing.txt", "ftp://example.invalid/a.txt")
    assert missing.reason == "no such file or directory"
    assert ftp.reason == "only http and https URLs can be read"


# ---------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("suffix", "make"),
    [
        (".txt", lambda text: text),
        (".jsonl", lambda text: json.dumps({"text": text}, ensure_ascii=False) + "\n"),
        (".csv", lambda text: f'id,text\n1,"{text}"\n'),
    ],
    ids=["text", "jsonl", "csv"],
)
@pytest.mark.parametrize("encoding", ["cp1251", "koi8-r", "utf-16"])
def test_legacy_encodings_are_detected_and_reported(
    suffix: str, make: Callable[[str], str], encoding: str, tmp_path: Path
) -> None:
    path = tmp_path / f"ru{suffix}"
    path.write_bytes(make(RUSSIAN).encode(encoding))
    [document] = read(path)
    assert document.article is not None, document.reason
    assert document.article.text == RUSSIAN
    assert codecs.lookup(document.article.meta["encoding"]).name == codecs.lookup(encoding).name


def test_a_jsonl_line_that_is_not_utf8_fails_alone(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    lines = [json.dumps({"text": f"{RUSSIAN} {i}"}, ensure_ascii=False).encode() for i in range(30)]
    lines[12] = '{"text": "Санкции"}'.encode("cp1251")
    path.write_bytes(b"\n".join(lines) + b"\n")
    documents = read(path)
    failed = [d for d in documents if not d.ok]
    assert [d.name for d in failed] == [f"{path}:13"]
    assert "not valid utf-8" in failed[0].reason and "--encoding" in failed[0].reason  # type: ignore[operator]
    assert len(documents) == 30


def test_a_given_encoding_is_used(tmp_path: Path) -> None:
    path = tmp_path / "ru.txt"
    path.write_bytes(RUSSIAN.encode("cp1251"))
    assert not read(path, encoding="utf-8")[0].ok
    assert read(path, encoding="cp1251")[0].article.meta == {"encoding": "cp1251"}  # type: ignore[union-attr]


# ---------------------------------------------------------------------------- JSONL


def test_jsonl_with_a_malformed_line_in_the_middle(tmp_path: Path) -> None:
    path = tmp_path / "dump.jsonl"
    path.write_text(
        '{"id": 1, "text": "First article about sanctions."}\n'
        '{"id": 2, "text": "Second article, cut off\n'
        "\n"
        '{"id": 3, "content": "Third article, under content.", "lang": "en"}\n',
        encoding="utf-8",
    )
    first, broken, third = read(path)
    assert first.article and first.article.id == "1"
    assert broken.name == f"{path}:2" and "not valid JSON" in broken.reason  # type: ignore[operator]
    assert_one_line(broken.reason)
    assert third.name == f"{path}:4" and third.article and third.article.id == "3" and third.article.language == "en"


def test_jsonl_metadata_fields(tmp_path: Path) -> None:
    path = tmp_path / "dump.jsonl"
    record = {
        "ID": "x1",
        "Title": "Headline",
        "date": "Fri, 11 Mar 2022 10:00:00 GMT",
        "source": "Outlet",
        "url": "https://example.invalid/a",
        "language": "ru",
        "body": RUSSIAN,
        "extra": {"kept": "out"},
    }
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    [document] = read(path)
    article = document.article
    assert article is not None
    assert (article.id, article.title, article.date, article.source, article.url, article.language) == (
        "x1",
        "Headline",
        dt.date(2022, 3, 11),
        "Outlet",
        "https://example.invalid/a",
        "ru",
    )


def test_jsonl_records_that_cannot_be_articles(tmp_path: Path) -> None:
    path = tmp_path / "dump.jsonl"
    path.write_text(
        '[1, 2]\n{"title": "no text"}\n{"text": 42}\n{"text": ""}\n{"text": "ok", "title": {"a": 1}}\n',
        encoding="utf-8",
    )
    reasons = [d.reason for d in read(path)]
    assert reasons == [
        "expected a JSON object, got a list",
        "no text field (looked for text, content, body); name it with --field text=NAME",
        "the text field 'text' holds a int, expected a string",
        "the article is empty",
        "the title field 'title' holds a dict, expected text",
    ]


def test_field_names_are_configurable(tmp_path: Path) -> None:
    path = tmp_path / "dump.jsonl"
    path.write_text(
        '{"doc": "d7", "story": "The story text.", "text": "not this one", "when": "2022-03-11"}\n', encoding="utf-8"
    )
    fields = parse_field_overrides(["text=story", "id=doc", "date = when"])
    [document] = read(path, fields=fields)
    assert document.article and (document.article.text, document.article.id) == ("The story text.", "d7")
    assert document.article.date == dt.date(2022, 3, 11)


@pytest.mark.parametrize("override", ["text", "colour=red", "text="])
def test_bad_field_overrides_say_what_is_expected(override: str) -> None:
    with pytest.raises(InputError, match="KEY=NAME"):
        parse_field_overrides([override])


def test_an_unreadable_date_is_kept_in_meta_rather_than_losing_the_article() -> None:
    article = article_from_record({"text": "Some text.", "date": "last Tuesday"})
    assert article.date is None and article.meta == {"raw_date": "last Tuesday"}


# ---------------------------------------------------------------------------- CSV


def test_csv_rows_with_quoted_newlines_keep_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        '\ufeffID,Title,Text\n1,One,"First paragraph.\n\nSecond paragraph."\n2,Two,Plain text.\n', encoding="utf-8"
    )
    first, second = read(path)
    assert first.name == f"{path}:2" and second.name == f"{path}:5"
    assert first.article and len(first.article.paragraphs) == 2 and first.article.title == "One"
    assert second.article and second.article.id == "2"


def test_a_csv_without_a_text_column_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("id,headline,story\n1,A,Some story\n2,B,Another story\n", encoding="utf-8")
    [document] = read(path)
    assert document.name == str(path)
    assert_one_line(document.reason)
    assert "no text column 'text'" in document.message and "export.csv" in document.message
    assert "--field text=COLUMN" in document.message
    assert [d.ok for d in read(path, fields=parse_field_overrides(["text=story"]))] == [True, True]


def test_malformed_csv_rows_fail_alone(tmp_path: Path) -> None:
    path = tmp_path / "export.tsv"
    path.write_text("id\ttext\n1\tGood one.\n2\tToo\tmany\tfields\n3\t\n4\tGood two.\n", encoding="utf-8")
    documents = read(path)
    lines_and_ok = [(d.name.rsplit(":", 1)[1], d.ok) for d in documents]
    assert lines_and_ok == [("2", True), ("3", False), ("4", False), ("5", True)]
    assert "4 fields but the header has 2" in documents[1].reason  # type: ignore[operator]


def test_an_empty_csv_is_a_failed_document(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    [document] = read(path)
    assert not document.ok and "header" in document.reason  # type: ignore[operator]


# ---------------------------------------------------------------------------- stdin


def feed_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_stdin_text_and_html(monkeypatch: pytest.MonkeyPatch) -> None:
    feed_stdin(monkeypatch, ENGLISH.encode("utf-8"))
    [text] = read("-")
    assert text.name == "<stdin>" and text.article and text.article.id is None and text.article.text == ENGLISH
    feed_stdin(monkeypatch, article_page().encode("utf-8"))
    [page] = read("-")
    assert page.article and page.article.source == "Example Times"


def test_stdin_jsonl_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    feed_stdin(monkeypatch, b'{"text": "One."}\n{"text": "Two."}\n')
    assert [d.name for d in read("-", input_format="jsonl")] == ["<stdin>:1", "<stdin>:2"]


# ---------------------------------------------------------------------------- HTML


def test_html_main_text_title_date_and_site_name(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(article_page(), encoding="utf-8")
    [document] = read(path)
    article = document.article
    assert article is not None
    assert (article.title, article.date, article.source) == (
        "Sanctions will hit ordinary people",
        dt.date(2022, 3, 11),
        "Example Times",
    )
    assert [p.text for p in article.paragraphs][1:] == list(PARAGRAPHS)
    assert "Home" not in article.text and "Copyright" not in article.text, "menus and footers are not main text"


def test_html_page_without_main_text_is_a_failed_document(tmp_path: Path) -> None:
    path = tmp_path / "index.html"
    path.write_text(NO_MAIN_TEXT_PAGE, encoding="utf-8")
    [document] = read(path)
    assert not document.ok and "no main text" in document.reason  # type: ignore[operator]
    assert_one_line(document.reason)


def test_html_declared_charset_is_used_and_reported() -> None:
    page = article_page(charset="windows-1251", paragraphs=(RUSSIAN, RUSSIAN.upper()))
    article = article_from_html(page.encode("cp1251"))
    assert RUSSIAN in article.text and article.meta["encoding"] == "windows-1251"


# ---------------------------------------------------------------------------- URLs


def test_a_url_is_fetched_and_its_main_text_extracted(web: LocalWeb) -> None:
    url = web.add("/news/1", article_page())
    [document] = read(url)
    assert document.name == url
    assert document.article and document.article.url == url and document.article.source == "Example Times"


def test_a_redirect_is_followed_and_the_final_url_kept(web: LocalWeb) -> None:
    final = web.add("/news/final", article_page())
    start = web.add("/news/old", status=301, headers={"Location": final})
    [document] = read(start)
    assert document.article and document.article.url == final


def test_plain_text_urls_are_read_as_text(web: LocalWeb) -> None:
    url = web.add("/a.txt", ENGLISH, content_type="text/plain; charset=utf-8")
    [document] = read(url)
    assert document.article and document.article.text == ENGLISH and document.article.date == dt.date(2022, 3, 11)


@pytest.mark.parametrize(
    ("route", "options", "reason"),
    [
        ({"body": "gone", "status": 404}, {}, "HTTP 404 Not Found"),
        ({"body": "oops", "status": 500}, {}, "HTTP 500 Internal Server Error"),
        (
            {"body": article_page(), "delay": 1.5},
            {"timeout": 0.3},
            "no complete answer within 0.3 s; try later or raise --timeout",
        ),
        ({"body": article_page()}, {"max_bytes": 500}, "over the 0.488 KiB limit; raise --max-size"),
        (
            {"body": article_page(), "send_length": False},
            {"max_bytes": 500},
            "over the 0.488 KiB limit; raise --max-size",
        ),
        ({"body": b"%PDF-1.4", "content_type": "application/pdf"}, {}, "content type application/pdf"),
        ({"body": NO_MAIN_TEXT_PAGE}, {}, "no main text"),
    ],
    ids=["404", "500", "timeout", "too large", "too large unannounced", "pdf", "no main text"],
)
def test_url_failures_are_failed_documents(route: dict, options: dict, reason: str, web: LocalWeb) -> None:
    url = web.add("/page", **route)
    [document] = read(url, **options)
    assert not document.ok and document.name == url
    assert reason in document.reason, document.reason  # type: ignore[operator]
    assert_one_line(document.reason)


@pytest.mark.parametrize(
    ("trickle", "timeout", "send_length"),
    [(0.05, 1.0, True), (0.005, 1.5, True), (0.005, 1.5, False)],
    ids=["headers", "body", "body ending with the connection"],
)
def test_one_deadline_bounds_a_whole_download(trickle: float, timeout: float, send_length: bool, web: LocalWeb) -> None:
    """A server sending a byte at a time never times a read out; the fetch still ends on time, and a body
    cut at the deadline is never taken for the whole page."""
    url = web.add("/slow", article_page(), trickle=trickle, send_length=send_length)  # over 4 s either way
    started = time.monotonic()
    [document] = read(url, timeout=timeout)
    assert document.reason == f"no complete answer within {timeout:g} s; try later or raise --timeout"
    assert time.monotonic() - started < timeout + 1.5


def test_a_gzipped_page_is_read(web: LocalWeb) -> None:
    url = web.add("/gz", gzip.compress(article_page().encode()), headers={"Content-Encoding": "gzip"})
    [document] = read(url)
    assert document.article and "unprecedented sanctions" in document.article.text


@pytest.mark.parametrize("encoding", ["gzip", "gzip, gzip", "deflate, gzip", "br"])
def test_a_decompression_bomb_is_refused_without_inflating_it(encoding: str, web: LocalWeb) -> None:
    """128 MiB of zeros in 128 KB: the cap bounds what is decoded, whatever the layers say."""
    zeros = gzip.compress(bytes(128 << 20), compresslevel=9)
    body = gzip.compress(zeros) if encoding == "gzip, gzip" else zeros
    url = web.add("/bomb", body, headers={"Content-Encoding": encoding})
    tracemalloc.start()
    try:
        [document] = read(url, max_bytes=1 << 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    expected = "over the 1 MiB limit" if encoding == "gzip" else "unspin reads gzip, deflate or none"
    assert expected in document.reason, document.reason  # type: ignore[operator]
    assert peak < 16 << 20, f"{peak / 2**20:.0f} MiB held while reading a 1 MiB-capped page"


def test_a_redirect_loop_is_cut_short(web: LocalWeb) -> None:
    url = web.add("/loop", status=302, headers={"Location": "/loop"})
    [document] = read(url)
    assert document.reason == "more than 5 redirects"


def test_an_unreachable_host_is_a_failed_document() -> None:
    [document] = read("http://127.0.0.1:1/article", timeout=2)  # nothing listens on port 1
    assert not document.ok and document.reason.startswith("cannot fetch")  # type: ignore[union-attr]


def test_a_list_of_urls(tmp_path: Path, web: LocalWeb) -> None:
    good = web.add("/good", article_page())
    path = tmp_path / "urls.txt"
    path.write_text(f"# the morning's links\n{good}\n\n{web.url('/missing')}\n", encoding="utf-8")
    documents = read(path, input_format="urls")
    assert [(d.name, d.ok) for d in documents] == [(good, True), (web.url("/missing"), False)]


# ---------------------------------------------------------------------------- feeds


def test_a_feed_is_read_newest_first_and_broken_items_fail_alone(web: LocalWeb) -> None:
    old = web.add("/old", article_page("Old news"))
    new = web.add("/new", article_page("New news"))
    items = [
        rss_item("Old news", old, "Mon, 07 Mar 2022 08:00:00 GMT"),
        rss_item("Gone", web.url("/gone"), "Wed, 09 Mar 2022 08:00:00 GMT"),
        rss_item("New news", new, "Fri, 11 Mar 2022 08:00:00 GMT"),
        rss_item("Inline", None, "Thu, 10 Mar 2022 08:00:00 GMT", content=article_page("Inline")),
        rss_item("Empty", None, None),
    ]
    feed = web.add("/feed.xml", rss(items), content_type="application/rss+xml")
    documents = list(read_feed(feed))
    assert [d.name for d in documents] == [new, f"{feed}#item-4", web.url("/gone"), old, f"{feed}#item-5"]
    assert [d.ok for d in documents] == [True, True, False, True, False]
    newest = documents[0].article
    assert newest and (newest.title, newest.date, newest.source) == ("New news", dt.date(2022, 3, 11), "Example Times")
    assert documents[2].reason == "HTTP 404 Not Found"
    assert documents[4].reason == "the feed item has neither a link nor any content"


@pytest.mark.parametrize(("body", "status"), [(article_page(), 200), ("nothing", 404)], ids=["not a feed", "404"])
def test_a_feed_that_cannot_be_read_is_one_failed_document(body: str, status: int, web: LocalWeb) -> None:
    feed = web.add("/feed.xml", body, status=status)
    [document] = read_feed(feed)
    assert document.name == feed and not document.ok
    assert_one_line(document.reason)


# ---------------------------------------------------------------------------- planning a run


def test_count_documents_and_is_batch(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ENGLISH, encoding="utf-8")
    (tmp_path / "b.txt").write_text(ENGLISH, encoding="utf-8")
    jsonl = tmp_path / "dump.jsonl"
    jsonl.write_text('{"text": "1"}\n{"text": "2"}\n{"text": "3"}', encoding="utf-8")
    csv_file = tmp_path / "export.csv"
    csv_file.write_text('id,text\n1,"a\nb"\n2,c\n', encoding="utf-8")
    options = ReadOptions()
    assert count_documents([str(tmp_path), str(jsonl), str(csv_file)], options) == 2 + 3 + 2
    assert count_documents(["-"], options) is None
    assert not is_batch([str(tmp_path / "a.txt")], [], options)
    assert not is_batch(["-"], [], options) and not is_batch(["https://example.invalid/a"], [], options)
    assert is_batch([str(tmp_path)], [], options) and is_batch([str(jsonl)], [], options)
    assert is_batch([str(tmp_path / "a.txt")], ["https://example.invalid/feed"], options)
    assert is_batch(["-"], [], ReadOptions(input_format="jsonl"))
