"""Run a category's tests in a subprocess with a clean environment, and read pytest's failing node ids."""

from __future__ import annotations

import logging
import os
import re
import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path

from bot.engine.validate import TestComparison, TestOutcome

log = logging.getLogger(__name__)

FILES_PLACEHOLDER = "{files}"
#: the only variables a test run inherits; tokens and secrets never reach it
KEPT_VARIABLES = ("PATH", "HOME", "LANG", "PYTHONPATH")
_SECRET_RE = re.compile(r"TOKEN|SECRET|KEY|PASSWORD|^GITHUB_", re.IGNORECASE)
TAIL_LINES = 40
#: exit code reported when the command cannot be started at all
NOT_STARTED = 127


def run_tests(command_template: str, files: Sequence[str], cwd: Path, timeout: int) -> TestOutcome:
    """Runs the command (no shell) with `{files}` replaced by `files`; never raises for a failing run.

    A run that outlives `timeout` seconds is killed and comes back with timed_out=True.
    """
    argv = command_argv(command_template, files)
    log.info("running tests", extra={"cwd": str(cwd), "argv": argv})
    try:
        proc = subprocess.run(argv, cwd=cwd, env=clean_environment(), capture_output=True, text=True,
                              errors="replace", timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as expired:
        return TestOutcome(-1, frozenset(), timed_out=True, output_tail=_tail(_text(expired.stdout)))
    except OSError as error:
        return TestOutcome(NOT_STARTED, frozenset(), output_tail=f"cannot run {argv[0]!r}: {error}")
    output = proc.stdout + proc.stderr
    return TestOutcome(proc.returncode, failed_node_ids(proc.stdout), output_tail=_tail(output))


def compare_tests(command_template: str, files: Sequence[str], cwd: Path, timeout: int, *,
                  baseline_cwd: Path | None = None) -> TestComparison:
    """Runs the tests in `baseline_cwd` (the code before the change, when given) and then in `cwd`.

    Only files that exist in the baseline checkout are passed to the baseline run.
    """
    baseline = None
    if baseline_cwd is not None:
        before = [f for f in files if (Path(baseline_cwd) / f).is_file()]
        baseline = run_tests(command_template, before, Path(baseline_cwd), timeout)
    after = run_tests(command_template, files, Path(cwd), timeout)
    return TestComparison(baseline, after, tuple(files))


def is_test_file(path: str) -> bool:
    """pytest's default naming: test_*.py or *_test.py."""
    name = path.rsplit("/", 1)[-1]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def command_argv(template: str, files: Sequence[str]) -> list[str]:
    """The argv: the template split like a shell would (but run without one), `{files}` expanded.

    A pytest command gets `-rfE` so its short summary names every failing test.
    """
    argv: list[str] = []
    for token in shlex.split(template):
        if token == FILES_PLACEHOLDER:
            argv.extend(files)
        else:
            argv.append(token.replace(FILES_PLACEHOLDER, " ".join(files)))
    return _with_summary(argv)


def _with_summary(argv: list[str]) -> list[str]:
    position = _pytest_position(argv)
    if position is None:
        return argv
    for i, token in enumerate(argv[position:], start=position):
        if token.startswith("-r") and len(token) > 2:
            chars = token[2:]
            if not ({"a", "A"} & set(chars)):
                argv[i] = token + "".join(c for c in "fE" if c not in chars)
            return argv
    return [*argv[:position], "-rfE", *argv[position:]]


def _pytest_position(argv: list[str]) -> int | None:
    """Index just after the token that starts pytest, or None when this is not a pytest command."""
    for i, token in enumerate(argv):
        if token == "pytest" or token.endswith(("/pytest", "/py.test")) or token == "py.test":
            return i + 1
        if token == "-m" and i + 1 < len(argv) and argv[i + 1] == "pytest":
            return i + 2
    return None


def clean_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in KEPT_VARIABLES and not _SECRET_RE.search(k)}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # keep the working tree clean of caches
    return env


def failed_node_ids(output: str) -> frozenset[str]:
    """Node ids from the `FAILED nodeid - reason` / `ERROR nodeid - reason` lines of pytest's summary."""
    found: set[str] = set()
    for line in output.splitlines():
        for prefix in ("FAILED ", "ERROR "):
            if line.startswith(prefix):
                node = _node_id(line[len(prefix):])
                if node:
                    found.add(node)
    return frozenset(found)


def _node_id(rest: str) -> str:
    """The node id ends at the first " - " outside brackets (parametrize ids may contain " - ")."""
    depth = 0
    for i, char in enumerate(rest):
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        elif depth == 0 and rest.startswith(" - ", i):
            return rest[:i].strip()
    return rest.strip()


def _text(data: str | bytes | None) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data or ""


def _tail(output: str) -> str:
    return "\n".join(output.splitlines()[-TAIL_LINES:])
