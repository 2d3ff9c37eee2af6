"""REST handlers for checks and statuses, and the GitHub App endpoints (app, installations, tokens, rate limit)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fake_github import builders, builders_checks, hooks
from tests.fake_github.routes_repos import commit_of, repo_of
from tests.fake_github.wire import ApiError, Listing, Reply, Request

if TYPE_CHECKING:
    from tests.fake_github.server import FakeGitHub

_STATES = ("error", "failure", "pending", "success")


def list_check_runs(fake: FakeGitHub, req: Request) -> Listing:
    repo = repo_of(fake, req)
    sha = commit_of(repo, req.params["ref"])
    runs = [r for r in repo.check_runs if r.head_sha == sha]
    if req.query.get("check_name"):
        runs = [r for r in runs if r.name == req.query["check_name"]]
    if req.query.get("status"):
        runs = [r for r in runs if r.status == req.query["status"]]
    return Listing([builders_checks.check_run(fake.api_url, repo, r, fake.app_id) for r in runs], "check_runs")


def list_check_suites(fake: FakeGitHub, req: Request) -> Listing:
    repo = repo_of(fake, req)
    sha = commit_of(repo, req.params["ref"])
    runs = [r for r in repo.check_runs if r.head_sha == sha]
    suites = [builders_checks.check_suite(fake.api_url, repo, runs, fake.app_id)] if runs else []
    return Listing(suites, "check_suites")


def combined_status(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    sha = commit_of(repo, req.params["ref"])
    items = [s for s in repo.statuses if s.sha == sha]
    return Reply(200, builders_checks.combined_status(fake.api_url, repo, sha, items))


def create_status(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    body = req.body or {}
    if body.get("state") not in _STATES:
        raise ApiError(422, "Validation Failed", [{"resource": "Status", "field": "state", "code": "invalid"}])
    sha = commit_of(repo, req.params["sha"])
    item = fake.set_status(repo.full_name, sha, body.get("context", "default"), body["state"],
                           body.get("description"), body.get("target_url"), creator=req.login)
    hooks.status(fake, repo, item, req.login)
    return Reply(201, builders_checks.status(fake.api_url, repo, item))


def create_check_run(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    body = req.body or {}
    if not body.get("name") or not body.get("head_sha"):
        raise ApiError(422, "Validation Failed", [{"resource": "CheckRun", "code": "missing_field"}])
    conclusion = body.get("conclusion")
    status = "completed" if conclusion else body.get("status", "queued")
    output = body.get("output") or {}
    for note in output.get("annotations") or ():
        if not {"path", "start_line", "end_line", "annotation_level", "message"} <= set(note):
            raise ApiError(422, "Validation Failed", [{"resource": "CheckRun", "field": "annotations",
                                                       "code": "missing_field"}])
    run = fake.add_check_run(repo.full_name, body["head_sha"], body["name"], status, conclusion)
    run.output = dict(output)
    if status == "completed":
        hooks.check_run(fake, repo, run, req.login)
    return Reply(201, builders_checks.check_run(fake.api_url, repo, run, fake.app_id))


def get_app(fake: FakeGitHub, req: Request) -> Reply:
    return Reply(200, builders_checks.app(fake.api_url, fake.app_id))


def get_repo_installation(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    return Reply(200, builders_checks.installation(fake.api_url, repo.installation_id, fake.app_id, repo.owner))


def create_installation_token(fake: FakeGitHub, req: Request) -> Reply:
    installation_id = req.number("installation_id")
    if installation_id not in {r.installation_id for r in fake.repos.values()}:
        raise ApiError(404, "Not Found")
    token, expires_at = fake.issue_token(installation_id)
    return Reply(201, builders_checks.installation_token(token, expires_at))


def list_installations(fake: FakeGitHub, req: Request) -> Listing:
    """One installation per distinct `Repo.installation_id`, its account the owner of its first repository."""
    owners: dict[int, str] = {}
    for repo in sorted(fake.repos.values(), key=lambda r: r.id):
        owners.setdefault(repo.installation_id, repo.owner)
    return Listing([_listed_installation(fake, i, owner) for i, owner in sorted(owners.items())])


def _listed_installation(fake: FakeGitHub, installation_id: int, owner: str) -> dict[str, Any]:
    """The list's inlined schema makes `account` allOf(Simple User, Enterprise): it carries both shapes."""
    body = builders_checks.installation(fake.api_url, installation_id, fake.app_id, owner)
    stamp = body["created_at"]
    body["account"] |= {"name": owner, "slug": owner, "created_at": stamp, "updated_at": stamp}
    return body


def installation_repositories(fake: FakeGitHub, req: Request) -> Listing:
    """The repositories of the installation whose token made the request; 403 for any other credential."""
    installation_id = fake.installation_tokens.get(req.token)
    if installation_id is None:
        raise ApiError(403, "This endpoint requires an installation access token")
    repos = sorted((r for r in fake.repos.values() if r.installation_id == installation_id), key=lambda r: r.id)
    return Listing([builders.repository(fake.api_url, repo, permission=None) for repo in repos], "repositories")


def get_rate_limit(fake: FakeGitHub, req: Request) -> Reply:
    return Reply(200, builders_checks.rate_limit(fake.rate_limit_total, fake.rate_limit_remaining()))


#: operations authenticated with the App's JWT rather than a token
JWT_OPERATIONS = frozenset({
    "GET /app", "GET /repos/{owner}/{repo}/installation", "POST /app/installations/{installation_id}/access_tokens",
    "GET /app/installations",
})

ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs", list_check_runs),
    ("GET", "/repos/{owner}/{repo}/commits/{ref}/check-suites", list_check_suites),
    ("GET", "/repos/{owner}/{repo}/commits/{ref}/status", combined_status),
    ("POST", "/repos/{owner}/{repo}/statuses/{sha}", create_status),
    ("POST", "/repos/{owner}/{repo}/check-runs", create_check_run),
    ("GET", "/app", get_app),
    ("GET", "/repos/{owner}/{repo}/installation", get_repo_installation),
    ("POST", "/app/installations/{installation_id}/access_tokens", create_installation_token),
    ("GET", "/app/installations", list_installations),
    ("GET", "/installation/repositories", installation_repositories),
    ("GET", "/rate_limit", get_rate_limit),
]
