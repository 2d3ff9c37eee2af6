"""bot.testrun: the verdict of real test runs (plain subprocess), every not_run shape, counts from JUnit XML."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from bot.campaign.load import parse_campaign
from bot.campaign.spec import Validation
from bot.engine.validate import Counts, TestComparison, TestStatus
from bot.sandbox import NO_SANDBOX, NoSandbox, PlainRunner
from bot.testrun import TestSetup, command_argv, compare_tests, read_junit, test_files
from tests.campaigns import SYSTEM_SETUP, VENV_PYTEST, engine_move

PASSING = "def test_ok():\n    assert True\n\ndef test_also_ok():\n    assert 1 + 1 == 2\n"


def _validation(tests: str = VENV_PYTEST, *, setup: tuple[str, ...] | None = SYSTEM_SETUP,
                select: str | None = None, timeout: int = 60) -> Validation:
    text = engine_move(("unit", 0, "**/*.py"), tests=tests, timeout=timeout, setup=setup, select=select)
    return parse_campaign(text, source="c.yml").validate


def _project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    root.mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture
def setup(tmp_path: Path) -> TestSetup:
    return TestSetup(PlainRunner(), tmp_path / "venvs", setup_timeout=120)


def _compare(tmp_path: Path, setup: TestSetup, before: dict[str, str], after: dict[str, str],
             validation: Validation | None = None, changed: tuple[str, ...] = ("test_a.py",)) -> TestComparison:
    comparison = compare_tests(validation or _validation(), list(changed),
                               after=_project(tmp_path / "after", after),
                               before=_project(tmp_path / "before", before), setup=setup)
    assert comparison is not None
    return comparison


@pytest.mark.parametrize(
    ("template", "files", "expected"),
    [
        ("python -m pytest -q {files}", ["a.py", "b.py"],
         ["python", "-m", "pytest", "--junitxml=/out/j.xml", "-o", "junit_family=xunit1", "-q", "a.py", "b.py"]),
        ("/venv/bin/pytest {files}", [], ["/venv/bin/pytest", "--junitxml=/out/j.xml", "-o", "junit_family=xunit1"]),
        ("tox -e py -- {files}", ["a.py"], ["tox", "-e", "py", "--", "a.py"]),
        ("runner --files={files}", ["a.py", "b.py"], ["runner", "--files=a.py b.py"]),
        ("make test", ["a.py"], ["make", "test"]),
    ],
)
def test_command_argv(template: str, files: list[str], expected: list[str]) -> None:
    assert command_argv(template, files, junit=Path("/out/j.xml")) == expected


def test_a_clean_run_passes_with_its_counts(tmp_path: Path, setup: TestSetup) -> None:
    files = {"test_a.py": PASSING + "import pytest\n\n@pytest.mark.skip\ndef test_skipped():\n    pass\n"}
    comparison = _compare(tmp_path, setup, files, files)
    assert comparison.status is TestStatus.PASSED
    assert comparison.after is not None and comparison.baseline is not None
    assert comparison.after.counts == Counts(collected=3, passed=2, failed=0, errors=0, skipped=1)
    assert comparison.to_json()["counts"]["before"] == {"collected": 3, "passed": 2, "failed": 0,
                                                        "errors": 0, "skipped": 1}


def test_a_real_new_failure_is_named(tmp_path: Path, setup: TestSetup) -> None:
    before = {"test_a.py": "def test_always_broken():\n    assert False\n\nclass TestX:\n"
                           "    def test_fine(self):\n        assert True\n"}
    after = {"test_a.py": "def test_always_broken():\n    assert False\n\nclass TestX:\n"
                          "    def test_fine(self):\n        assert False\n"}
    comparison = _compare(tmp_path, setup, before, after)
    assert comparison.status is TestStatus.FAILED
    assert comparison.new_failures == {"test_a.py::TestX::test_fine"}
    assert comparison.baseline is not None and comparison.baseline.failed == {"test_a.py::test_always_broken"}
    assert comparison.after is not None and comparison.after.counts == Counts(2, 0, 2, 0, 0)


def test_pytest_absent_from_the_environment_is_not_run(tmp_path: Path, setup: TestSetup) -> None:
    bare = (f"{sys.executable} -m venv --without-pip {{venv}}",)  # a venv with no pytest in it
    comparison = _compare(tmp_path, setup, {"test_a.py": PASSING}, {"test_a.py": PASSING}, _validation(setup=bare))
    assert comparison.status is TestStatus.NOT_RUN
    assert "pytest wrote no test report" in comparison.status_reason
    assert comparison.after is not None and "No module named pytest" in comparison.after.output_tail


def test_a_missing_runner_is_not_run(tmp_path: Path, setup: TestSetup) -> None:
    comparison = _compare(tmp_path, setup, {"test_a.py": PASSING}, {"test_a.py": PASSING},
                          _validation("no-such-runner-xyz {files}"))
    assert comparison.status is TestStatus.NOT_RUN
    assert "could not start" in comparison.status_reason and "no-such-runner-xyz" in comparison.status_reason


def test_the_same_collection_error_before_and_after_is_not_run(tmp_path: Path, setup: TestSetup) -> None:
    files = {"conftest.py": "import module_that_is_not_installed\n", "test_a.py": PASSING}
    comparison = _compare(tmp_path, setup, files, files)
    assert comparison.status is TestStatus.NOT_RUN
    assert "usage error" in comparison.status_reason  # pytest exits 4 when a conftest.py does not import
    files = {"test_a.py": "import module_that_is_not_installed\n" + PASSING}
    comparison = _compare(tmp_path / "2", setup, files, files)
    assert comparison.status is TestStatus.NOT_RUN
    assert "collection" in comparison.status_reason
    assert comparison.baseline is not None and not comparison.baseline.ran


def test_nothing_collected_is_not_run(tmp_path: Path, setup: TestSetup) -> None:
    files = {"test_a.py": "def helper():\n    pass\n"}
    comparison = _compare(tmp_path, setup, files, files)
    assert comparison.status is TestStatus.NOT_RUN
    assert "collected no test" in comparison.status_reason


def test_every_test_skipped_is_not_run(tmp_path: Path, setup: TestSetup) -> None:
    files = {"test_a.py": "import pytest\n\npytestmark = pytest.mark.skip('later')\n\n" + PASSING}
    comparison = _compare(tmp_path, setup, files, files)
    assert comparison.status is TestStatus.NOT_RUN
    assert "every test was skipped (2)" in comparison.status_reason


def test_a_timeout_is_not_run_and_leaves_no_grandchild(tmp_path: Path, setup: TestSetup) -> None:
    marker = f"grandchild-{uuid.uuid4().hex}"
    slow = ("import subprocess, sys, time\n\ndef test_slow():\n"
            f"    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)', '{marker}'])\n"
            "    time.sleep(120)\n")
    started = time.monotonic()
    comparison = compare_tests(_validation(timeout=3), ["test_a.py"], after=_project(tmp_path, {"test_a.py": slow}),
                               before=None, setup=setup)
    assert comparison is not None and comparison.status is TestStatus.NOT_RUN
    assert comparison.after is not None and comparison.after.timed_out
    assert "timed out" in comparison.status_reason
    assert time.monotonic() - started < 60
    time.sleep(0.5)
    assert marker not in _processes()


def test_another_runner_is_judged_by_its_exit_code_counts_unknown(tmp_path: Path, setup: TestSetup) -> None:
    validation = _validation("sh check.sh")
    before = {"check.sh": "exit 0\n", "test_a.py": ""}
    after = {"check.sh": "echo broken; exit 3\n", "test_a.py": ""}
    comparison = _compare(tmp_path, setup, before, after, validation)
    assert comparison.status is TestStatus.FAILED
    assert comparison.after is not None and comparison.after.counts is None
    assert comparison.to_json()["counts"] == {"before": None, "after": None}
    same = _compare(tmp_path / "2", setup, after, after, validation)
    assert same.status is TestStatus.NOT_RUN  # failing before and after: no report to tell more


def test_no_sandbox_runs_nothing(tmp_path: Path) -> None:
    comparison = compare_tests(_validation(), ["test_a.py"], after=_project(tmp_path, {"test_a.py": PASSING}),
                               before=None, setup=TestSetup(NoSandbox(), tmp_path / "venvs"))
    assert comparison is not None and comparison.status is TestStatus.NOT_RUN
    assert comparison.status_reason == NO_SANDBOX
    assert not (tmp_path / "venvs").exists()


def test_no_test_command_is_not_configured(tmp_path: Path, setup: TestSetup) -> None:
    assert compare_tests(Validation(), ["test_a.py"], after=tmp_path, before=None, setup=setup) is None


def test_a_category_without_test_files_still_runs_tests(tmp_path: Path, setup: TestSetup) -> None:
    files = {"pkg/mod.py": "X = 1\n", "tests/test_mod.py": "def test_x():\n    assert True\n",
             "other/test_other.py": "def test_y():\n    assert True\n"}
    whole = _compare(tmp_path / "whole", setup, files, files, changed=("pkg/mod.py",))
    assert whole.files == () and whole.status is TestStatus.PASSED
    assert whole.after is not None and whole.after.counts is not None and whole.after.counts.collected == 2
    selected = _compare(tmp_path / "sel", setup, files, files, _validation(select="tests/**/test_*.py"),
                        changed=("pkg/mod.py",))
    assert selected.files == ("tests/test_mod.py",)
    assert selected.after is not None and selected.after.counts == Counts(1, 1, 0, 0, 0)


def test_test_files_prefers_the_changed_test_files(tmp_path: Path) -> None:
    _project(tmp_path, {"tests/test_a.py": "", "tests/test_b.py": ""})
    validation = _validation(select="tests/*.py")
    assert test_files(validation, ["tests/test_b.py", "pkg/x.py"], tmp_path) == ["tests/test_b.py"]
    assert test_files(validation, ["pkg/x.py"], tmp_path) == ["tests/test_a.py", "tests/test_b.py"]


def test_the_environment_is_made_once_and_cached(tmp_path: Path, setup: TestSetup) -> None:
    files = {"test_a.py": PASSING}
    _compare(tmp_path / "1", setup, files, files)
    venvs = list(setup.venv_cache.iterdir())
    assert len(venvs) == 1 and (venvs[0] / ".ready").is_file()
    stamp = (venvs[0] / ".ready").stat().st_mtime_ns
    _compare(tmp_path / "2", setup, files, files)
    assert list(setup.venv_cache.iterdir()) == venvs
    assert (venvs[0] / ".ready").stat().st_mtime_ns == stamp


def test_a_failing_setup_is_not_run_and_not_cached(tmp_path: Path, setup: TestSetup) -> None:
    files = {"test_a.py": PASSING}
    comparison = _compare(tmp_path, setup, files, files, _validation(setup=("sh -c 'echo nope; exit 7'",)))
    assert comparison.status is TestStatus.NOT_RUN
    assert "could not be made" in comparison.status_reason and "exit 7" in comparison.status_reason
    assert list(setup.venv_cache.iterdir()) == []


def test_read_junit_of_an_absent_or_broken_report(tmp_path: Path) -> None:
    assert read_junit(tmp_path / "none.xml") is None
    (tmp_path / "bad.xml").write_text("<testsuites><testcase")
    assert read_junit(tmp_path / "bad.xml") is None


def test_secrets_do_not_reach_a_plain_run(tmp_path: Path, setup: TestSetup, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_secret_value")
    files = {"test_a.py": "import os\n\ndef test_env():\n    assert 'ghs_secret_value' not in os.environ.values()\n"}
    assert _compare(tmp_path, setup, files, files).status is TestStatus.PASSED


def _processes() -> str:
    return subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, env={**os.environ}).stdout
