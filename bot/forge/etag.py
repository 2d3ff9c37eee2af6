"""Conditional GETs through PyGithub's requester: a bounded LRU of ETags and parsed answers, per forge.

GitHub does not count a 304 Not Modified against the rate limit, so a read that sends the ETag it got
last time costs nothing when nothing changed. Each page of a list is its own entry (page 2 can change
while page 1 does not), and remembers the page after it, since a 304 carries no Link header.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from github import GithubException
from github.Requester import Requester

from bot.forge.base import Retryable

#: entries kept per forge (one per URL, parameters and page); the least recently used goes first
DEFAULT_CAP = 1024

T = TypeVar("T")
Key = tuple[str, tuple[tuple[str, str], ...]]

_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


class _Gone:
    """The cached answer of a read GitHub answered 404 (a repeated 404 is no change)."""

    def __repr__(self) -> str:
        return "GONE"


GONE = _Gone()


@dataclass(frozen=True)
class Entry:
    etag: str  #: "" when GitHub sent none (or answered 404): the entry is compared, never sent
    value: Any  #: the parsed answer (for a list: this page's items), never raw JSON
    next_url: str | None = None  #: the page after this one, from its Link header


def next_link(link: str | None) -> str | None:
    """The rel="next" URL of a Link header; None on the last page or when there is no header."""
    found = _NEXT.search(link or "")
    return found.group(1) if found else None


class EtagCache:
    """URL + parameters -> (ETag, parsed answer), at most `cap` entries, safe across threads.

    `generation(scope)` grows each time a read in `scope` (a repository) brings an answer that differs
    from the cached one, so two equal generations around a set of reads mean none of them changed.
    """

    def __init__(self, cap: int = DEFAULT_CAP) -> None:
        self.cap = cap
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._generations: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Key) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, scope: str, key: Key, entry: Entry) -> None:
        with self._lock:
            old = self._entries.get(key)
            if old is None or (old.value, old.next_url) != (entry.value, entry.next_url):
                self._generations[scope] += 1
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.cap:
                self._entries.popitem(last=False)

    def generation(self, scope: str) -> int:
        with self._lock:
            return self._generations[scope]


def cache_key(url: str, params: Mapping[str, Any] | None) -> Key:
    return url, tuple(sorted((str(k), str(v)) for k, v in (params or {}).items()))


def conditional_get(requester: Requester, cache: EtagCache, scope: str, url: str,
                    params: Mapping[str, Any] | None, parse: Callable[[Any], T]) -> tuple[T, str | None]:
    """(parsed answer, next page URL) of GET `url`, sending the cached ETag as If-None-Match.

    PyGithub's `requestJsonAndCheck` answers a 304 with its headers and no data (an empty body parses
    to None; errors still raise GithubException), so None after sending an ETag means "use the cache".
    """
    key = cache_key(url, params)
    cached = cache.get(key)
    headers = {"If-None-Match": cached.etag} if cached is not None and cached.etag else {}
    try:
        answer_headers, data = requester.requestJsonAndCheck("GET", url, dict(params or {}) or None,
                                                             headers=headers)
    except GithubException as error:
        if error.status == 404:
            cache.put(scope, key, Entry("", GONE))
        raise
    if data is None:
        if cached is None or not headers:
            raise Retryable(f"GET {url}: GitHub answered with no body")
        return cached.value, cached.next_url
    value, following = parse(data), next_link(answer_headers.get("link"))
    cache.put(scope, key, Entry(answer_headers.get("etag") or "", value, following))
    return value, following


def conditional_pages(requester: Requester, cache: EtagCache, scope: str, url: str,
                      params: Mapping[str, Any] | None, parse_page: Callable[[Any], list[T]]) -> list[T]:
    """Every page of a list, each page a conditional GET of its own (the next one from the Link header)."""
    items, page = conditional_get(requester, cache, scope, url, params, parse_page)
    found = list(items)
    while page is not None:
        items, page = conditional_get(requester, cache, scope, page, None, parse_page)
        found += items
    return found
