"""The fake GitHub: a real HTTP server on 127.0.0.1 (random port) over in-memory state and bare repositories."""

from __future__ import annotations

import logging
import queue
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt

from tests.fake_github import (
    bare,
    dispatch,
    oauth,
    routes_checks,
    routes_issue_list,
    routes_issues,
    routes_pulls,
    routes_repos,
    routes_user,
)
from tests.fake_github.deliver import Delivery, deliver
from tests.fake_github.faults import Faults
from tests.fake_github.openapi_check import (
    RestSchemas,
    SchemaError,
    WebhookSchemas,
    best_match,
    template_regex,
)
from tests.fake_github.state import BOT_LOGIN, Repo, State

log = logging.getLogger(__name__)
ROUTES = (routes_repos.ROUTES + routes_pulls.ROUTES + routes_issue_list.ROUTES + routes_issues.ROUTES
          + routes_checks.ROUTES + routes_user.ROUTES)


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    operation: str  #: "METHOD template", or "METHOD path" for git and unknown endpoints
    status: int


class FakeGitHub(State):
    """State plus the server. Tests read state (`pulls`, `comments`...) and the request log, never URLs."""

    def __init__(self, root: Path, rest: RestSchemas, webhooks: WebhookSchemas | None = None,
                 app_id: int = 4242, app_public_key: str | None = None) -> None:
        super().__init__(root)
        self.rest, self.webhook_schemas = rest, webhooks
        self.app_id, self.app_public_key = app_id, app_public_key
        self.faults = Faults()
        self.requests: list[RequestRecord] = []
        self.unknown: list[str] = []
        self.schema_errors: list[SchemaError] = []
        self.tokens: dict[str, tuple[str, float | None]] = {}
        self.installation_tokens: dict[str, int] = {}  #: installation token -> its installation id
        self.rate_limit_total = 5000
        self.auto_webhooks = True
        self.webhook_url: Any = None  #: a URL string or a Flask test client
        self.webhook_secret: str = "fake-webhook-secret"
        self.emitted: list[tuple[str, dict[str, Any]]] = []
        self.deliveries: list[Delivery] = []
        self._outbox: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()
        self._routes: dict[str, list[tuple[str, re.Pattern[str], Any]]] = {}
        for method, template, handler in ROUTES:
            assert rest.has_operation(method, template), f"{method} {template} is not in the OpenAPI file"
            self._routes.setdefault(method, []).append((template, template_regex(template), handler))
        self._server: ThreadingHTTPServer | None = None
        self.api_url = ""
        self.oauth = oauth.OAuth()  #: the OAuth web flow (not REST): see oauth.py

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> FakeGitHub:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.api_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-github",
                         daemon=True).start()
        threading.Thread(target=self._deliver_loop, name="fake-github-hooks", daemon=True).start()
        return self

    def stop(self) -> None:
        self._outbox.put(None)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- faults (opt-in per test) ---------------------------------------------------------------------------
    def fail(self, operation: str, status: int = 502, times: int | None = 1) -> None:
        """`operation` answers `status` the next `times` times (None: always)."""
        self.faults.fail(operation, status, times)

    def rate_limit(self, operation: str, kind: str = "secondary", retry_after: int = 1,
                   times: int | None = 1) -> None:
        """403 like GitHub: secondary (Retry-After) or primary (X-RateLimit-Remaining 0 + Reset)."""
        self.faults.rate_limit(operation, kind, retry_after, times)

    def slow(self, operation: str, seconds: float, times: int | None = None) -> None:
        self.faults.slow(operation, seconds, times)

    # -- auth ------------------------------------------------------------------------------------------------
    def add_token(self, token: str, login: str = BOT_LOGIN) -> str:
        self.tokens[token] = (login, None)
        return token

    def login_for(self, token: str) -> str | None:
        login, expires = self.tokens.get(token, (None, None))
        if expires is not None and expires < time.time():
            return None
        return login

    def issue_token(self, installation_id: int, ttl_s: int = 3600) -> tuple[str, str]:
        token = "ghs_" + secrets.token_hex(18)
        expires = datetime.now(UTC) + timedelta(seconds=ttl_s)
        self.tokens[token] = (f"{routes_checks.builders_checks.APP_SLUG}[bot]", expires.timestamp())
        self.installation_tokens[token] = installation_id
        return token, expires.strftime("%Y-%m-%dT%H:%M:%SZ")

    def verify_jwt(self, token: str) -> str | None:
        """The app's login when `token` is an RS256 JWT from this app (signature checked when a key is set)."""
        try:
            if self.app_public_key:
                claims = jwt.decode(token, self.app_public_key, algorithms=["RS256"], leeway=120)
            else:
                claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return None
        if str(claims.get("iss")) != str(self.app_id):
            return None
        return f"{routes_checks.builders_checks.APP_SLUG}[bot]"

    def rate_limit_remaining(self) -> int:
        return max(0, self.rate_limit_total - len(self.requests))

    # -- routing, checking, recording ------------------------------------------------------------------------
    def router_match(self, method: str, path: str) -> tuple[str, dict[str, str], Any] | None:
        routes = self._routes.get(method, [])
        found = best_match(path, [(t, r) for t, r, _ in routes])
        if found is None:
            return None
        template, params = found
        return template, params, next(h for t, _, h in routes if t == template)

    def record_unknown(self, what: str) -> None:
        log.error("fake GitHub: unknown endpoint %s", what)
        self.unknown.append(what)

    def check_response(self, method: str, template: str, path: str, status: int, body: Any) -> None:
        error = self.rest.check(method, template, path, status, body)
        if error is not None:
            log.error("fake GitHub: schema violation %s", error)
            self.schema_errors.append(error)

    def problems(self) -> list[str]:
        """Everything that must fail the test: unknown endpoints and schema violations."""
        return [f"unknown endpoint: {u}" for u in self.unknown] + [f"schema: {e}" for e in self.schema_errors]

    def count(self, operation: str) -> int:
        """Requests for `operation` ("POST /repos/{owner}/{repo}/pulls"), faults and errors included."""
        return sum(r.operation == operation for r in self.requests)

    def git_refs(self, repo: Repo) -> dict[str, str]:
        return bare.refs(repo.bare)

    # -- webhooks --------------------------------------------------------------------------------------------
    def wants_webhooks(self) -> bool:
        return self.auto_webhooks

    def emit(self, event: str, payload: dict[str, Any]) -> None:
        """Validates and queues a webhook; delivered in order on the delivery thread when `webhook_url` is set."""
        if self.webhook_schemas is not None:
            error = self.webhook_schemas.check(event, payload)
            if error is not None:
                self.schema_errors.append(error)
        self.emitted.append((event, payload))
        if self.webhook_url is not None:
            self._outbox.put((event, payload))

    def wait_webhooks(self, timeout_s: float = 10.0) -> None:
        """Blocks until every queued webhook has been delivered."""
        deadline = time.monotonic() + timeout_s
        while self._outbox.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def _deliver_loop(self) -> None:
        while (item := self._outbox.get()) is not None:
            event, payload = item
            try:
                self.deliveries.append(deliver(self.webhook_url, event, payload, self.webhook_secret))
            except Exception:  # noqa: BLE001 - a dead receiver must not kill the fake; the test sees no delivery
                log.exception("fake GitHub: delivery of %s failed", event)
            finally:
                self._outbox.task_done()
        self._outbox.task_done()


