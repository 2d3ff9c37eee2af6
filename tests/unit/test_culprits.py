"""The culprit search: lone culprits within the bound, pairs that break only together, flaky tests, max_runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from bot.engine.culprits import (
    Culprit,
    CulpritSearch,
    SearchStatus,
    Trial,
    excerpt,
    find_culprits,
    lone_culprit_bound,
)
from bot.engine.report import render_summary
from bot.engine.validate import FileCheck, ValidationReport

FILES = [f"pkg/mod_{i:02d}.py" for i in range(30)]


class World:
    """Which tests fail for which migrated files: a test fails when every file of one of its sets is
    migrated (not reverted). `flaky` tests fail on the listed run numbers only. Counts the probe's runs."""

    def __init__(self, files: Sequence[str], breaks: Mapping[str, Sequence[frozenset[str]]],
                 flaky: Mapping[str, set[int]] | None = None, always: Sequence[str] = ()) -> None:
        self.files = frozenset(files)
        self.breaks = breaks
        self.flaky = flaky or {}
        self.always = always
        self.calls: list[frozenset[str]] = []

    def probe(self, reverted: frozenset[str]) -> Trial:
        assert reverted <= self.files
        self.calls.append(reverted)
        applied = self.files - reverted
        failed = {t for t, sets in self.breaks.items() if any(s <= applied for s in sets)}
        failed |= {t for t, runs in self.flaky.items() if len(self.calls) in runs}
        failed |= set(self.always)
        return Trial(frozenset(failed), output=_pytest_output(sorted(failed)))

    def search(self, failing: Sequence[str], max_runs: int = 100) -> CulpritSearch:
        result = find_culprits(sorted(self.files), failing, self.probe, max_runs=max_runs)
        assert result.runs == len(self.calls)  # the count is the probe's own
        return result


def _pytest_output(failed: Sequence[str]) -> str:
    lines = ["=================================== FAILURES ==================================="]
    for node in failed:
        name = node.split("::")[-1]
        lines += [f"___________________________ {name} ___________________________", "",
                  f"    def {name}():", ">       assert compute() == 1", "E       assert 2 == 1",
                  "E        +  where 2 = compute()", "", f"{node.split('::')[0]}:7: AssertionError"]
    lines += ["=========================== short test summary info ============================"]
    lines += [f"FAILED {node} - assert 2 == 1" for node in failed]
    return "\n".join(lines)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 30, 64, 100])
def test_a_lone_culprit_is_found_wherever_it_is_within_the_bound(n: int) -> None:
    files = FILES[:n] if n <= 30 else [f"f{i:03d}.py" for i in range(n)]
    worst = 0
    for culprit in files:
        world = World(files, {"tests/test_a.py::test_a": [frozenset({culprit})]})
        result = world.search(["tests/test_a.py::test_a"])
        assert result.status is SearchStatus.FOUND
        assert result.files == (culprit,)
        assert result.culprits[0].tests == ("tests/test_a.py::test_a",)
        worst = max(worst, result.runs)
    assert worst <= lone_culprit_bound(n)
    assert lone_culprit_bound(30) == 12  # 2*ceil(log2 30) + 2


def test_the_bound_grows_with_the_log_of_the_files() -> None:
    assert [lone_culprit_bound(n) for n in (1, 2, 4, 30, 32, 33, 1000)] == [2, 4, 6, 12, 12, 14, 22]


def test_two_independent_culprits_breaking_different_tests_are_both_found() -> None:
    world = World(FILES, {"t::a": [frozenset({FILES[3]})], "t::b": [frozenset({FILES[21]})]})
    result = world.search(["t::a", "t::b"])
    assert result.status is SearchStatus.FOUND
    assert result.files == (FILES[3], FILES[21])
    assert {c.files: c.tests for c in result.culprits} == {(FILES[3],): ("t::a",), (FILES[21],): ("t::b",)}
    assert result.runs <= 1 + 2 * (lone_culprit_bound(30) - 1)
    # the last run had both rolled back and nothing failing
    assert world.calls[-1] == frozenset({FILES[3], FILES[21]})


