"""Import shapes of issue 9, part 2: relative imports resolved against the file's package."""

from __future__ import annotations

import pytest

from bot.campaign.spec import MoveRule
from bot.engine.codemods import transform_source
from bot.engine.codemods.bindings import absolute_module, package_of
from bot.engine.references import find_references, scope_references

CACHED = [MoveRule("django.utils.functional.cached_property", "functools.cached_property")]


@pytest.mark.parametrize(("path", "before", "after"), [
    ("django/utils/text.py", "from .functional import cached_property, lazy\n\n@cached_property\ndef f(): ...\n",
     "from .functional import lazy\nfrom functools import cached_property\n\n@cached_property\ndef f(): ...\n"),
    ("django/db/models/base.py", "from ...utils.functional import cached_property as cp\ncp\n",
     "from functools import cached_property as cp\ncp\n"),
    ("django/utils/__init__.py", "from . import functional\nfunctional.cached_property\n",
     "import functools\nfunctools.cached_property\n"),
    ("django/utils/x.py", "from .. import utils\nutils.functional.cached_property\n",
     "import functools\nfunctools.cached_property\n"),
    ("src/django/utils/text.py", "from .functional import cached_property\n", "from functools import cached_property\n"),
])
def test_relative_imports_are_followed(path: str, before: str, after: str) -> None:
    assert transform_source(path, before, CACHED).new_source == after
    assert transform_source(path, after, CACHED).new_source == after
    old = [CACHED[0].old]
    assert find_references(path, before, old) == scope_references(path, before, old) != []
    assert find_references(path, after, old) == []


def test_a_relative_import_of_another_package_is_not_the_migrated_name() -> None:
    source = "from .functional import cached_property\n"
    assert transform_source("other/text.py", source, CACHED).new_source == source
    assert find_references("other/text.py", source, [CACHED[0].old]) == []


def test_package_paths() -> None:
    assert package_of("a/b/c.py") == "a.b"
    assert package_of("a/b/__init__.py") == "a.b"
    assert package_of("top.py") == ""
    assert package_of("src/a/c.py") == "a"
    assert absolute_module(1, "x", "a.b") == "a.b.x"
    assert absolute_module(2, None, "a.b") == "a"
    assert absolute_module(3, "x", "a") is None
    assert absolute_module(1, "x", None) is None
    assert absolute_module(1, "x", "") is None  # a relative import in a top-level module


@pytest.mark.parametrize(("before", "after"), [
    ("# compat\ntry:\n    from django.utils.functional import cached_property\nexcept ImportError:\n"
     "    from functools import cached_property\n\nx = cached_property\n",
     "# compat\nfrom functools import cached_property\n\nx = cached_property\n"),
    ("def f():\n    try:\n        from django.utils.functional import cached_property\n"
     "    except (ImportError, ModuleNotFoundError):\n        from functools import cached_property\n"
     "    return cached_property\n",
     "def f():\n    from functools import cached_property\n    return cached_property\n"),
])
def test_a_fallback_that_becomes_dead_collapses_to_the_one_import(before: str, after: str) -> None:
    assert transform_source("m.py", before, CACHED).new_source == after


@pytest.mark.parametrize("source", [
    "try:\n    from django.utils.functional import cached_property\nexcept ImportError:\n    cached_property = property\n",
    "try:\n    import json\nexcept ImportError:\n    import json\nfrom django.utils.functional import cached_property\n",
    "try:\n    from django.utils.functional import cached_property\nexcept ImportError as e:\n"
    "    from functools import cached_property\n",
])
def test_a_live_fallback_or_one_that_was_dead_already_stays(source: str) -> None:
    after = transform_source("m.py", source, CACHED).new_source
    assert after.startswith("try:\n")
    assert after.count("try:") == source.count("try:")
