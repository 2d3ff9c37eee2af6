"""bot.cli: each subcommand's exit code and output, on real directories and real git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import EXIT_FINDINGS, EXIT_OK, EXIT_REPO, EXIT_USAGE, main
from bot.gitops import run_git
from tests.campaigns import SYSTEM_SETUP, VENV_PYTEST, engine_move

CAMPAIGN = engine_move(("unit", 0, "tests/unit/**/*.py"), ("e2e", 1, "tests/e2e/**/*.py"), tests=VENV_PYTEST,
                       setup=SYSTEM_SETUP)
REPO = {
    "old_pkg/__init__.py": "",
    "old_pkg/engines.py": "class Engine:\n    kind = 'old'\n",
    "new_pkg/__init__.py": "",
    "new_pkg/engines.py": "class Engine:\n    kind = 'new'\n",
    "tests/__init__.py": "",
    "tests/unit/__init__.py": "",
    "tests/unit/test_make.py": "from old_pkg.engines import Engine\n\n\ndef test_make():\n    assert Engine()\n",
    "tests/e2e/__init__.py": "",
    "tests/e2e/test_kind.py": ("import old_pkg.engines\n\n\ndef test_kind():\n"
                               "    assert old_pkg.engines.Engine.kind == 'old'\n"),
}


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


def test_check_accepts_a_good_campaign(campaign: Path, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(campaign), "--repo", str(repo)]) == EXIT_OK
    assert "'engine-move' is valid" in capsys.readouterr().out


def test_check_names_file_line_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(CAMPAIGN.replace("  - move: old_pkg.engines.Engine", "  - mvoe: old_pkg.engines.Engine"))
    assert main(["check", str(bad)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert f"{bad}:4: rules[0]" in err
    assert "Traceback" not in err


def test_check_reports_a_glob_that_matches_nothing(campaign: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["check", str(campaign), "--repo", str(tmp_path / "empty")]) == EXIT_USAGE
    assert "matches no file" in capsys.readouterr().err


def test_plan_json(campaign: Path, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(campaign), "--repo", str(repo), "--json"]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"categories", "unassigned"}
    assert [(c["name"], c["priority"], c["files"]) for c in data["categories"]] == [
        ("unit", 0, ["tests/unit/test_make.py"]), ("e2e", 1, ["tests/e2e/test_kind.py"])]
    assert all(set(c) == {"name", "priority", "files", "references"} for c in data["categories"])
    assert all(c["references"] >= 1 for c in data["categories"])
    assert all(not p.startswith("tests/") for p in data["unassigned"])


def test_plan_table(campaign: Path, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(campaign), "--repo", str(repo)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "tests/unit/test_make.py" in out and "unassigned" in out


def test_apply_diff_writes_nothing(campaign: Path, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {p: (repo / p).read_bytes() for p in REPO}
    assert main(["apply", str(campaign), "--repo", str(repo), "--diff"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "+++ b/tests/unit/test_make.py" in out
    assert "+from new_pkg.engines import Engine" in out
    assert {p: (repo / p).read_bytes() for p in REPO} == before


def test_apply_one_category_then_nothing_left_to_do(campaign: Path, repo: Path) -> None:
    assert main(["apply", str(campaign), "--repo", str(repo), "--category", "unit"]) == EXIT_OK
    assert "new_pkg" in (repo / "tests/unit/test_make.py").read_text()
    assert (repo / "tests/e2e/test_kind.py").read_text() == REPO["tests/e2e/test_kind.py"]
    assert run_git(["diff", "--name-only"], cwd=repo).split() == ["tests/unit/test_make.py"]
    assert main(["apply", str(campaign), "--repo", str(repo), "--category", "unit"]) == EXIT_OK
    assert run_git(["diff", "--name-only"], cwd=repo).split() == ["tests/unit/test_make.py"]


def test_apply_reports_a_file_that_does_not_parse(campaign: Path, repo: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "tests/unit/test_broken.py").write_text("from old_pkg.engines import Engine\ndef f(:\n")
    assert main(["apply", str(campaign), "--repo", str(repo)]) == EXIT_FINDINGS
    assert "tests/unit/test_broken.py" in capsys.readouterr().out
    assert "new_pkg" in (repo / "tests/unit/test_make.py").read_text()


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["apply", "{campaign}", "--repo", "{missing}"], EXIT_REPO, "not a directory"),
        (["apply", "{campaign}", "--repo", "{repo}", "--category", "nope"], EXIT_USAGE, "no category 'nope'"),
        (["plan", "{missing}", "--repo", "{repo}"], EXIT_USAGE, "cannot read the file"),
        (["validate", "{campaign}", "--repo", "{plain}", "--category", "unit"], EXIT_REPO, "repository error"),
        (["frobnicate"], EXIT_USAGE, "invalid choice"),
    ],
)
def test_errors_have_stable_exit_codes(argv: list[str], code: int, message: str, campaign: Path, repo: Path,
                                       tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "plain").mkdir()
    names = {"campaign": campaign, "repo": repo, "missing": tmp_path / "missing", "plain": tmp_path / "plain"}
    assert main([a.format(**names) for a in argv]) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_validate_passes_a_clean_category(campaign: Path, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apply", str(campaign), "--repo", str(repo), "--category", "unit"]) == EXIT_OK
    capsys.readouterr()
    assert main(["validate", str(campaign), "--repo", str(repo), "--category", "unit", "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert [f["path"] for f in report["files"]] == ["tests/unit/test_make.py"]
    assert report["tests"]["new_failures"] == []
    assert report["tests"]["status"] == "passed"
    assert report["tests"]["baseline"]["exit_code"] == 0
    assert report["tests"]["counts"]["after"] == {"collected": 1, "passed": 1, "failed": 0, "errors": 0,
                                                  "skipped": 0}
    assert report["remaining"]["unit"] == 0 and report["remaining"]["e2e"] >= 1


def test_validate_catches_the_test_the_change_breaks(campaign: Path, repo: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apply", str(campaign), "--repo", str(repo), "--category", "e2e"]) == EXIT_OK
    capsys.readouterr()
    assert main(["validate", str(campaign), "--repo", str(repo), "--category", "e2e"]) == EXIT_FINDINGS
    summary = capsys.readouterr().out
    assert "## Move the engine: `e2e`" in summary
    assert "`tests/e2e/test_kind.py::test_kind`" in summary


def test_validate_in_the_sandbox_says_so(campaign: Path, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apply", str(campaign), "--repo", str(repo), "--category", "unit"]) == EXIT_OK
    capsys.readouterr()
    code = main(["validate", str(campaign), "--repo", str(repo), "--category", "unit", "--json", "--sandbox"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, out
    assert "running the tests (bwrap)" in err
    assert json.loads(out)["tests"]["status"] == "passed"


def test_validate_runs_plain_by_default_and_a_run_that_did_not_happen_fails(
    tmp_path: Path, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = tmp_path / "missing-runner.yml"
    campaign.write_text(engine_move(("unit", 0, "tests/unit/**/*.py"), tests="no-such-runner-xyz {files}",
                                    setup=SYSTEM_SETUP))
    assert main(["apply", str(campaign), "--repo", str(repo), "--category", "unit"]) == EXIT_OK
    capsys.readouterr()
    assert main(["validate", str(campaign), "--repo", str(repo), "--category", "unit", "--json"]) == EXIT_FINDINGS
    out, err = capsys.readouterr()
    assert "running the tests (plain subprocess)" in err
    tests = json.loads(out)["tests"]
    assert tests["status"] == "not_run" and "no-such-runner-xyz" in tests["reason"]


def test_validate_without_a_test_command_is_not_configured(tmp_path: Path, repo: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    campaign = tmp_path / "no-tests.yml"
    campaign.write_text(engine_move(("unit", 0, "tests/unit/**/*.py")))
    assert main(["apply", str(campaign), "--repo", str(repo), "--category", "unit"]) == EXIT_OK
    capsys.readouterr()
    assert main(["validate", str(campaign), "--repo", str(repo), "--category", "unit"]) == EXIT_OK
    assert "Status: **not_configured**" in capsys.readouterr().out
