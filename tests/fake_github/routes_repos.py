"""REST handlers for repositories: the repo, branches and protection, git refs, contents, commits, permissions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fake_github import bare, builders, builders_git, hooks
from tests.fake_github.state import Repo
from tests.fake_github.wire import ApiError, Reply, Request

if TYPE_CHECKING:
    from tests.fake_github.server import FakeGitHub


def repo_of(fake: FakeGitHub, req: Request) -> Repo:
    repo = fake.repos.get(req.full_name)
    if repo is None:
        raise ApiError(404, "Not Found")
    return repo


def commit_of(repo: Repo, ref: str) -> str:
    """A branch name, full ref or sha -> commit sha; 404 like GitHub ("No commit found for SHA")."""
    for candidate in (f"refs/heads/{ref}", ref if ref.startswith("refs/") else f"refs/{ref}", ref):
        sha = bare.rev_parse(repo.bare, candidate)
        if sha:
            return sha
    raise ApiError(422 if len(ref) == 40 else 404, f"No commit found for SHA: {ref}")


def get_repo(fake: FakeGitHub, req: Request) -> Reply:
    return Reply(200, builders.repository(fake.api_url, repo_of(fake, req), full=True))


def get_branch(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    sha = bare.rev_parse(repo.bare, f"refs/heads/{req.params['branch']}")
    if sha is None:
        raise ApiError(404, "Branch not found")
    record = bare.commit(repo.bare, sha)
    return Reply(200, builders_git.branch(fake.api_url, repo, req.params["branch"], record))


def get_required_checks(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    names = repo.required_checks.get(req.params["branch"])
    if names is None:
        raise ApiError(404, "Branch not protected")
    return Reply(200, builders_git.status_check_policy(fake.api_url, repo, req.params["branch"], names))


def get_branch_rules(fake: FakeGitHub, req: Request) -> Reply:
    """The rules that apply to a branch; [] when no ruleset targets it (never 404 for an existing repo)."""
    repo = repo_of(fake, req)
    names = repo.ruleset_checks.get(req.params["branch"])
    if names is None:
        return Reply(200, [])
    return Reply(200, [{"type": "required_status_checks", "ruleset_source_type": "Repository",
                        "ruleset_source": repo.full_name, "ruleset_id": 1,
                        "parameters": {"strict_required_status_checks_policy": False,
                                       "required_status_checks": [{"context": name} for name in names]}}])


def get_ref(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    ref = "refs/" + req.params["ref"]
    sha = bare.refs(repo.bare).get(ref)
    if sha is None:
        raise ApiError(404, "Not Found")
    return Reply(200, builders_git.git_ref(fake.api_url, repo, ref, sha))


def create_ref(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    ref, sha = (req.body or {}).get("ref", ""), (req.body or {}).get("sha", "")
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise ApiError(422, "Reference name must start with 'refs/' and have at least two slashes.")
    if ref in bare.refs(repo.bare):
        raise ApiError(422, "Reference already exists")
    if bare.rev_parse(repo.bare, sha) != sha:
        raise ApiError(422, "Object does not exist")
    bare.update_ref(repo.bare, ref, sha)
    hooks.push(fake, repo, ref, None, sha, req.login)
    return Reply(201, builders_git.git_ref(fake.api_url, repo, ref, sha))


def update_ref(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    ref = "refs/" + req.params["ref"]
    old = bare.refs(repo.bare).get(ref)
    sha, force = (req.body or {}).get("sha", ""), bool((req.body or {}).get("force"))
    if old is None:
        raise ApiError(422, "Reference does not exist")
    if bare.rev_parse(repo.bare, sha) != sha:
        raise ApiError(422, "Object does not exist")
    if not force and bare.merge_base(repo.bare, old, sha) != old:
        raise ApiError(422, "Update is not a fast forward")
    bare.update_ref(repo.bare, ref, sha)
    hooks.push(fake, repo, ref, old, sha, req.login)
    if ref.startswith("refs/heads/"):
        hooks.synchronize(fake, repo, old, sha, ref.removeprefix("refs/heads/"), req.login)
    return Reply(200, builders_git.git_ref(fake.api_url, repo, ref, sha))


def delete_ref(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    ref = "refs/" + req.params["ref"]
    old = bare.refs(repo.bare).get(ref)
    if old is None:
        raise ApiError(422, "Reference does not exist")
    bare.update_ref(repo.bare, ref, None)
    hooks.push(fake, repo, ref, old, None, req.login)
    return Reply(204)


def get_contents(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    ref = req.query.get("ref") or repo.default_branch
    sha = commit_of(repo, ref)
    path = req.params["path"].strip("/")
    entries = bare.ls_tree(repo.bare, sha, path)
    if entries is not None:
        return Reply(200, builders_git.content_dir(fake.api_url, repo, entries, ref))
    data = bare.read_blob(repo.bare, sha, path)
    blob = bare.blob_sha(repo.bare, sha, path)
    if data is None or blob is None:
        raise ApiError(404, "Not Found")
    entry = bare.TreeEntry("100644", "blob", blob, len(data), path)
    return Reply(200, builders_git.content_file(fake.api_url, repo, entry, ref, data))


def get_commit(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    record = bare.commit(repo.bare, commit_of(repo, req.params["ref"]))
    parent = record.parents[0] if record.parents else None
    files = bare.changed_paths(repo.bare, parent, record.sha) if parent else {}
    return Reply(200, builders_git.commit(fake.api_url, repo, record, files))


def get_permission(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    login = req.params["username"]
    perm = repo.permissions.get(login, "admin" if login == repo.owner else None)
    if perm is None:
        raise ApiError(404, f"{login} is not a user")
    return Reply(200, builders.permission(fake.api_url, login, perm))


def get_authenticated_user(fake: FakeGitHub, req: Request) -> Reply:
    """The token's user (`public-user`); 403 for an installation token, as GitHub answers."""
    if req.token in fake.installation_tokens:
        raise ApiError(403, "Resource not accessible by integration")
    return Reply(200, builders.public_user(fake.api_url, req.login))


ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/repos/{owner}/{repo}", get_repo),
    ("GET", "/repos/{owner}/{repo}/branches/{branch}", get_branch),
    ("GET", "/repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks", get_required_checks),
    ("GET", "/repos/{owner}/{repo}/rules/branches/{branch}", get_branch_rules),
    ("GET", "/repos/{owner}/{repo}/git/ref/{ref}", get_ref),
    ("POST", "/repos/{owner}/{repo}/git/refs", create_ref),
    ("PATCH", "/repos/{owner}/{repo}/git/refs/{ref}", update_ref),
    ("DELETE", "/repos/{owner}/{repo}/git/refs/{ref}", delete_ref),
    ("GET", "/repos/{owner}/{repo}/contents/{path}", get_contents),
    ("GET", "/repos/{owner}/{repo}/commits/{ref}", get_commit),
    ("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission", get_permission),
    ("GET", "/user", get_authenticated_user),
]
