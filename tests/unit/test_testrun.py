"""bot.testrun: argv building, pytest summary parsing, and real pytest runs in a clean environment."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from bot.testrun import (
    NOT_STARTED,
    clean_environment,
    command_argv,
    compare_tests,
    failed_node_ids,
    run_tests,
)

PYTEST = f"{shlex.quote(sys.executable)} -m pytest -q -p no:cacheprovider {{files}}"


@pytest.mark.parametrize(
    ("template", "files", "expected"),
    [
        ("python -m pytest -q {files}", ["a.py", "b.py"], ["python", "-m", "pytest", "-rfE", "-q", "a.py", "b.py"]),
        ("pytest -ra {files}", ["a.py"], ["pytest", "-ra", "a.py"]),
        ("pytest -rs {files}", ["a.py"], ["pytest", "-rsfE", "a.py"]),
        ("/venv/bin/pytest {files}", [], ["/venv/bin/pytest", "-rfE"]),
        ("tox -e py -- {files}", ["a.py"], ["tox", "-e", "py", "--", "a.py"]),
        ("runner --files={files}", ["a.py", "b.py"], ["runner", "--files=a.py b.py"]),
        ("python -m pytest 'dir with space/{files}'", ["x"], ["python", "-m", "pytest", "-rfE", "dir with space/x"]),
    ],
)
def test_command_argv(template: str, files: list[str], expected: list[str]) -> None:
    assert command_argv(template, files) == expected


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("FAILED tests/test_a.py::test_x - assert 1 == 2\n", {"tests/test_a.py::test_x"}),
        ("ERROR tests/test_b.py - ImportError: no module\n", {"tests/test_b.py"}),
        ("FAILED t.py::test_p[a - b] - ValueError\n", {"t.py::test_p[a - b]"}),
        ("FAILED t.py::T::test_m\n", {"t.py::T::test_m"}),
        ("t.py::test_x FAILED\n1 failed in 0.1s\n", set()),
        ("=== short test summary info ===\nFAILED a.py::x - boom\nERROR b.py::y - E\n", {"a.py::x", "b.py::y"}),
    ],
)
def test_failed_node_ids(output: str, expected: set[str]) -> None:
    assert failed_node_ids(output) == expected


def test_clean_environment_keeps_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_TOKEN", "GITHUB_WEBHOOK_SECRET", "MY_API_KEY", "REDIS_URL", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "s3cr3t")
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    env = clean_environment()
    assert "s3cr3t" not in env.values()
    assert env["PYTHONPATH"] == "/somewhere"
    assert set(env) <= {"PATH", "HOME", "LANG", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE"}


def _project(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def test_run_tests_names_failures_and_sees_no_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_secret")
    project = _project(tmp_path, {
        "test_env.py": "import os\n\ndef test_no_token():\n    assert 'GITHUB_TOKEN' not in os.environ\n",
        "test_mixed.py": "def test_ok():\n    pass\n\ndef test_bad():\n    assert 1 == 2\n",
    })
    outcome = run_tests(PYTEST, ["test_env.py", "test_mixed.py"], project, timeout=60)
    assert outcome.exit_code == 1
    assert outcome.failed == {"test_mixed.py::test_bad"}
    assert not outcome.timed_out
    assert "1 failed" in outcome.output_tail


def test_run_tests_times_out(tmp_path: Path) -> None:
    project = _project(tmp_path, {"test_slow.py": "import time\n\ndef test_slow():\n    time.sleep(30)\n"})
    outcome = run_tests(PYTEST, ["test_slow.py"], project, timeout=2)
    assert outcome.timed_out
    assert outcome.unexplained


def test_run_tests_reports_a_missing_command(tmp_path: Path) -> None:
    outcome = run_tests("no-such-command-xyz {files}", ["a.py"], tmp_path, timeout=5)
    assert outcome.exit_code == NOT_STARTED
    assert "no-such-command-xyz" in outcome.output_tail


def test_compare_tests_counts_only_new_failures(tmp_path: Path) -> None:
    before = _project(tmp_path / "before", {
        "test_a.py": "def test_always_broken():\n    assert False\n\ndef test_fine():\n    assert True\n",
    })
    after = _project(tmp_path / "after", {
        "test_a.py": "def test_always_broken():\n    assert False\n\ndef test_fine():\n    assert False\n",
    })
    comparison = compare_tests(PYTEST, ["test_a.py"], after, 60, baseline_cwd=before)
    assert comparison.baseline is not None
    assert comparison.baseline.failed == {"test_a.py::test_always_broken"}
    assert comparison.new_failures == {"test_a.py::test_fine"}
    assert not comparison.ok


def test_compare_tests_tolerates_a_failure_that_was_there_before(tmp_path: Path) -> None:
    files = {"test_a.py": "def test_always_broken():\n    assert False\n"}
    comparison = compare_tests(PYTEST, ["test_a.py"], _project(tmp_path / "after", files), 60,
                               baseline_cwd=_project(tmp_path / "before", files))
    assert comparison.new_failures == frozenset()
    assert comparison.ok
