"""A rewritten import goes to its isort section: standard library, third party, first party, local."""

from __future__ import annotations

import pytest

from bot.campaign.load import parse_campaign
from bot.campaign.spec import MoveRule
from bot.engine.apply import apply_rules
from bot.engine.codemods import transform_source
from bot.engine.codemods.sections import first_party_packages
from tests.memory_tree import MemoryTree

MOCK = (MoveRule("mock", "unittest.mock"),)
CACHED = """\
campaign: c
title: C
rules:
  - move: django.utils.functional.cached_property
    to: functools.cached_property
categories:
  - {name: all, priority: 0, paths: ["**/*.py"]}
"""


@pytest.mark.parametrize(("before", "after"), [
    pytest.param(  # the moved import leaves the third-party block for the standard library's
        "import os\nimport sys\n\nimport mock\nimport requests\n\nfrom app import x\n\nmock.patch\n",
        "import os\nimport sys\nfrom unittest import mock\n\nimport requests\n\nfrom app import x\n\nmock.patch\n",
        id="into-the-stdlib-block"),
    pytest.param(  # no standard-library block yet: one of its own, before the third party
        '"""Doc."""\nimport mock\nimport requests\n\nmock.patch\n',
        '"""Doc."""\nfrom unittest import mock\n\nimport requests\n\nmock.patch\n',
        id="a-block-of-its-own"),
    pytest.param(  # in the right block already (the file's imports are not resorted)
        "import sys\nimport mock\nimport abc\n\nmock.patch\n",
        "import sys\nfrom unittest import mock\nimport abc\n\nmock.patch\n",
        id="already-in-place"),
    pytest.param(  # a comment on the line belongs there: the import stays where it stands
        "import os\n\nimport mock  # the backport\nimport requests\n",
        "import os\n\nfrom unittest import mock  # the backport\nimport requests\n",
        id="commented-line-stays"),
    pytest.param(  # inside a function: never moved
        "import requests\n\ndef f():\n    import mock\n    return mock\n",
        "import requests\n\ndef f():\n    from unittest import mock\n    return mock\n",
        id="nested-stays"),
])
def test_new_import_goes_to_its_section(before: str, after: str) -> None:
    assert transform_source("app/tests.py", before, MOCK).new_source == after
    assert transform_source("app/tests.py", after, MOCK).new_source == after  # the second pass


def test_first_party_block_and_known_first_party_from_pyproject() -> None:
    files = {
        "django/utils/text.py": ("import re\n\nfrom django.utils.functional import cached_property\n"
                                 "from mylib import y\n\n@cached_property\ndef f(): ...\n"),
        "pyproject.toml": '[tool.ruff.lint.isort]\nknown-first-party = ["mylib"]\n',
    }
    tree = MemoryTree(files)
    [result] = apply_rules(parse_campaign(CACHED, "c.yml"), tree, ["django/utils/text.py"], jobs=1)
    assert result.new_source == ("import re\nfrom functools import cached_property\n\nfrom mylib import y\n\n"
                                 "@cached_property\ndef f(): ...\n")


@pytest.mark.parametrize(("pyproject", "expected"), [
    ('[tool.isort]\nknown_first_party = ["a"]\n', {"a"}),
    ('[tool.ruff.isort]\nknown-first-party = ["b"]\n', {"b"}),
    ('[tool.ruff.lint.isort]\nknown-first-party = ["c", "d"]\n', {"c", "d"}),
    ("not = toml = at all", set()),
])
def test_first_party_packages(pyproject: str, expected: set[str]) -> None:
    paths = ["pkg/mod.py", "src/lib/x.py", "setup.py", "tests/unit/test_x.py"]
    assert first_party_packages(paths, pyproject) == {"pkg", "lib", "setup", "tests", *expected}
