"""RSS and Atom feeds: each item's page, newest first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError
from .documents import Document, ReadOptions, document, open_capped, reason
from .web import Fetcher, article_from_html, fetch_article, is_url

__all__ = ["read_feed"]


def read_feed(source: str, options: ReadOptions | None = None, fetcher: Fetcher | None = None) -> Iterator[Document]:
    """Read the items of an RSS or Atom feed (a URL or a file), newest first.

    Each item's link is fetched and its main text extracted; an item without a link is
    read from the content the feed carries. A broken item becomes a failed document
    named by its link (or ``feed#item-N``) and the other items are still read.
    """
    options = options or ReadOptions()
    if fetcher is None:
        with Fetcher(options) as own:
            yield from read_feed(source, options, own)
        return
    try:
        data = fetcher.get(source).content if is_url(source) else open_capped(Path(source), options.max_bytes)
    except InputError as exc:
        yield Document(source, reason=reason(exc, source))
        return
    import feedparser

    parsed = feedparser.parse(data)
    if not parsed.entries:
        problem = parsed.get("bozo_exception")
        detail = f" ({problem})" if problem else ""
        yield Document(source, reason=f"not an RSS or Atom feed, or one without items{detail}")
        return
    feed_title = parsed.feed.get("title") or None
    for number, entry in _newest_first(parsed.entries):
        yield _feed_item(entry, f"{source}#item-{number}", feed_title, options, fetcher)


def _newest_first(entries: list[Any]) -> list[tuple[int, Any]]:
    numbered = list(enumerate(entries, start=1))
    return sorted(numbered, key=lambda item: _entry_time(item[1]) or (), reverse=True)


def _entry_time(entry: Mapping[str, Any]) -> tuple[int, ...] | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return tuple(parsed[:6]) if parsed else None


def _feed_item(
    entry: Mapping[str, Any], fallback_name: str, feed_title: str | None, options: ReadOptions, fetcher: Fetcher
) -> Document:
    when = _entry_time(entry)
    metadata: dict[str, Any] = {
        "title": entry.get("title") or None,
        "date": dt.date(*when[:3]) if when else None,
        "source": feed_title,
    }
    link = entry.get("link")
    if link:
        return document(link, lambda: fetch_article(fetcher, link, options, **metadata))
    content = (entry.get("content") or [{}])[0].get("value") or entry.get("summary")
    if not content:
        return Document(fallback_name, reason="the feed item has neither a link nor any content")
    return document(fallback_name, lambda: article_from_html(content, name=fallback_name, **metadata))
