"""REST handlers for pull requests: list, open, read, edit, merge (really, on the bare repository), commits, files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fake_github import bare, builders, builders_git, hooks
from tests.fake_github.routes_repos import repo_of
from tests.fake_github.state import Pull, Repo, now
from tests.fake_github.wire import ApiError, Listing, Reply, Request

if TYPE_CHECKING:
    from tests.fake_github.server import FakeGitHub

_SORT_KEYS = {"created": lambda p: p.created_at, "updated": lambda p: p.updated_at,
              "popularity": lambda p: p.number, "long-running": lambda p: p.created_at}


def pull_of(fake: FakeGitHub, repo: Repo, number: int) -> Pull:
    pull = repo.pulls.get(number)
    if pull is None:
        raise ApiError(404, "Not Found")
    fake.refresh_head(repo, pull)
    return pull


def pull_body(fake: FakeGitHub, repo: Repo, pull: Pull, full: bool = True) -> dict[str, Any]:
    base_sha = bare.rev_parse(repo.bare, f"refs/heads/{pull.base}") or pull.head_sha
    stats = (1, 0, 0, 0)
    if full:
        commits = bare.commits_between(repo.bare, base_sha, pull.head_sha) if pull.state == "open" else []
        fork = bare.merge_base(repo.bare, base_sha, pull.head_sha) or base_sha
        stats = (max(len(commits), 1), 0, 0, len(bare.changed_paths(repo.bare, fork, pull.head_sha)))
    head_repo = fake.repos.get(pull.head_repo) if pull.head_repo else None
    return builders.pull(fake.api_url, repo, pull, base_sha, full=full, stats=stats, head_repo=head_repo)


def list_pulls(fake: FakeGitHub, req: Request) -> Listing:
    repo = repo_of(fake, req)
    state, head, base = req.query.get("state", "open"), req.query.get("head"), req.query.get("base")
    pulls = [fake.pull(repo.full_name, n) for n in sorted(repo.pulls)]
    if state != "all":
        pulls = [p for p in pulls if p.state == state]
    if head:
        owner, _, branch = head.rpartition(":")
        pulls = [p for p in pulls if p.head == branch
                 and (not owner or owner == (p.head_repo or repo.full_name).split("/")[0])]
    if base:
        pulls = [p for p in pulls if p.base == base]
    sort = req.query.get("sort", "created")
    default_direction = "desc" if sort == "created" else "asc"
    reverse = req.query.get("direction", default_direction) == "desc"
    pulls.sort(key=lambda p: (_SORT_KEYS.get(sort, _SORT_KEYS["created"])(p), p.number), reverse=reverse)
    return Listing([pull_body(fake, repo, p, full=False) for p in pulls])


def create_pull(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    body = req.body or {}
    head = str(body.get("head", "")).rpartition(":")[2]
    base = body.get("base") or repo.default_branch
    if not body.get("title"):
        raise ApiError(422, "Validation Failed", [{"resource": "PullRequest", "field": "title", "code": "missing_field"}])
    head_sha = bare.rev_parse(repo.bare, f"refs/heads/{head}")
    base_sha = bare.rev_parse(repo.bare, f"refs/heads/{base}")
    if head_sha is None or base_sha is None:
        field = "head" if head_sha is None else "base"
        raise ApiError(422, "Validation Failed", [{"resource": "PullRequest", "field": field, "code": "invalid"}])
    if any(p.head == head and p.base == base and p.state == "open" for p in repo.pulls.values()):
        raise ApiError(422, "Validation Failed", [{"resource": "PullRequest", "code": "custom",
                                                   "message": f"A pull request already exists for {repo.owner}:{head}."}])
    if not bare.commits_between(repo.bare, base_sha, head_sha):
        raise ApiError(422, "Validation Failed", [{"resource": "PullRequest", "code": "custom",
                                                   "message": f"No commits between {base} and {head}"}])
    pull = fake.open_pull(repo.full_name, head, base, body["title"], body.get("body") or "", req.login,
                          bool(body.get("draft")))
    hooks.pull_request(fake, repo, pull, "opened", req.login)
    return Reply(201, pull_body(fake, repo, pull))


def get_pull(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    return Reply(200, pull_body(fake, repo, pull_of(fake, repo, req.number("pull_number"))))


def edit_pull(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    pull = pull_of(fake, repo, req.number("pull_number"))
    apply_edit(fake, repo, pull, req.body or {}, req.login)
    return Reply(200, pull_body(fake, repo, pull))


def apply_edit(fake: FakeGitHub, repo: Repo, pull: Pull, body: dict[str, Any], login: str) -> None:
    """PATCH semantics shared by /pulls/{n} and /issues/{n}: title, body, base, state."""
    changed = {key: body[key] for key in ("title", "body", "base") if key in body and body[key] != getattr(pull, key)}
    changes = {key: {"from": getattr(pull, key)} for key in changed}
    changes = {k: ({"ref": {"from": v["from"]}, "sha": {"from": pull.head_sha}} if k == "base" else v)
               for k, v in changes.items()}
    for key, value in changed.items():
        setattr(pull, key, value)
    state = body.get("state")
    flipped = bool(state) and state != pull.state
    if flipped:
        if pull.merged:
            raise ApiError(422, "Validation Failed", [{"resource": "PullRequest", "code": "custom",
                                                       "message": "Cannot reopen a merged pull request"}])
        pull.state, pull.closed_at = state, (now() if state == "closed" else None)
    pull.updated_at = now()
    if flipped:
        hooks.pull_request(fake, repo, pull, "closed" if state == "closed" else "reopened", login)
    elif changed:
        hooks.pull_request(fake, repo, pull, "edited", login, changes=changes)


def merge_pull(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    pull = pull_of(fake, repo, req.number("pull_number"))
    body = req.body or {}
    method = body.get("merge_method", "merge")
    if pull.state != "open":
        raise ApiError(405, "Pull Request is not mergeable")
    if body.get("sha") and body["sha"] != pull.head_sha:
        raise ApiError(409, "Head branch was modified. Review and try the merge again.")
    default_title = (f"{pull.title} (#{pull.number})" if method == "squash"
                     else f"Merge pull request #{pull.number} from {repo.owner}/{pull.head}")
    before = bare.rev_parse(repo.bare, f"refs/heads/{pull.base}")
    try:
        sha = bare.merge(repo.bare, pull.base, pull.head_sha, method, body.get("commit_title") or default_title,
                         body.get("commit_message") or "")
    except bare.MergeConflict as exc:
        raise ApiError(405, "Pull Request is not mergeable") from exc
    pull.state, pull.merged, pull.merged_by, pull.merge_commit_sha = "closed", True, req.login, sha
    pull.merged_at = pull.closed_at = pull.updated_at = now()
    hooks.pull_request(fake, repo, pull, "closed", req.login)
    hooks.push(fake, repo, f"refs/heads/{pull.base}", before, sha, req.login)
    return Reply(200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"})


def pull_commits(fake: FakeGitHub, req: Request) -> Listing:
    repo = repo_of(fake, req)
    pull = pull_of(fake, repo, req.number("pull_number"))
    base_sha = bare.rev_parse(repo.bare, f"refs/heads/{pull.base}") or pull.head_sha
    fork = bare.merge_base(repo.bare, base_sha, pull.head_sha) or base_sha
    records = bare.commits_between(repo.bare, fork, pull.head_sha)
    return Listing([builders_git.commit(fake.api_url, repo, r) for r in records])


def pull_files(fake: FakeGitHub, req: Request) -> Listing:
    repo = repo_of(fake, req)
    pull = pull_of(fake, repo, req.number("pull_number"))
    base_sha = bare.rev_parse(repo.bare, f"refs/heads/{pull.base}") or pull.head_sha
    fork = bare.merge_base(repo.bare, base_sha, pull.head_sha) or base_sha
    changed = bare.changed_paths(repo.bare, fork, pull.head_sha)
    return Listing([builders_git.diff_entry(fake.api_url, repo, pull.head_sha, path, status)
                    for path, status in changed.items()])


def request_reviewers(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    pull = pull_of(fake, repo, req.number("pull_number"))
    body = req.body or {}
    users, teams = list(body.get("reviewers") or []), list(body.get("team_reviewers") or [])
    if pull.user in users:
        raise ApiError(422, "Review cannot be requested from pull request author.")
    pull.requested_reviewers += [u for u in users if u not in pull.requested_reviewers]
    pull.requested_teams += [t for t in teams if t not in pull.requested_teams]
    return Reply(201, pull_body(fake, repo, pull, full=False))


def add_assignees(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    pull = pull_of(fake, repo, req.number("issue_number"))
    pull.assignees += [a for a in (req.body or {}).get("assignees") or [] if a not in pull.assignees]
    count = sum(c.number == pull.number for c in repo.comments.values())
    return Reply(201, builders.issue(fake.api_url, repo, pull, count))


ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/repos/{owner}/{repo}/pulls", list_pulls),
    ("POST", "/repos/{owner}/{repo}/pulls", create_pull),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", get_pull),
    ("PATCH", "/repos/{owner}/{repo}/pulls/{pull_number}", edit_pull),
    ("PUT", "/repos/{owner}/{repo}/pulls/{pull_number}/merge", merge_pull),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/commits", pull_commits),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files", pull_files),
    ("POST", "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", request_reviewers),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/assignees", add_assignees),
]
