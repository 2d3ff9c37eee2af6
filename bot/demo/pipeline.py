"""The offline demo: the sample repository through the same Celery tasks, run eagerly, with the local forge.

Nothing needs Redis or GitHub: tasks run in-process (`task_always_eager`, memory broker), branches are
pushed to the local repository and each pull request is a JSON record beside it. Prints nothing; the
CLI renders the result.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import task_postrun

from bot import gitops, markers
from bot.campaign.load import parse_campaign
from bot.demo.sample import SampleRepo, generate_sample_repo
from bot.forge.local import LocalForge
from bot.settings import Settings
from workers.contract import MIGRATE_CATEGORY, START_CAMPAIGN

REPO = "demo/sample"
CAMPAIGN_PATH = ".github/migrations/execution-engine-ssot.yml"


@dataclass(frozen=True)
class CategoryOutcome:
    category: str
    branch: str
    result: str  #: PullOpened, PullUpdated, NothingToChange, HumanCommitsFound, PullLeftClosed
    pull_number: int | None
    files_changed: int = 0
    references_removed: int = 0
    references_left: int = 0  #: in the changed files
    unmappable_calls: int = 0
    new_test_failures: int = 0
    validation_ok: bool = True
    draft: bool = False
    body: str = ""  #: the PR description


@dataclass(frozen=True)
class DemoResult:
    root: Path  #: the local forge's root: the repository and its PR records (kept for a look)
    repository: Path
    sample: SampleRepo
    campaign: str
    categories: tuple[CategoryOutcome, ...]  #: in rollout order


def run_offline_campaign(workdir: Path | None = None, *, sandboxed: bool = False) -> DemoResult:
    """Builds the sample in `workdir` (a new temporary folder when None) and opens one PR per category.

    The first category is started by the `start_campaign` task exactly as a push would; since nothing is
    merged offline, every other category is then migrated in rollout order by the `migrate_category` task.
    """
    root = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="migration-bot-demo-"))
    repository = root / REPO
    sample = generate_sample_repo(repository)
    campaign_text = resources.files("bot.demo").joinpath("campaign.yml").read_text(encoding="utf-8")
    (repository / CAMPAIGN_PATH).parent.mkdir(parents=True, exist_ok=True)
    (repository / CAMPAIGN_PATH).write_text(campaign_text, encoding="utf-8")
    sha = gitops.init_repository(repository, message="Sample repository and its campaign")
    campaign = parse_campaign(campaign_text, source=CAMPAIGN_PATH)
    forge = LocalForge(root)
    results = _run_tasks(root, forge, sha, [c.name for c in campaign.categories], sandboxed)
    outcomes = tuple(_outcome(campaign.id, c.name, results.get(c.name)) for c in campaign.categories)
    return DemoResult(root, repository, sample, campaign.id, outcomes)


def _eager_app(root: Path, sandboxed: bool = False) -> Celery:
    from workers.celery_app import make_celery

    scratch = root / ".migration-bot" / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    # the user's own machine: the sample's tests run as a plain subprocess unless --sandbox
    settings = Settings(eager=True, redis_url="memory://", workdir=str(scratch), sandbox="bwrap" if sandboxed else "none")
    app = make_celery(settings)
    app.conf.update(broker_url="memory://", result_backend="cache+memory://", task_eager_propagates=True)
    return app


@contextmanager
def _collected(into: dict[str, dict[str, Any]]) -> Iterator[None]:
    """Gathers every migrate_category return value, keyed by category, while the block runs."""

    def collect(sender: Any = None, retval: Any = None, kwargs: Mapping[str, Any] | None = None, **_: Any) -> None:
        if getattr(sender, "name", None) == MIGRATE_CATEGORY and isinstance(retval, dict) and kwargs:
            into[kwargs["category"]] = retval

    task_postrun.connect(collect, weak=False)
    try:
        yield
    finally:
        task_postrun.disconnect(collect)


def _run_tasks(root: Path, forge: LocalForge, sha: str, categories: list[str],
               sandboxed: bool = False) -> dict[str, dict[str, Any]]:
    from workers import tasks
    from workers.celery_app import settings_of
    from workers.locks import ThreadRepoLock

    app = _eager_app(root, sandboxed)
    runtime = tasks.Runtime(settings_of(app), lambda installation_id: forge, ThreadRepoLock())
    results: dict[str, dict[str, Any]] = {}
    ids = {"repo": REPO, "installation_id": None, "sha": sha}
    with tasks.using(runtime), _collected(results):
        app.tasks[START_CAMPAIGN].apply(kwargs={**ids, "path": CAMPAIGN_PATH})
        for category in categories:
            if category not in results:
                app.tasks[MIGRATE_CATEGORY].apply(kwargs={**ids, "campaign_path": CAMPAIGN_PATH,
                                                          "category": category})
    return {name: results[name] for name in categories if name in results}


def _outcome(campaign_id: str, category: str, result: Mapping[str, Any] | None) -> CategoryOutcome:
    result = result or {}
    totals = result.get("totals", {})
    return CategoryOutcome(
        category=category,
        branch=result.get("branch", markers.branch_name(campaign_id, category)),
        result=result.get("result", "NotRun"),
        pull_number=result.get("number"),
        files_changed=totals.get("files_changed", 0),
        references_removed=totals.get("references_removed", 0),
        references_left=totals.get("references_left", 0),
        unmappable_calls=totals.get("unmappable_calls", 0),
        new_test_failures=totals.get("new_test_failures", 0),
        validation_ok=result.get("ok", True),
        draft=result.get("draft", False),
        body=result.get("body", ""),
    )
