"""Category globs: `**` spans directories, `*` `?` `[..]` stay within one path segment."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.campaign import spec


def glob_matches(pattern: str, path: str) -> bool:
    """Whether repository-relative `path` (forward slashes) matches `pattern` as a whole."""
    return _compile(pattern).fullmatch(path) is not None


def category_for(campaign: spec.Campaign, path: str) -> spec.Category | None:
    """The first category (by priority, then file order) with a glob matching `path`, else None."""
    for category in campaign.categories:
        if _compile_any(category.paths).fullmatch(path):
            return category
    return None


@lru_cache(maxsize=1024)
def _compile_any(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for all globs of a category: one match call per file instead of one per glob."""
    return re.compile("|".join(f"(?:{_translate(p)})" for p in patterns))


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(_translate(pattern))


def _translate(pattern: str) -> str:
    """Glob -> regex source. `a/**/b` matches a/b, a/x/b, a/x/y/b; a trailing `**` matches everything below."""
    segments = pattern.split("/")
    out: list[str] = []
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == "**":
            out.append(".*" if last else "(?:[^/]+/)*")
        else:
            out.append(_translate_segment(segment) + ("" if last else "/"))
    return "".join(out)


def _translate_segment(segment: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            while i + 1 < len(segment) and segment[i + 1] == "*":
                i += 1
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := _class_end(segment, i)) > 0:
            out.append(_translate_class(segment[i + 1 : end]))
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _class_end(segment: str, start: int) -> int:
    """Index of the `]` closing the class opened at `start` (a `]` right after `[` or `[!` is literal), or -1."""
    i = start + 1
    if i < len(segment) and segment[i] in "!^":
        i += 1
    if i < len(segment) and segment[i] == "]":
        i += 1
    end = segment.find("]", i)
    return end


def _translate_class(body: str) -> str:
    negate = body[:1] in ("!", "^")
    if negate:
        body = body[1:]
    escaped = body.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return f"[^/{escaped}]" if negate else f"[{escaped}]"
