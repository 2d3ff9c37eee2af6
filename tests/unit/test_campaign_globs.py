"""Category globs: `**` spans directories, the rest stays in one segment; first category by priority wins."""

from __future__ import annotations

import time

import pytest

from bot.campaign.globs import category_for, glob_matches
from bot.campaign.load import parse_campaign

GLOBS = [
    ("tests/**/*.py", "tests/test_a.py", True),
    ("tests/**/*.py", "tests/unit/deep/test_a.py", True),
    ("tests/**/*.py", "tests/unit/test_a.pyc", False),
    ("tests/**/*.py", "other/tests/test_a.py", False),
    ("tests/**", "tests/unit/x/y.txt", True),
    ("tests/**", "tests", False),
    ("**/*.py", "setup.py", True),
    ("**/*.py", "a/b/c.py", True),
    ("**", "anything/at/all.txt", True),
    ("a/**/b/*.py", "a/b/x.py", True),
    ("a/**/b/*.py", "a/x/y/b/x.py", True),
    ("a/**/b/*.py", "a/xb/x.py", False),
    ("tests/*.py", "tests/test_a.py", True),
    ("tests/*.py", "tests/unit/test_a.py", False),
    ("tests/*", "tests/.hidden", True),
    ("tests/test_?.py", "tests/test_a.py", True),
    ("tests/test_?.py", "tests/test_ab.py", False),
    ("tests/?", "tests//", False),
    ("tests/test_[ab].py", "tests/test_b.py", True),
    ("tests/test_[ab].py", "tests/test_c.py", False),
    ("tests/test_[!ab].py", "tests/test_c.py", True),
    ("tests/test_[!ab].py", "tests/test_a.py", False),
    ("tests/test_[a-c].py", "tests/test_b.py", True),
    ("tests/[]].py", "tests/].py", True),
    ("tests/[unclosed.py", "tests/[unclosed.py", True),
    ("tests/a+b(1).py", "tests/a+b(1).py", True),
    ("tests/a+b(1).py", "tests/aab(1).py", False),
    ("tests/x**y.py", "tests/xzzy.py", True),
    ("tests/x**y.py", "tests/x/y.py", False),
    ("tests/unit/test_a.py", "tests/unit/test_a.py", True),
    ("tests/unit/test_a.py", "tests/unit/test_a.py.bak", False),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), GLOBS)
def test_glob_matches(pattern: str, path: str, expected: bool) -> None:
    assert glob_matches(pattern, path) is expected


CAMPAIGN = """\
campaign: demo
title: Demo
rules:
  - move: pkg.old.Engine
    to: pkg.new.Engine
categories:
  - {name: everything-else, priority: 9, paths: ["**/*.py"]}
  - {name: integration, priority: 1, paths: ["tests/integration/**/*.py"]}
  - {name: critical, priority: 0, paths: ["tests/mission_critical/**/*.py", "tests/integration/critical_*.py"]}
"""


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("tests/integration/critical_x.py", "critical"),
        ("tests/integration/x/critical_x.py", "integration"),
        ("tests/mission_critical/a/b.py", "critical"),
        ("netra_backend/app/x.py", "everything-else"),
        ("README.md", None),
    ],
)
def test_a_file_belongs_to_the_first_category_by_priority(path: str, name: str | None) -> None:
    category = category_for(parse_campaign(CAMPAIGN), path)
    assert (category.name if category else None) == name


def test_category_for_is_fast_on_a_large_tree() -> None:
    campaign = parse_campaign(CAMPAIGN)
    paths = [f"pkg{i % 40}/sub{i % 7}/module_{i}.{'py' if i % 3 else 'txt'}" for i in range(3000)]
    start = time.perf_counter()
    found = [category_for(campaign, path) for path in paths]
    elapsed = time.perf_counter() - start
    assert sum(c is not None for c in found) == 2000
    assert elapsed < 0.5, f"{elapsed:.3f}s for 3,000 files"
