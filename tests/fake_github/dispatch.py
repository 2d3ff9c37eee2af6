"""One HTTP request through the fake: auth, faults, routing, the handler, pagination, schema check, ETag."""

from __future__ import annotations

import hashlib
import json
import logging
import math
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from tests.fake_github import builders, git_http, hooks
from tests.fake_github.routes_checks import JWT_OPERATIONS
from tests.fake_github.wire import ApiError, Listing, Reply, Request

if TYPE_CHECKING:
    from tests.fake_github.server import FakeGitHub

log = logging.getLogger(__name__)


def _paginate(fake: FakeGitHub, url: str, query: dict[str, str], listing: Listing) -> Reply:
    per_page = max(1, min(int(query.get("per_page", 30)), 100))
    page = max(1, int(query.get("page", 1)))
    last = max(1, math.ceil(len(listing.items) / per_page))
    items = listing.items[(page - 1) * per_page: page * per_page]

    def link(n: int) -> str:
        return f"<{fake.api_url}{url}?{urlencode({**query, 'page': n, 'per_page': per_page})}>"

    rels = ([(page + 1, "next"), (last, "last")] if page < last else []) + \
        ([(1, "first"), (page - 1, "prev")] if page > 1 else [])
    headers = {"Link": ", ".join(f'{link(n)}; rel="{rel}"' for n, rel in rels)} if rels else {}
    body: Any = items if listing.key is None else {"total_count": len(listing.items), listing.key: items}
    return Reply(200, body, headers)


def _authenticate(fake: FakeGitHub, operation: str, authorization: str | None) -> str | None:
    """The login behind the request's credentials; None when they are missing or unknown."""
    token = git_http.token_from_header(authorization)
    if token is None:
        return None
    if operation in JWT_OPERATIONS:
        return fake.verify_jwt(token)
    return fake.login_for(token)


def _call(fake: FakeGitHub, req: Request, handler: Any) -> Reply:
    try:
        with fake.lock:
            result = handler(fake, req)
    except ApiError as exc:
        body = builders.error(exc.message, exc.status)
        if exc.errors:
            body["errors"] = exc.errors
        return Reply(exc.status, body)
    if isinstance(result, Listing):
        return _paginate(fake, urlsplit(req.path).path, req.query, result)
    return result


def handle_api(fake: FakeGitHub, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Reply:
    """Answers one REST request; records unknown endpoints and schema violations on `fake`."""
    url = urlsplit(raw_path)
    query = dict(parse_qsl(url.query))
    matched = fake.router_match(method, url.path)
    if matched is None:
        fake.record_unknown(f"{method} {url.path}")
        return Reply(501, {"message": f"The fake GitHub does not implement {method} {url.path}"})
    template, params, handler = matched
    operation = f"{method} {template}"
    token = git_http.token_from_header(headers.get("authorization")) or ""
    login = _authenticate(fake, operation, headers.get("authorization"))
    if login is None:
        return Reply(401, builders.error("Bad credentials", 401))
    fake.faults.delay(operation)
    fault = fake.faults.take(operation)
    if fault is not None:
        return Reply(fault.status, fault.body, fault.headers)
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        return Reply(400, builders.error("Problems parsing JSON", 400))
    req = Request(method, raw_path, operation, {k: unquote(v) for k, v in params.items()}, query, parsed, login,
                  token)
    reply = _call(fake, req, handler)
    if reply.status != 304:
        fake.check_response(method, template, url.path, reply.status, reply.body)
    return reply


def etag_of(payload: bytes) -> str:
    return '"' + hashlib.sha256(payload).hexdigest()[:40] + '"'


def handle_git(fake: FakeGitHub, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> git_http.CgiReply:
    """Smart HTTP for /git/<owner>/<repo>.git/...; a receive-pack that moves refs emits `push` webhooks."""
    url = urlsplit(raw_path)
    full_name = git_http.repo_of(url.path)
    token = git_http.token_from_header(headers.get("authorization"))
    if token is None or fake.login_for(token) is None:
        return git_http.CgiReply(401, {"WWW-Authenticate": 'Basic realm="GitHub"'}, b"Authentication failed\n")
    login = fake.login_for(token) or ""
    if full_name not in fake.repos:
        return git_http.CgiReply(404, {}, b"Repository not found\n")
    repo = fake.repos[full_name]
    with fake.lock:
        before = fake.git_refs(repo)
        reply = git_http.run_backend(fake.root, method, url.path, url.query, headers, body)
        after = fake.git_refs(repo)
        for ref in sorted(set(before) | set(after)):
            if before.get(ref) != after.get(ref):
                log.info("push %s %s %s..%s", full_name, ref, before.get(ref), after.get(ref))
                hooks.push(fake, repo, ref, before.get(ref), after.get(ref), login)
                if ref.startswith("refs/heads/") and before.get(ref) and after.get(ref):
                    hooks.synchronize(fake, repo, before[ref], after[ref], ref.removeprefix("refs/heads/"), login)
    return reply
