"""The one-pass move writes exactly what the per-rule libCST path writes, or leaves the file to it.

Every case runs both paths (`transform_source(..., one_pass=False)` is the reference) and compares the
text, the outcome and the findings; `took` says whether the one pass vouched for the file itself, so a
case cannot pass by silently falling back. A hypothesis test does the same on generated modules full of
shadowing parameters, locals, comprehensions, classes, globals and star imports.
"""

from __future__ import annotations

import ast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.campaign.spec import AliasMode, MoveRule
from bot.engine.codemods import transform_source
from bot.engine.codemods.bindings import package_of
from bot.engine.codemods.one_pass import move_in_one_pass
from tests.codemods.test_capture_property import NEW, OLD, modules

CP = MoveRule("django.utils.functional.cached_property", "functools.cached_property")
TZ = MoveRule("django.utils.timezone", "django.utils.clock")
Q = MoveRule("django.db.models.Q", "django.db.models.query_utils.Q")
VE = MoveRule("django.core.exceptions.ValidationError", "django.core.errors.ValidationError")
IC = MoveRule("django.core.exceptions.ImproperlyConfigured", "django.core.errors.ImproperlyConfigured")
ST = MoveRule("django.conf.settings", "django.config.settings")
MOCK = MoveRule("mock", "unittest.mock")


def took(path: str, source: str, rules: list[MoveRule]) -> bool:
    """True when the one pass vouched for the file (it did not hand it to the per-rule path)."""
    return move_in_one_pass(path, source, ast.parse(source), rules, frozenset({"pkg"})) is not None


def same(path: str, source: str, rules: list[MoveRule]) -> str:
    fast = transform_source(path, source, rules, first_party=["pkg"])
    slow = transform_source(path, source, rules, first_party=["pkg"], one_pass=False)
    assert (fast.outcome, fast.findings) == (slow.outcome, slow.findings)
    assert fast.new_source == slow.new_source
    return fast.new_source


TAKEN = {
    "rename with usages": (
        "from django.utils import timezone\n\n\ndef now():\n    return timezone.now()\n", [TZ]),
    "a parameter shadows the import": (
        "from django.utils import timezone\n\n\ndef f(timezone):\n    return timezone\n\n\n"
        "def g():\n    return timezone.now()\n", [TZ]),
    "a comprehension variable shadows it": (
        "from django.utils import timezone\n\nx = [timezone for timezone in range(3)]\ny = timezone.now()\n", [TZ]),
    "module holding the name, every usage rewritten": (
        "from django.db import models\n\nq = models.Q(a=1) | models.Q(b=2)\n", [Q]),
    "module holding the name, other usages keep it": (
        "from django.db import models\n\n\nclass A(models.Model):\n    f = models.Q(a=1)\n", [Q]),
    "three rules on one statement": (
        "from django.core.exceptions import ValidationError, ImproperlyConfigured, FieldError\n\n"
        "raise ValidationError(ImproperlyConfigured)\n", [VE, IC]),
    "a clash keeps the old local name": (
        "from django.utils import timezone\n\nclock = 1\nprint(timezone.now(), clock)\n", [TZ]),
    "a clash on the module head takes a fresh alias": (
        "from django.core import exceptions\n\ndjango = 'x'\nraise exceptions.ValidationError(django)\n", [VE]),
    "an import inside a function, multi-line": (
        "def f():\n    from django.utils.functional import (\n        cached_property,  # why\n    )\n"
        "    return cached_property\n", [CP]),
    "isort section moves": (
        '"""Doc."""\nimport os\n\nimport mock\nimport requests\n\nfrom pkg import x\n\nmock.patch(os)\n', [MOCK]),
    "same local name: statements only": (
        "import os\nfrom django.conf import settings\n\nprint(settings.DEBUG, os)\n", [ST]),
    "a usage in a one-line f-string, binding unchanged": (
        "from django.conf import settings\n\nprint(f'{settings.DEBUG}')\n", [ST]),
}

LEFT = {
    "an import in a try": (
        "try:\n    from django.utils.functional import cached_property\nexcept ImportError:\n"
        "    from functools import cached_property\n", [CP]),
    "a usage to rewrite in an f-string": (
        "from django.utils import timezone\n\nprint(f'{timezone.now()}')\n", [TZ]),
    "the name bound twice at module level": (
        "from django.utils import timezone\n\ntimezone = None\n", [TZ]),
    "a walrus on the name": (
        "from django.utils import timezone\n\n\ndef f():\n    return [(timezone := t) for t in range(2)]\n", [TZ]),
    "two statements on a line": (
        "import os; from django.utils import timezone\n\ntimezone.now(os)\n", [TZ]),
}


@pytest.mark.parametrize("name", sorted(TAKEN))
def test_the_one_pass_writes_what_the_per_rule_path_writes(name: str) -> None:
    source, rules = TAKEN[name]
    assert took("pkg/mod.py", source, rules)
    assert same("pkg/mod.py", source, rules) != source


@pytest.mark.parametrize("name", sorted(LEFT))
def test_what_the_one_pass_cannot_vouch_for_goes_to_libcst(name: str) -> None:
    source, rules = LEFT[name]
    assert not took("pkg/mod.py", source, rules)
    same("pkg/mod.py", source, rules)


def test_findings_carry_the_lines_of_the_file_as_earlier_rules_left_it() -> None:
    source = (
        "from django.utils.functional import cached_property, lazy\n"
        "from django.core import exceptions\n\n"
        "django = lazy\nraise exceptions.ValidationError(cached_property, django)\n"
    )
    rules = [CP, VE]
    assert took("pkg/mod.py", source, rules)
    fast = transform_source("pkg/mod.py", source, rules)
    assert [f.line for f in fast.findings] == [3]  # line 2 before the first rule split line 1 in two
    same("pkg/mod.py", source, rules)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules(), st.sampled_from(list(AliasMode)))
def test_generated_modules_come_out_the_same_either_way(source: str, alias: AliasMode) -> None:
    rules = [MoveRule(OLD, NEW, alias)]
    fast = transform_source("gen.py", source, rules)
    slow = transform_source("gen.py", source, rules, one_pass=False)
    assert (fast.new_source, fast.outcome, fast.findings) == (slow.new_source, slow.outcome, slow.findings)


def test_relative_imports_resolve_against_the_files_package() -> None:
    rule = MoveRule("pkg.util.old_name", "pkg.helpers.new_name")
    source = "from .util import old_name\n\nold_name()\n"
    assert package_of("pkg/mod.py") == "pkg"
    assert took("pkg/mod.py", source, [rule])
    assert "from pkg.helpers import new_name" in same("pkg/mod.py", source, [rule])
