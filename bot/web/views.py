"""The dashboard's pages and their JSON twins: repositories with their campaigns, and one campaign in full.

Every view needs a viewer (see access.py) and shows only repositories that viewer may read; a repository
they may not read answers 404, as GitHub does, so its existence does not leak.
"""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from markdown_it import MarkdownIt
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from bot.forge.base import ForgeError, Permanent, Retryable
from bot.settings import Settings
from bot.web import access
from bot.web.burndown import burndown
from bot.web.campaigns import CampaignPage, campaign_page, repo_campaigns
from bot.web.catalog import Catalog
from bot.web.config import EXTENSION, WebConfig, web_config

_COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)
#: PR bodies are the bot's markdown, but a person may have edited one: raw HTML is shown as text, never run
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")

blueprint = Blueprint("dashboard", __name__, template_folder="templates")


def install(app: Flask, settings: Settings, catalog: Catalog) -> None:
    """Registers the dashboard on `app`: its blueprints, the signed session cookie, where repositories come from."""
    app.extensions[EXTENSION] = WebConfig(settings, catalog)
    app.secret_key = settings.session_key()
    app.config.update(SESSION_COOKIE_NAME="migration_bot_session", SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_HTTPONLY=True, PERMANENT_SESSION_LIFETIME=access.SESSION_TTL_S)
    app.register_blueprint(access.blueprint)
    app.register_blueprint(blueprint)


@blueprint.before_request
def _require_viewer() -> BaseResponse | tuple[BaseResponse, int, dict[str, str]] | None:
    viewer = access.current_viewer(web_config().settings)
    if viewer is None:
        if request.path.startswith("/api/"):
            return jsonify(error="sign in first: a bearer token or a session"), 401, {
                "WWW-Authenticate": 'Bearer realm="migration-bot dashboard"'}
        return redirect(url_for("dashboard_auth.login", next=request.full_path.rstrip("?")))
    g.viewer = viewer
    return None


blueprint.after_request(access.security_headers)


@blueprint.errorhandler(404)
@blueprint.errorhandler(503)
def _api_error(error: HTTPException) -> BaseResponse | HTTPException:
    """The API answers its errors as JSON; the pages keep Flask's plain error page."""
    if request.path.startswith("/api/"):
        response = jsonify(error=error.description)
        response.status_code = error.code or 500
        return response
    return error


def _visible_repos() -> list[str]:
    viewer: access.Viewer = g.viewer
    try:
        repos = web_config().catalog.repos()
    except ForgeError as error:  # the list of installations itself could not be read
        abort(503, description=str(error))
    return [repo for repo in repos if viewer.may_read(repo)]


def _repos() -> list[dict[str, Any]]:
    """Each visible repository with its campaigns; one that cannot be read says why instead."""
    config = web_config()
    found = []
    for repo in _visible_repos():
        try:
            pages = repo_campaigns(config.catalog.forge(repo), repo, config.settings.campaign_glob)
            found.append({"repo": repo, "campaigns": [p.summary_json() for p in pages], "error": None})
        except ForgeError as error:
            found.append({"repo": repo, "campaigns": [], "error": str(error)})
    return found


def _page(owner: str, repo: str, campaign_id: str) -> CampaignPage:
    full_name = f"{owner}/{repo}"
    if full_name not in _visible_repos():
        abort(404)
    config = web_config()
    try:
        return campaign_page(config.catalog.forge(full_name), full_name, campaign_id, config.settings.campaign_glob)
    except Permanent:
        abort(404)
    except Retryable as error:
        abort(503, description=str(error))


@blueprint.get("/")
def index() -> str:
    return render_template("index.html", repos=_repos(), viewer=g.viewer)


@blueprint.get("/<owner>/<repo>/campaigns/<campaign_id>")
def campaign(owner: str, repo: str, campaign_id: str) -> str:
    page = _page(owner, repo, campaign_id)
    chart = burndown(page.data.history, [row.name for row in page.rows])
    summaries = {row.name: _summary_html(row.summary) for row in page.rows if row.summary}
    return render_template("campaign.html", page=page, chart=chart, summaries=summaries, viewer=g.viewer)


@blueprint.get("/api/repos")
def api_repos() -> BaseResponse:
    return jsonify(repos=_repos())


@blueprint.get("/api/<owner>/<repo>/campaigns/<campaign_id>")
def api_campaign(owner: str, repo: str, campaign_id: str) -> BaseResponse:
    return jsonify(_page(owner, repo, campaign_id).to_json())


def _summary_html(body: str) -> Markup:
    return Markup(_MARKDOWN.render(_COMMENT_RE.sub("", body)))  # noqa: S704 - html is off: the renderer escapes
