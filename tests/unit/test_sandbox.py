"""bot.sandbox: a hostile conftest.py in the bubblewrap sandbox sees no secret, reaches nothing, leaves nothing.

bwrap must be installed (Debian package `bubblewrap`; `.ci/run` installs it): a missing bwrap fails these
tests with that message, it never skips them.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

from bot import sandbox
from bot.campaign.load import parse_campaign
from bot.campaign.spec import Validation
from bot.engine.validate import TestStatus
from bot.sandbox import BWRAP_PACKAGE, BwrapRunner, Mounts, NoSandbox, PlainRunner
from bot.testrun import TestSetup, compare_tests
from tests.campaigns import SYSTEM_SETUP, VENV_PYTEST, engine_move
from tests.fake_github.server import FakeGitHub
from tests.redis_db import private_url

SECRET = "ghs_" + "S3cr3tW0rk3rT0k3n" * 2

HOSTILE_CONFTEST = '''
import json, os, pathlib, socket

def _connects(host, port):
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False

def _readable(path):
    try:
        return pathlib.Path(path).read_text(errors="replace")
    except OSError:
        return ""

def pytest_sessionstart(session):
    targets = json.loads(pathlib.Path("targets.json").read_text())
    seen = [json.dumps(dict(os.environ))]
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            seen.append(_readable(f"/proc/{pid}/environ"))
            seen.append(_readable(f"/proc/{pid}/cmdline"))
    seen.append(_readable(targets["key_file"]))
    seen.append(_readable(targets["workdir_file"]))
    found = {
        "secret_seen": any(targets["secret"] in text for text in seen),
        "key_seen": any("PRIVATE KEY" in text for text in seen),
        "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "redis": _connects("127.0.0.1", targets["redis_port"]),
        "github": _connects("127.0.0.1", targets["github_port"]),
        "home": os.environ.get("HOME"),
        "uid": os.getuid(),
        "bot_files": os.path.exists(targets["workdir_file"]),
    }
    pathlib.Path("findings.json").write_text(json.dumps(found))
    pathlib.Path("written-by-tests.txt").write_text("junk")
'''


@pytest.fixture(scope="module")
def bwrap() -> str:
    problem = sandbox.bwrap_problem()
    assert problem is None, f"the sandbox tests need bwrap (Debian package {BWRAP_PACKAGE!r}): {problem}"
    return "bwrap"


def test_bwrap_missing_names_the_package(tmp_path: Path) -> None:
    problem = sandbox.bwrap_problem(str(tmp_path / "no-bwrap"))
    assert problem is not None and BWRAP_PACKAGE in problem


def test_hostile_conftest_sees_no_secret_and_reaches_nothing(
    bwrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_github: FakeGitHub
) -> None:
    key_file = tmp_path / "workdir" / "app.pem"
    key_file.parent.mkdir()
    key_file.write_text("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n")
    monkeypatch.setenv("GITHUB_TOKEN", SECRET)
    monkeypatch.setenv("GITHUB_PRIVATE_KEY_PATH", str(key_file))
    redis_port = urlparse(private_url(0)).port
    github_port = urlparse(fake_github.api_url).port
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "conftest.py").write_text(HOSTILE_CONFTEST)
    (repo / "test_a.py").write_text("def test_ok():\n    assert True\n")
    (repo / "targets.json").write_text(json.dumps({
        "secret": SECRET, "key_file": str(key_file), "workdir_file": str(key_file),
        "redis_port": redis_port, "github_port": github_port}))
    validation = _validation()
    setup = TestSetup(BwrapRunner(), tmp_path / "workdir" / "venvs")
    comparison = compare_tests(validation, ["test_a.py"], after=repo, before=None, setup=setup)
    assert comparison is not None and comparison.status is TestStatus.PASSED, comparison.to_json()
    found = json.loads((repo / "findings.json").read_text())
    assert found["secret_seen"] is False
    assert found["key_seen"] is False
    assert found["bot_files"] is False
    assert found["redis"] is False and found["github"] is False
    assert found["pids"][0] == 1 and len(found["pids"]) < 10  # its own PID namespace: no worker process
    assert found["home"] == "/tmp/home"
    assert found["uid"] != 0
    # the same probes from outside the sandbox do reach them: the test would catch a leak
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in ("conftest.py", "test_a.py", "targets.json"):
        (plain / name).write_text((repo / name).read_text())
    compare_tests(validation, ["test_a.py"], after=plain, before=None,
                  setup=TestSetup(PlainRunner(), tmp_path / "plain-venvs"))
    outside = json.loads((plain / "findings.json").read_text())
    assert outside["redis"] is True and outside["github"] is True and outside["key_seen"] is True


def test_a_timeout_kills_the_whole_sandbox(bwrap: str, tmp_path: Path) -> None:
    marker = f"sandboxed-{uuid.uuid4().hex}"
    sleeper = "python -c 'import time; time.sleep(300)' " + marker
    script = f"{sleeper} & (setsid {sleeper} &) ; (nohup {sleeper} >/dev/null 2>&1 &) ; sleep 1; echo up; {sleeper}"
    started = time.monotonic()
    result = BwrapRunner().run(["/bin/sh", "-c", script], Mounts(tmp_path), timeout=3)
    assert result.timed_out and "up" in result.output
    assert time.monotonic() - started < 20
    time.sleep(0.5)
    assert marker not in _processes()


def test_network_is_off_for_tests_and_on_for_setup(bwrap: str, tmp_path: Path) -> None:
    probe = ["python", "-c", "import socket; print(' '.join(sorted(n for _, n in socket.if_nameindex())))"]
    host = sorted(name for _, name in socket.if_nameindex())
    off = BwrapRunner().run(probe, Mounts(tmp_path), timeout=20, network=False)
    on = BwrapRunner().run(probe, Mounts(tmp_path), timeout=20, network=True)
    assert off.output.split() == ["lo"]  # only a loopback of its own
    assert on.output.split() == host


def test_the_environment_is_cleared(bwrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", SECRET)
    result = BwrapRunner().run(["/usr/bin/env"], Mounts(tmp_path), timeout=20)
    names = {line.split("=", 1)[0] for line in result.output.splitlines() if "=" in line}
    assert SECRET not in result.output
    assert names <= {"PATH", "HOME", "TMPDIR", "LANG", "PYTHONDONTWRITEBYTECODE", "PIP_DISABLE_PIP_VERSION_CHECK",
                     "PYTHONUNBUFFERED", "VIRTUAL_ENV", "PWD"}


def test_the_system_is_read_only_and_the_clone_writable(bwrap: str, tmp_path: Path) -> None:
    script = "touch /usr/x 2>/dev/null && echo usr-writable; touch /repo/ok && echo repo-writable"
    result = BwrapRunner().run(["/bin/sh", "-c", script], Mounts(tmp_path), timeout=20)
    assert "usr-writable" not in result.output and "repo-writable" in result.output
    assert (tmp_path / "ok").is_file()


def test_the_output_kept_is_capped(bwrap: str, tmp_path: Path) -> None:
    result = BwrapRunner().run(["/bin/sh", "-c", "yes line | head -c 3000000; echo END"], Mounts(tmp_path), 30)
    assert len(result.output) <= sandbox.OUTPUT_CAP and result.output.endswith("END\n")


def test_no_sandbox_runs_nothing(tmp_path: Path) -> None:
    result = NoSandbox().run(["/bin/sh", "-c", "touch /tmp/should-not"], Mounts(tmp_path), 5)
    assert not result.started and result.output == sandbox.NO_SANDBOX


def test_worker_runner_follows_the_configured_mode() -> None:
    try:
        sandbox.configure("none")
        assert isinstance(sandbox.worker_runner(), PlainRunner)
        assert "unsandboxed" in sandbox.describe_mode()
        sandbox.configure("bwrap")
        assert isinstance(sandbox.worker_runner(), BwrapRunner)
        assert sandbox.describe_mode() == "bwrap"
        with pytest.raises(ValueError, match="docker"):
            sandbox.configure("docker")
    finally:
        sandbox.configure("bwrap")


def _validation() -> Validation:
    text = engine_move(("unit", 0, "**/*.py"), tests=VENV_PYTEST, setup=SYSTEM_SETUP, timeout=60)
    return parse_campaign(text, source="c.yml").validate


def _processes() -> str:
    return subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, env={**os.environ}).stdout



def test_a_runtime_under_tmp_stays_visible_beside_the_private_tmp(bwrap: str, tmp_path: Path) -> None:
    """The bot may run from a venv under /tmp (a fresh clone's venv): the sandbox's own /tmp must not hide it."""
    runtime = tmp_path / "venv"
    (runtime / "bin").mkdir(parents=True)
    tool = runtime / "bin" / "tool"
    tool.write_text("#!/bin/sh\necho runtime-visible\n")
    tool.chmod(0o755)
    repo = tmp_path / "repo"
    repo.mkdir()
    result = BwrapRunner(runtime=(str(runtime),)).run([str(tool)], Mounts(repo), timeout=20)
    assert result.exit_code == 0 and "runtime-visible" in result.output, result.output
    leaked = BwrapRunner(runtime=(str(runtime),)).run(["/bin/sh", "-c", f"ls {tmp_path}"], Mounts(repo), timeout=20)
    assert leaked.output.split() == ["venv"]  # the rest of the host's /tmp (the clone's parent) stays hidden