def _handler_for(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in separate writes; keep-alive would stall 40 ms

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            log.debug("fake GitHub: " + format, *args)

        def _serve(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            body = dispatch.git_http.read_body(self.rfile, headers)
            if self.path.startswith(dispatch.git_http.PREFIX):
                cgi = dispatch.handle_git(fake, self.command, self.path, headers, body)
                fake.requests.append(RequestRecord(self.command, self.path, f"{self.command} git", cgi.status))
                self._send(cgi.status, cgi.headers, cgi.body)
                return
            if self.path.startswith(oauth.PREFIX):
                status, out, payload = oauth.handle(fake, self.command, self.path, body, headers.get("content-type", ""))
                operation = f"{self.command} {self.path.split('?')[0]}"
                fake.requests.append(RequestRecord(self.command, self.path, operation, status))
                self._send(status, out, payload)
                return
            reply = dispatch.handle_api(fake, self.command, self.path, headers, body)
            operation = fake.router_match(self.command, self.path.split("?")[0])
            name = f"{self.command} {operation[0]}" if operation else f"{self.command} {self.path}"
            self._send_json(reply, headers, name)

        def _send_json(self, reply: dispatch.Reply, headers: dict[str, str], name: str) -> None:
            """Logs the request before answering, so a test reading `fake.requests` never races the log."""
            payload = b"" if reply.body is None else dispatch.json.dumps(reply.body).encode()
            out = {"Content-Type": "application/json; charset=utf-8", "X-GitHub-Request-Id": uuid.uuid4().hex[:20],
                   "X-RateLimit-Limit": str(fake.rate_limit_total),
                   "X-RateLimit-Remaining": str(fake.rate_limit_remaining()),
                   "X-RateLimit-Reset": str(int(time.time()) + 3600), "X-RateLimit-Used": str(len(fake.requests)),
                   "X-RateLimit-Resource": "core", "X-GitHub-Api-Version-Selected": "2022-11-28"}
            if self.command == "GET" and reply.status == 200:
                out["ETag"] = dispatch.etag_of(payload)
                if headers.get("if-none-match") == out["ETag"]:
                    fake.requests.append(RequestRecord(self.command, self.path, name, 304))
                    self._send(304, out, b"")
                    return
            fake.requests.append(RequestRecord(self.command, self.path, name, reply.status))
            self._send(reply.status, out | reply.headers, payload)

        def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in ("content-length", "status"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD" and status not in (204, 304):
                self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    return Handler