def test_two_files_each_breaking_the_same_test_are_both_found() -> None:
    world = World(FILES, {"t::a": [frozenset({FILES[2]}), frozenset({FILES[27]})]})
    result = world.search(["t::a"])
    assert result.status is SearchStatus.FOUND
    assert result.files == (FILES[2], FILES[27])
    assert len(result.culprits) == 2
    # one more run than two lone searches: the base is checked once when a rollback fixed nothing
    assert result.runs <= 2 * (lone_culprit_bound(30) - 1) + 2


@pytest.mark.parametrize("pair", [(0, 29), (4, 5), (14, 15), (7, 22), (20, 26)])
def test_a_pair_that_breaks_only_together_is_found(pair: tuple[int, int]) -> None:
    together = frozenset({FILES[pair[0]], FILES[pair[1]]})
    world = World(FILES, {"t::pair": [together]})
    result = world.search(["t::pair"])
    assert result.status is SearchStatus.FOUND
    assert result.culprits[0].files == tuple(sorted(together))
    assert len(result.culprits) == 1
    assert result.runs <= 2 * lone_culprit_bound(30) - 2  # two halvings of 15, plus confirm, split and check


def test_a_pair_and_a_lone_culprit_together() -> None:
    world = World(FILES, {"t::pair": [frozenset({FILES[1], FILES[17]})], "t::lone": [frozenset({FILES[9]})]})
    result = world.search(["t::pair", "t::lone"])
    assert result.status is SearchStatus.FOUND
    assert sorted(c.files for c in result.culprits) == [(FILES[1], FILES[17]), (FILES[9],)]


def test_a_failure_that_does_not_reproduce_is_flaky_and_blames_nothing() -> None:
    world = World(FILES, {}, flaky={"t::flaky": set()})  # failed in validation, never again
    result = world.search(["t::flaky"])
    assert result.status is SearchStatus.FLAKY
    assert result.culprits == ()
    assert result.flaky == ("t::flaky",)
    assert result.runs == 1
    assert world.calls == [frozenset()]  # the re-run was on the same tree: nothing reverted


def test_a_flaky_test_beside_a_real_culprit_is_reported_not_blamed() -> None:
    world = World(FILES, {"t::real": [frozenset({FILES[11]})]}, flaky={"t::flaky": {3, 5}})
    result = world.search(["t::real", "t::flaky"])
    assert result.status is SearchStatus.FOUND
    assert result.files == (FILES[11],)
    assert result.flaky == ("t::flaky",)
    assert all(c.tests == ("t::real",) for c in result.culprits)


@pytest.mark.parametrize("max_runs", [1, 3, 7])
def test_max_runs_is_honoured(max_runs: int) -> None:
    world = World(FILES, {"t::a": [frozenset({FILES[29]})], "t::b": [frozenset({FILES[0]})]})
    result = world.search(["t::a", "t::b"], max_runs=max_runs)
    assert result.status is SearchStatus.GAVE_UP
    assert result.runs == max_runs == len(world.calls)
    assert "validate.max_runs" in result.reason and str(max_runs) in result.reason


def test_enough_runs_is_not_giving_up() -> None:
    world = World(FILES, {"t::a": [frozenset({FILES[29]})]})
    needed = world.search(["t::a"]).runs
    again = World(FILES, {"t::a": [frozenset({FILES[29]})]}).search(["t::a"], max_runs=needed)
    assert again.status is SearchStatus.FOUND and again.runs == needed


def test_a_run_without_a_verdict_stops_the_search() -> None:
    def probe(reverted: frozenset[str]) -> Trial:
        return Trial(frozenset({"t::a"})) if not reverted else Trial(frozenset(), problem="the tests timed out")

    result = find_culprits(FILES, ["t::a"], probe, max_runs=40)
    assert result.status is SearchStatus.GAVE_UP
    assert result.runs == 2
    assert "the tests timed out" in result.reason


def test_a_failure_that_no_file_causes_is_blamed_on_none() -> None:
    world = World(FILES, {}, always=["t::env"])
    result = world.search(["t::env"])
    assert result.status is SearchStatus.GAVE_UP
    assert result.culprits == ()
    assert "every changed file reverted" in result.reason
    assert world.calls[-1] == frozenset(FILES)
    assert result.runs <= lone_culprit_bound(30) + 1


