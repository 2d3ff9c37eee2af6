"""Issue 8's story on the worker path: a category's tests run in the bubblewrap sandbox, in the repository's
own venv made by `validate.setup`, and a test the migration breaks is named in the pull request, which is
a draft that automerge leaves alone. The repository's conftest.py is hostile: it looks for the worker's
token and writes files; none of it reaches the PR or the commit.

Runs `workers.jobs.migrate_category` (the body of the Celery task) over real git and the local forge.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import gitops, markers, sandbox
from bot.engine.report import VALIDATION_NOT_PASSED
from bot.forge.base import Permanent
from bot.forge.local import LocalForge
from tests.campaigns import SYSTEM_SETUP, VENV_PYTEST, engine_move
from workers.jobs import JobConfig
from workers.jobs import migrate as jobs

pytestmark = pytest.mark.integration

REPO = "acme/engines"
CAMPAIGN_PATH = ".github/migrations/engine-move.yml"
TOKEN = "ghs_" + "W0rk3rT0k3nN0tF0rT3sts" * 2
BROKEN = "tests/unit/test_engine.py::test_speed_is_the_old_one"

FILES = {
    "old_pkg/__init__.py": "",
    "old_pkg/engines.py": "class Engine:\n    speed = 1\n",
    "new_pkg/__init__.py": "",
    "new_pkg/engines.py": "class Engine:\n    speed = 2\n",
    "tests/__init__.py": "",
    "tests/unit/__init__.py": "",
    "tests/unit/test_engine.py": (
        "from old_pkg.engines import Engine\n\n\n"
        "def test_engine_exists():\n    assert Engine()\n\n\n"
        "def test_speed_is_the_old_one():\n    assert Engine.speed == 1\n"
    ),
    "tests/unit/test_other.py": "from old_pkg.engines import Engine\n\n\ndef test_other():\n    assert Engine\n",
    "conftest.py": (
        "import json, os, pathlib\n\n"
        "def pytest_sessionstart(session):\n"
        "    hits = [f'env:{k}' for k, v in os.environ.items() if 'TOKEN' in k or 'ghs_' in v]\n"
        "    for pid in filter(str.isdigit, os.listdir('/proc')):\n"
        "        try:\n"
        "            if 'ghs_' in pathlib.Path(f'/proc/{pid}/environ').read_text(errors='replace'):\n"
        "                hits.append(f'proc:{pid}')\n"
        "        except OSError:\n"
        "            pass\n"
        "    pathlib.Path('written-by-tests.json').write_text(json.dumps(hits))\n"
        "    print('conftest saw:', json.dumps(hits), 'in', len(os.listdir('/proc')), 'entries')\n"
    ),
}


@pytest.fixture()
def bwrap_worker() -> Iterator[None]:
    problem = sandbox.bwrap_problem()
    assert problem is None, f"needs bwrap (Debian package {sandbox.BWRAP_PACKAGE!r}): {problem}"
    sandbox.configure("bwrap")
    try:
        yield
    finally:
        sandbox.configure("bwrap")


def _without_bwrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH with git and no bwrap: a worker whose image lacks bubblewrap."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    git = shutil.which("git")
    assert git is not None
    (bin_dir / "git").symlink_to(git)
    monkeypatch.setenv("PATH", str(bin_dir))


def _repository(root: Path, campaign: str) -> tuple[LocalForge, str]:
    (root.parent / "work").mkdir()
    repo = root / REPO
    for name, text in {**FILES, CAMPAIGN_PATH: campaign}.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    return LocalForge(root), gitops.init_repository(repo)


def _campaign() -> str:
    return engine_move(("unit", 0, "tests/unit/**/*.py"), tests=VENV_PYTEST, setup=SYSTEM_SETUP, timeout=120)


def test_a_new_failure_found_in_the_sandbox_is_in_the_draft_pull_request(
    bwrap_worker: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    forge, sha = _repository(tmp_path / "forge", _campaign())
    result = jobs.migrate_category(forge, REPO, sha, CAMPAIGN_PATH, "unit", JobConfig(workdir=tmp_path / "work"))
    branch = markers.branch_name("engine-move", "unit")
    pull = forge.find_pull(REPO, branch)
    assert pull is not None, result
    assert pull.draft
    assert "Status: **failed**" in pull.body
    assert f"- `{BROKEN}`" in pull.body
    assert "| before the change | 0 | 3 | 3 | 0 | 0 | 0 |" in pull.body
    assert "| after the change | 1 | 3 | 2 | 1 | 0 | 0 |" in pull.body
    assert VALIDATION_NOT_PASSED in pull.body
    assert TOKEN not in pull.body
    repo = tmp_path / "forge" / REPO
    changed = gitops.run_git(["diff", "--name-only", sha, branch], cwd=repo).split()
    assert sorted(changed) == ["tests/unit/test_engine.py", "tests/unit/test_other.py"]  # nothing the tests wrote
    files = gitops.run_git(["ls-tree", "-r", "--name-only", branch], cwd=repo).split()
    assert "written-by-tests.json" not in files
    # the setup ran once, in the sandbox: the venv is cached, and not in the worker's clone folder
    assert len(list((tmp_path / "cache" / "migration-bot" / "venvs").iterdir())) == 1
    assert list((tmp_path / "work").iterdir()) == []


def test_what_the_hostile_conftest_saw_holds_no_secret(bwrap_worker: None, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    campaign = _campaign().replace(VENV_PYTEST, "python -m pytest -q -s -p no:cacheprovider {files}")
    forge, sha = _repository(tmp_path / "forge", campaign)
    jobs.migrate_category(forge, REPO, sha, CAMPAIGN_PATH, "unit", JobConfig(workdir=tmp_path / "work"))
    pull = forge.find_pull(REPO, markers.branch_name("engine-move", "unit"))
    assert pull is not None
    assert "conftest saw: [] in" in pull.body  # it ran (-s shows its print in the output tail) and found nothing
    assert TOKEN not in pull.body


def test_no_sandbox_runs_no_test_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _without_bwrap(tmp_path, monkeypatch)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    sandbox.configure("bwrap")
    forge, sha = _repository(tmp_path / "forge", _campaign())
    jobs.migrate_category(forge, REPO, sha, CAMPAIGN_PATH, "unit", JobConfig(workdir=tmp_path / "work"))
    pull = forge.find_pull(REPO, markers.branch_name("engine-move", "unit"))
    assert pull is not None and pull.draft
    assert "Status: **not_run**: no sandbox on this worker" in pull.body
    assert sandbox.BWRAP_PACKAGE in pull.body
    assert not (tmp_path / "cache").exists()


def test_a_codemod_rule_without_a_sandbox_fails_its_category(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _without_bwrap(tmp_path, monkeypatch)
    sandbox.configure("bwrap")
    campaign = _campaign().replace("rules:\n", "rules:\n  - codemod: tools.mods:Upgrade\n", 1)
    forge, sha = _repository(tmp_path / "forge", campaign)
    with pytest.raises(Permanent, match="codemod rule 'tools.mods:Upgrade' cannot run: no sandbox on this worker"):
        jobs.migrate_category(forge, REPO, sha, CAMPAIGN_PATH, "unit", JobConfig(workdir=tmp_path / "work"))
