"""GitHub's OAuth web-application flow, which is not part of the REST API (nor of its OpenAPI description).

Served beside the REST routes on the fake's host, as GitHub serves them on its web host:
`GET /login/oauth/authorize` stands for the page where a person approves the App; it approves at once
as `OAuth.approver` (None: the person declines) and redirects back with a one-time code.
`POST /login/oauth/access_token` trades that code (with the client id and secret) for a user token
the fake then accepts on the REST routes as that login. Requests are recorded as "METHOD /login/oauth/...".
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

if TYPE_CHECKING:
    from tests.fake_github.server import FakeGitHub

PREFIX = "/login/oauth/"


@dataclass
class OAuth:
    clients: dict[str, str] = field(default_factory=dict)  #: client id -> client secret
    approver: str | None = None  #: who approves on the authorize page; None declines
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  #: code -> (client id, login)
    issued: list[str] = field(default_factory=list)  #: user tokens handed out, in order


def handle(fake: FakeGitHub, method: str, raw_path: str, body: bytes,
           content_type: str) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) for one request under /login/oauth/."""
    url = urlsplit(raw_path)
    if method == "GET" and url.path == PREFIX + "authorize":
        return _authorize(fake, dict(parse_qsl(url.query)))
    if method == "POST" and url.path == PREFIX + "access_token":
        form: dict[str, Any] = (json.loads(body or b"{}") if "json" in content_type
                                else dict(parse_qsl(body.decode())))
        return _access_token(fake, form)
    fake.record_unknown(f"{method} {url.path}")
    return 404, {"Content-Type": "text/plain"}, b"Not Found"


def _authorize(fake: FakeGitHub, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    client_id, redirect_uri = query.get("client_id", ""), query.get("redirect_uri", "")
    if client_id not in fake.oauth.clients or not redirect_uri:
        return 404, {"Content-Type": "text/plain"}, b"Unknown OAuth application"
    back = {"state": query.get("state", "")}
    if fake.oauth.approver is None:
        back["error"] = "access_denied"
    else:
        code = secrets.token_hex(10)
        fake.oauth.codes[code] = (client_id, fake.oauth.approver)
        back["code"] = code
    return 302, {"Location": f"{redirect_uri}?{urlencode(back)}", "Content-Type": "text/plain"}, b""


def _access_token(fake: FakeGitHub, form: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    client_id, code = str(form.get("client_id", "")), str(form.get("code", ""))
    known = fake.oauth.clients.get(client_id)
    if known is None or not secrets.compare_digest(known, str(form.get("client_secret", ""))):
        answer: dict[str, Any] = {"error": "incorrect_client_credentials"}
    elif fake.oauth.codes.get(code, ("", ""))[0] != client_id:
        answer = {"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}
    else:
        _, login = fake.oauth.codes.pop(code)
        token = fake.add_token("ghu_" + secrets.token_hex(18), login)
        fake.oauth.issued.append(token)
        answer = {"access_token": token, "token_type": "bearer", "scope": ""}
    # GitHub answers 200 with an "error" field for a bad code or client, not an HTTP error
    return 200, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(answer).encode()