def test_nothing_to_search() -> None:
    assert find_culprits([], ["t::a"], World([], {}).probe, max_runs=5).status is SearchStatus.GAVE_UP
    assert find_culprits(FILES, [], World(FILES, {}).probe, max_runs=5).runs == 0


def test_the_excerpt_is_the_failures_error_lines_and_where() -> None:
    out = _pytest_output(["tests/test_a.py::test_a"])
    assert excerpt(out, ["tests/test_a.py::test_a"]) == (
        "E       assert 2 == 1\nE        +  where 2 = compute()\ntests/test_a.py:7: AssertionError")


def test_the_excerpt_of_a_collection_error_and_a_missing_section() -> None:
    out = "\n".join([
        "==================================== ERRORS ====================================",
        "_______________________ ERROR collecting tests/test_b.py _______________________",
        "ImportError while importing test module '/repo/tests/test_b.py'.",
        "E   ImportError: cannot import name 'Engine' from 'pkg.engine'",
        "=========================== short test summary info ============================",
        "ERROR tests/test_b.py",
        "FAILED tests/test_c.py::TestX::test_y - KeyError: 'k'",
    ])
    assert excerpt(out, ["tests/test_b.py"]) == "E   ImportError: cannot import name 'Engine' from 'pkg.engine'"
    assert excerpt(out, ["tests/test_c.py::TestX::test_y"]) == "FAILED tests/test_c.py::TestX::test_y - KeyError: 'k'"
    assert excerpt("one\n\ntwo\nthree", ["t::gone"], lines=2) == "two\nthree"


def test_the_result_as_json() -> None:
    world = World(FILES, {"t::a": [frozenset({FILES[5]})]})
    data = world.search(["t::a"]).to_json()
    assert data["status"] == "found" and data["files"] == [FILES[5]] and data["candidates"] == 30
    assert data["culprits"][0]["tests"] == ["t::a"] and "assert 2 == 1" in data["culprits"][0]["excerpt"]


def test_the_excerpt_finds_a_section_whose_long_name_was_redacted() -> None:
    test = "tests/unit/test_stats.py::test_stats_add_up_across_engines_of_one_user"
    out = _pytest_output([test]).replace("test_stats_add_up_across_engines_of_one_user", "[redacted]")
    assert excerpt(out, [test]).startswith("E       assert 2 == 1")
    summary_only = "\n".join(line for line in out.splitlines() if line.startswith(("FAILED", "E ")))
    assert excerpt(summary_only, [test]) == "FAILED tests/unit/test_stats.py::[redacted] - assert 2 == 1"
    other = out.replace("[redacted]", "[redacted]_other")  # another test's section: not this one's
    assert excerpt(other, [test]) == "\n".join([line for line in other.splitlines() if line.strip()][-6:])


def _summary(search: CulpritSearch | None) -> str:
    files = tuple(FileCheck(f, 1, (), ()) for f in FILES[:3])
    report = ValidationReport("camp", "unit", files, (), None, {}, rollback=search)
    return render_summary(report, campaign_title="Move X")


def test_a_search_that_gave_up_says_why_and_names_what_it_had_found() -> None:
    found = Culprit((FILES[1],), ("t::a",), "E   boom")
    text = _summary(CulpritSearch(SearchStatus.GAVE_UP, (found,), runs=4, max_runs=4, candidates=30,
                                  reason="the search used its 4 test runs (validate.max_runs) before it could "
                                         "name every culprit"))
    assert "### Culprit search gave up\n\nthe search used its 4 test runs (validate.max_runs)" in text
    assert "### Culprits found before the search stopped (not rolled back)" in text
    assert f"| `{FILES[1]}` | `t::a` | `E boom` | `@migration-bot retry {FILES[1]}` |" in text
    assert "Culprit search: 4 test run(s) over 30 changed file(s) (a lone culprit takes at most 12; " \
           "`validate.max_runs`: 4)." in text
    assert "files rolled back" not in text


def test_no_search_no_section() -> None:
    assert "Culprit" not in _summary(None)
