"""Who may see the dashboard: people signed in through the App's GitHub OAuth flow, or holders of a shared token.

Nothing is public: without a viewer the pages redirect to /login and the API answers 401. A GitHub
viewer sees only the installed repositories GitHub lists for their own token (`GET /user/repos`), read
once at sign-in and kept in the signed session cookie until it expires; their token is not kept. The
shared token (MIGRATION_BOT_DASHBOARD_TOKEN) is sent as a bearer header or typed once into the login
form; a session made with it dies when the token is changed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from bot.settings import Settings
from bot.web.config import web_config

log = logging.getLogger(__name__)

#: how long a sign-in lasts (GitHub App user tokens live 8 hours too)
SESSION_TTL_S = 8 * 3600
_VIEWER = "viewer"
_STATE, _NEXT = "oauth_state", "oauth_next"

blueprint = Blueprint("dashboard_auth", __name__, template_folder="templates")


@dataclass(frozen=True)
class Viewer:
    login: str  #: a GitHub login, or "shared token"
    repos: frozenset[str] | None  #: the repositories this viewer may read; None: all the bot works on

    def may_read(self, repo: str) -> bool:
        return self.repos is None or repo in self.repos


def current_viewer(settings: Settings) -> Viewer | None:
    """The viewer of this request: a matching bearer token, else a live session; None when neither."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return Viewer("shared token", None) if _token_matches(settings, header[7:].strip()) else None
    raw: Any = session.get(_VIEWER)
    if not isinstance(raw, dict) or not isinstance(raw.get("until"), int | float) or raw["until"] < time.time():
        return None
    if raw.get("via") == "token":
        # a session made with an old shared token dies with it
        return Viewer("shared token", None) if raw.get("token") == _fingerprint(settings) else None
    if raw.get("via") == "github" and isinstance(raw.get("repos"), list):
        return Viewer(str(raw.get("login")), frozenset(str(r) for r in raw["repos"]))
    return None


def _token_matches(settings: Settings, presented: str) -> bool:
    wanted = settings.dashboard_token
    return bool(wanted) and hmac.compare_digest(presented.encode(), wanted.encode())  # type: ignore[union-attr]


def _fingerprint(settings: Settings) -> str | None:
    if not settings.dashboard_token:
        return None
    return hmac.new(settings.session_key(), settings.dashboard_token.encode(), hashlib.sha256).hexdigest()[:32]


def _settings() -> Settings:
    return web_config().settings


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute URL or `//host` (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("dashboard.index")
    return target


def _sign_in(value: dict[str, Any]) -> None:
    session.clear()
    session.permanent = True
    session[_VIEWER] = {**value, "until": int(time.time()) + SESSION_TTL_S}


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | tuple[str, int] | str:
    settings = _settings()
    target = _safe_next(request.values.get("next"))
    github = bool(settings.oauth_client_id)
    if request.method == "POST":
        if _token_matches(settings, request.form.get("token", "")):
            _sign_in({"via": "token", "token": _fingerprint(settings)})
            return redirect(target)
        return render_template("login.html", github=github, token=bool(settings.dashboard_token), next=target,
                               error="That token is not the dashboard's."), 401
    if github and not settings.dashboard_token:
        return redirect(url_for("dashboard_auth.github", next=target))
    return render_template("login.html", github=github, token=bool(settings.dashboard_token), next=target,
                           error=None)


@blueprint.get("/login/github")
def github() -> BaseResponse:
    """The web-application flow's first step: to GitHub's authorize page, with a state bound to this session."""
    settings = _settings()
    if not settings.oauth_client_id:
        abort(404)
    state = secrets.token_urlsafe(24)
    session[_STATE], session[_NEXT] = state, _safe_next(request.args.get("next"))
    url = _oauth_app(settings).get_login_url(redirect_uri=url_for("dashboard_auth.callback", _external=True),
                                              state=state)
    return redirect(url)


@blueprint.get("/oauth/callback")
def callback() -> BaseResponse | tuple[str, int]:
    """Exchanges the code for the user's token, reads what they can see, and keeps only that."""
    from bot.forge.base import ForgeError

    settings = _settings()
    expected, presented = session.pop(_STATE, None), request.args.get("state", "")
    if not settings.oauth_client_id or not expected or not hmac.compare_digest(expected, presented):
        return render_template("login.html", github=bool(settings.oauth_client_id),
                               token=bool(settings.dashboard_token), next=url_for("dashboard.index"),
                               error="That sign-in link expired; try again."), 400
    target = _safe_next(session.pop(_NEXT, None))
    if request.args.get("error"):  # the person declined on GitHub's page: no code to exchange
        return render_template("login.html", github=True, token=bool(settings.dashboard_token), next=target,
                               error="GitHub sign-in was declined."), 401
    try:
        login_name, readable = _user_repos(settings, request.args.get("code", ""))
    except ForgeError as error:
        log.warning("dashboard sign-in failed", extra={"error": str(error)})
        return render_template("login.html", github=True, token=bool(settings.dashboard_token), next=target,
                               error="GitHub did not accept the sign-in; try again."), 401
    installed = set(web_config().catalog.repos())
    _sign_in({"via": "github", "login": login_name, "repos": sorted(readable & installed)})
    return redirect(target)


@blueprint.post("/logout")
def logout() -> BaseResponse:
    session.clear()
    return redirect(url_for("dashboard_auth.login"))


def _client(settings: Settings, token: str | None = None) -> Any:
    from github import Auth, Github

    return Github(base_url=settings.api_url, auth=Auth.Token(token) if token else None, retry=None, per_page=100,
                  seconds_between_requests=None, seconds_between_writes=None)


def _oauth_app(settings: Settings) -> Any:
    """PyGithub's OAuth application: its URLs are GitHub's web host (`/login/oauth/...`) beside the API."""
    return _client(settings).get_oauth_application(settings.oauth_client_id, settings.oauth_client_secret)


def _user_repos(settings: Settings, code: str) -> tuple[str, set[str]]:
    from bot.forge.errors import translated

    with translated("exchange the sign-in code"):
        token = _oauth_app(settings).get_access_token(code).token
    with translated("read the signed-in user's repositories"):
        user = _client(settings, token).get_user()
        return user.login, {repo.full_name for repo in user.get_repos()}


def security_headers(response: Response) -> Response:
    """Pages carry code paths: never cached, never framed, no script at all, nothing from elsewhere."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                                   "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


blueprint.after_request(security_headers)
