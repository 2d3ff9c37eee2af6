"""The campaign loader: every mistake reported with its line and field, valid files read exactly."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.campaign import models, spec
from bot.campaign.load import (
    MAX_CAMPAIGN_BYTES,
    CampaignError,
    Problem,
    campaign_id_hint,
    is_campaign_file,
    load_campaign,
    parse_campaign,
    unmatched_globs,
)
from bot.campaign.schema import SCHEMA_PATH, campaign_json_schema, schema_text

FILES = Path(__file__).parent.parent / "campaign_files"
VALID = (FILES / "valid.yml").read_text()
EXAMPLE = FILES / "example.yml"  # the campaign shown in issue 3


def problems_of(text: str) -> tuple[Problem, ...]:
    with pytest.raises(CampaignError) as caught:
        parse_campaign(text, source="c.yml")
    return caught.value.problems


def edited(old: str, new: str) -> str:
    assert VALID.count(old) == 1, old
    return VALID.replace(old, new)


# (text in valid.yml, its replacement, line, field, part of the message)
# fmt: off
ERRORS = [
    ("title: Demo", "title: Demo: x", 2, "<document>", "YAML syntax: mapping values are not allowed"),
    ("campaign: demo", "campaign: Demo_1", 1, "campaign", "'Demo_1' does not match"),
    ("title: Demo", "title: Demo\ntitle: Again", 3, "title", "duplicate key"),
    ("max_open: 3", "max_open: 3, order: parallel", 17, "rollout.order", "duplicate key"),
    ("rollout:", "rollouts:", 17, "rollouts", "unknown key 'rollouts'"),
    ("  - rename: pkg", "  - renmae: pkg", 9, "rules[2]", "unknown rule kind"),
    ("    args:", "    argz:", 12, "rules[3].argz", "unknown key 'argz'"),
    ("    to: execute", "", 9, "rules[2].to", "required field is missing"),
    ("  - move: pkg.old.Engine", "  - move: pkg..Engine", 4, "rules[0].move", "bad dotted name 'pkg..Engine'"),
    ("    to: pkg.new.UserEngine", "    to: pkg.new.2Engine", 5, "rules[0].to", "part '2Engine' is not"),
    ("    to: pkg.new.UserEngine", "    to: pkg.new.UserEngine\n    alias: maybe", 6, "rules[0].alias", "'rename' or 'keep'"),
    ("  - call: pkg.old.Engine", "  - call: pkg.old.class", 6, "rules[1].call", "part 'class' is not"),
    ("  - rename: pkg.new.UserEngine.run", "  - rename: run", 9, "rules[2].rename", "at least 3 dotted parts"),
    ("    to: execute", "    to: x.execute", 10, "rules[2].to", "not a bare identifier"),
    ('"tools.codemods:MyCommand"', '"tools.codemods.MyCommand"', 11, "rules[3].codemod", "package.module:ClassName"),
    ('"tools.codemods:MyCommand"', '"tools..codemods:X"', 11, "rules[3].codemod", "bad dotted name"),
    ("bridge, context=None, *", "bridge context=None, *", 7, "rules[1].from", "does not parse"),
    ("context=None, *, strict=False", "*context", 7, "rules[1].from", "*args and **kwargs"),
    ("context=None, *, strict=False", "**context", 7, "rules[1].from", "*args and **kwargs"),
    ('"(registry, bridge,', '"(registry, /, bridge,', 7, "rules[1].from", "positional-only"),
    ('"(registry, bridge,', '"(registry, registry,', 7, "rules[1].from", "duplicate parameter 'registry'"),
    ('"(registry', '"registry', 7, "rules[1].from", "parenthesised"),
    ("registry, bridge, context)", "registry,, bridge)", 8, "rules[1].to", "not a Python expression"),
    ("registry, bridge, context)", "registry, bridge, ctx)", 8, "rules[1].to", "'ctx', which is not a parameter"),
    ('to: "UserEngine.from', 'to: "Engine.from', 8, "rules[1].to", "must start with 'UserEngine' (the `move`"),
    ("  - move: pkg.old.Engine", "  - move: pkg.old.Other", 8, "rules[1].to", "must start with 'Engine', not 'UserEngine'"),
    ("{name: unit,", "{name: critical,", 15, "categories[1].name", "two categories are named 'critical'"),
    ("{name: unit,", "{name: Unit,", 15, "categories[1].name", "'Unit' does not match"),
    ('paths: ["tests/critical/**/*.py"]', "paths: []", 14, "categories[0].paths", "at least 1 item"),
    ('"tests/critical/**/*.py"', '"/tests/critical/**/*.py"', 14, "categories[0].paths[0]", "does not match"),
    ("priority: 1,", "priority: high,", 14, "categories[0].priority", "valid integer"),
    ("priority: 1, ", "", 14, "categories[0].priority", "required field is missing"),
    ("timeout: 60", "timeout: 0", 16, "validate.timeout", "greater than 0"),
    ("timeout: 60", "timeout: 60, retries: 2", 16, "validate.retries", "unknown key 'retries'"),
    ("order: parallel", "order: random", 17, "rollout.order", "'sequential' or 'parallel'"),
    ("max_open: 3", "max_open: '3'", 17, "rollout.max_open", "valid integer"),
]
# fmt: on


@pytest.mark.parametrize(("old", "new", "line", "field", "message"), ERRORS)
def test_each_mistake_is_reported_with_its_line_and_field(
    old: str, new: str, line: int, field: str, message: str
) -> None:
    (problem,) = problems_of(edited(old, new))
    assert (problem.file, problem.line, problem.field) == ("c.yml", line, field)
    assert message in problem.message


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "expected a mapping, got nothing"),
        ("# only a comment\n", 1, "expected a mapping, got nothing"),
        ("\n- a\n- b\n", 2, "expected a mapping, got list"),
        ("just text", 1, "expected a mapping, got str"),
        ("a: 1\n---\nb: 2\n", 2, "expected a single document"),
        ("a: [1, 2\nb: 3\n", 2, "YAML syntax"),
        ("a: !!python/object:os.system x\n", 1, "could not determine a constructor"),
    ],
)
def test_a_file_that_is_not_a_mapping_is_refused(text: str, line: int, message: str) -> None:
    (problem,) = problems_of(text)
    assert (problem.line, problem.field) == (line, "<document>")
    assert message in problem.message


def test_all_problems_are_reported_at_once_in_file_order() -> None:
    text = VALID.replace("campaign: demo", "campaign: Demo").replace("registry, bridge, context)", "ctx)")
    text = text.replace("{name: unit,", "{name: critical,").replace("timeout: 60", "timeout: -1")
    error = pytest.raises(CampaignError, parse_campaign, text, "c.yml").value
    assert [(p.line, p.field) for p in error.problems] == [
        (1, "campaign"),
        (8, "rules[1].to"),
        (15, "categories[1].name"),
        (16, "validate.timeout"),
    ]
    assert str(error).splitlines() == [str(p) for p in error.problems]
    assert str(error.problems[0]) == "c.yml:1: campaign: 'Demo' does not match ^[a-z0-9][a-z0-9-]*$"


def test_a_valid_file_becomes_the_campaign_values() -> None:
    campaign = parse_campaign(VALID, source="valid.yml")
    assert campaign.rules == (
        spec.MoveRule("pkg.old.Engine", "pkg.new.UserEngine", line=4),
        spec.CallRule(
            "pkg.old.Engine",
            (
                spec.Param("registry"),
                spec.Param("bridge"),
                spec.Param("context", "None"),
                spec.Param("strict", "False", keyword_only=True),
            ),
            "UserEngine.from_registry(registry, bridge, context)",
            line=6,
        ),
        spec.RenameRule("pkg.new.UserEngine.run", "execute", line=9),
        spec.CodemodRule("tools.codemods:MyCommand", (("verbose", True),), line=11),
    )
    assert [(c.name, c.priority, c.line) for c in campaign.categories] == [
        ("unit", 0, 15),
        ("critical", 1, 14),
    ]
    assert campaign.categories[0].paths == ("tests/unit/**/*.py", "tests/*.py")
    assert campaign.validate == spec.Validation("python -m pytest -q {files}", baseline=True, timeout=60)
    assert campaign.rollout == spec.Rollout(order=spec.Order.PARALLEL, max_open=3)
    assert (campaign.id, campaign.title, campaign.source) == ("demo", "Demo", "valid.yml")


def test_the_issue_example_loads_with_defaults_filled_in() -> None:
    campaign = load_campaign(EXAMPLE)
    old = "netra_backend.app.agents.supervisor.execution_engine.ExecutionEngine"
    assert campaign.id == "execution-engine-ssot"
    assert campaign.rules[0] == spec.MoveRule(
        old,
        "netra_backend.app.agents.supervisor.user_execution_engine.UserExecutionEngine",
        spec.AliasMode.KEEP,
        4,
    )
    assert [r.line for r in campaign.rules] == [4, 7, 10]
    assert campaign.rules[1].params[2] == spec.Param("user_context", "None")
    assert campaign.rules[2] == spec.CodemodRule("tools.codemods:MyCommand", line=10)
    assert [c.name for c in campaign.categories] == ["mission-critical", "integration"]
    assert campaign.rollout == spec.Rollout(max_open=2)
    assert campaign.migrated_names == (old,)
    assert campaign.source == str(EXAMPLE)


def test_a_field_is_pointed_at_by_its_key_even_when_its_value_is_elsewhere() -> None:
    text = edited("rules:\n", "rules: &rules\n") + "extra: *rules\nrollout:\n  max_open:\n    0\n"
    assert [(p.line, p.field) for p in problems_of(text)] == [
        (18, "extra"),
        (19, "rollout"),
        (20, "rollout.max_open"),
    ]


def test_equal_priorities_keep_file_order() -> None:
    text = edited("priority: 1,", "priority: 0,")
    assert [c.name for c in parse_campaign(text).categories] == ["critical", "unit"]


def test_an_unreadable_file_is_a_campaign_error(tmp_path: Path) -> None:
    with pytest.raises(CampaignError, match="cannot read the file"):
        load_campaign(tmp_path / "missing.yml")


def test_unmatched_globs_name_each_glob_that_matches_nothing() -> None:
    campaign = parse_campaign(VALID, source="valid.yml")
    paths = ["tests/unit/deep/test_a.py", "README.md"]
    assert unmatched_globs(campaign, paths) == [
        Problem("valid.yml", 15, "categories[unit].paths[1]", "glob 'tests/*.py' matches no file"),
        Problem(
            "valid.yml", 14, "categories[critical].paths[0]", "glob 'tests/critical/**/*.py' matches no file"
        ),
    ]
    assert unmatched_globs(campaign, (p for p in [*paths, "tests/conftest.py", "tests/critical/t.py"])) == []


def test_checked_in_schema_is_the_generated_one() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), "run: python -m bot.campaign.schema"


@pytest.mark.parametrize("path", [EXAMPLE, FILES / "valid.yml"])
def test_valid_campaigns_pass_the_published_schema(path: Path) -> None:
    jsonschema.Draft202012Validator(campaign_json_schema()).validate(yaml.safe_load(path.read_text()))


@pytest.mark.parametrize(("old", "new"), [("  - rename: pkg", "  - renmae: pkg"), ("rollout:", "rollouts:")])
def test_the_schema_refuses_what_the_loader_refuses(old: str, new: str) -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))
    assert not validator.is_valid(yaml.safe_load(edited(old, new)))


def _never_raises_anything_else(text: str) -> None:
    try:
        parse_campaign(text)
    except CampaignError as error:
        assert error.problems and all(p.line >= 1 for p in error.problems)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_random_text_only_raises_campaign_error(text: str) -> None:
    _never_raises_anything_else(text)


_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
_MODELS = models.CampaignModel, models.MoveModel, models.CallModel, models.CategoryModel, models.RolloutModel
_KEYS = st.sampled_from(sorted({f.alias or n for m in _MODELS for n, f in m.model_fields.items()} | {"x"}))
_DATA = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=6)
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_DATA)
@example({"categories": [{"name": []}, {"name": []}]})
def test_random_yaml_only_raises_campaign_error(data: object) -> None:
    _never_raises_anything_else(yaml.safe_dump(data))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(VALID) - 1), st.integers(0, 40), st.text(max_size=12))
def test_edited_valid_file_only_raises_campaign_error(start: int, length: int, insert: str) -> None:
    _never_raises_anything_else(VALID[:start] + insert + VALID[start + length :])


# --- size cap, file names, stopping -----------------------------------------------------------------------


def test_a_file_over_the_cap_is_refused_before_any_yaml_parsing(tmp_path: Path) -> None:
    # not even YAML: a parse would report a syntax error; the cap speaks first, at once
    text = "campaign: [" + "x" * MAX_CAMPAIGN_BYTES
    (problem,) = problems_of(text)
    assert (problem.line, problem.field) == (1, "<document>") and "larger than 256 KiB" in problem.message
    big = tmp_path / "big.yml"
    big.write_bytes(b"\xff" * (MAX_CAMPAIGN_BYTES * 4))  # not UTF-8 either: only the first cap+1 bytes are read
    with pytest.raises(CampaignError, match="larger than 256 KiB"):
        load_campaign(big)


def test_multibyte_text_is_measured_in_bytes() -> None:
    text = "# " + "é" * (MAX_CAMPAIGN_BYTES // 2) + "\n" + VALID  # under the cap in characters, over in bytes
    with pytest.raises(CampaignError, match="larger than"):
        parse_campaign(text)


def test_a_file_just_under_the_cap_is_parsed() -> None:
    text = VALID + "#" * (MAX_CAMPAIGN_BYTES - len(VALID.encode()) - 1) + "\n"
    assert parse_campaign(text).id == "demo"


@pytest.mark.parametrize(
    ("glob", "path", "ok"),
    [
        (".github/migrations/*.yml", ".github/migrations/a.yml", True),
        (".github/migrations/*.yml", ".github/migrations/a.yaml", True),
        (".github/migrations/*.yaml", ".github/migrations/a.yml", True),
        (".github/migrations/*.yml", ".github/migrations/a.json", False),
        (".github/migrations/*.yml", ".github/migrations/sub/a.yaml", False),
        ("migrations/*.toml", "migrations/a.toml", True),
    ],
)
def test_yml_and_yaml_are_one_suffix(glob: str, path: str, ok: bool) -> None:
    assert is_campaign_file(glob, path) is ok


@pytest.mark.parametrize(
    ("text", "source", "hint"),
    [
        ("title: x\ncampaign: eng-2  # the id\n", "a.yml", "eng-2"),
        ("campaign: 'quoted'\n", "a.yml", "quoted"),
        ("campaign: Bad_Id\n", ".github/migrations/Engine v2.yaml", "engine-v2"),
        ("  campaign: nested\n", "x/mig.yml", "mig"),
        ("{{{", "x/!!!.yml", "campaign"),
    ],
)
def test_campaign_id_hint_of_a_file_that_does_not_load(text: str, source: str, hint: str) -> None:
    assert campaign_id_hint(text, source) == hint


def test_enabled_defaults_to_true_and_false_stops_it() -> None:
    assert parse_campaign(VALID).enabled is True
    assert parse_campaign(edited("title: Demo", "title: Demo\nenabled: false")).enabled is False
    (problem,) = problems_of(edited("title: Demo", "title: Demo\nenabled: maybe"))
    assert (problem.line, problem.field) == (3, "enabled")
