"""The CLI's first hour: --version, --repo defaulting to `.`, a closed pipe, `check` inside a repository,
`validate` with nothing applied, and `app-manifest`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, main
from bot.gitops import run_git
from bot.manifest import app_manifest
from tests.unit.test_cli import CAMPAIGN, REPO

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for path, text in REPO.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    run_git(["init", "-q", "-b", "main"], cwd=root)
    run_git(["add", "-A"], cwd=root)
    run_git(["commit", "-q", "-m", "start"], cwd=root)
    return root


@pytest.fixture
def campaign(tmp_path: Path) -> Path:
    path = tmp_path / "campaign.yml"
    path.write_text(CAMPAIGN)
    return path


def _cli(*argv: str, cwd: Path, **kwargs: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bot.cli", *argv], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kwargs)  # type: ignore[call-overload]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == EXIT_OK
    assert capsys.readouterr().out.startswith("migration-bot ")


def test_repo_defaults_to_the_current_directory(campaign: Path, repo: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(repo)
    assert main(["plan", str(campaign), "--json"]) == EXIT_OK
    plan = json.loads(capsys.readouterr().out)
    assert {c["name"]: c["files"] for c in plan["categories"]}["unit"] == ["tests/unit/test_make.py"]


def test_apply_diff_into_a_closed_pipe_exits_quietly(campaign: Path, repo: Path) -> None:
    process = _cli("apply", str(campaign), "--diff", cwd=repo)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # `| head` that has already gone: every write to stdout now fails
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == EXIT_OK
    assert "repository error" not in err and "Broken pipe" not in err and "Traceback" not in err


def test_check_inside_a_repository_checks_the_globs(campaign: Path, repo: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(repo / "tests")  # anywhere inside it
    assert main(["check", str(campaign)]) == EXIT_OK
    assert "every glob matches files in" in capsys.readouterr().out
    (repo / "tests/e2e/test_kind.py").unlink()
    (repo / "tests/e2e/__init__.py").unlink()
    assert main(["check", str(campaign)]) == EXIT_USAGE
    assert "glob 'tests/e2e/**/*.py' matches no file" in capsys.readouterr().err


def test_check_outside_a_repository_checks_the_file_only(campaign: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert main(["check", str(campaign)]) == EXIT_OK
    assert "every glob" not in capsys.readouterr().out


def test_validate_after_apply_diff_says_nothing_was_applied(campaign: Path, repo: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apply", str(campaign), "--repo", str(repo), "--diff"]) == EXIT_OK
    capsys.readouterr()
    assert main(["validate", str(campaign), "--repo", str(repo), "--category", "unit"]) == EXIT_FINDINGS
    out = capsys.readouterr().out
    assert "nothing to validate" in out and "References left in it: 2" in out and "passed" not in out.lower()
    assert "tests/unit/test_make.py" in out
    assert main(["validate", str(campaign), "--repo", str(repo), "--category", "unit", "--json"]) == EXIT_FINDINGS
    assert json.loads(capsys.readouterr().out) == {"category": "unit", "applied": False, "references_left": 2,
                                                   "files": ["tests/unit/test_make.py"]}
    assert (repo / "tests/unit/test_make.py").read_text() == REPO["tests/unit/test_make.py"]


def test_app_manifest_for_a_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["app-manifest", "https://bots.example.org/migration/"]) == EXIT_OK
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["hook_attributes"]["url"] == "https://bots.example.org/migration/webhooks"
    assert manifest["redirect_url"] == "https://bots.example.org/migration/"
    assert manifest["default_permissions"]["workflows"] == "write"
    assert "administration" not in manifest["default_permissions"]
    assert "issues" in manifest["default_events"]  # the dashboard's checkboxes


def test_app_manifest_refuses_what_is_not_a_web_address(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["app-manifest", "bot.example.com"]) == EXIT_USAGE
    assert "not a web address" in capsys.readouterr().err


def test_the_deploy_manifest_is_the_generated_one() -> None:
    assert yaml.safe_load((DEPLOY / "app-manifest.yml").read_text()) == app_manifest("https://bot.example.com")
