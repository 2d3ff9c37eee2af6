"""`migration-bot demo --serve`: the dashboard over the demo's local forge, on 127.0.0.1 only.

Even locally the page is not open to anyone who can reach the port: a fresh token is made for the run
and printed once, to be typed into the login form.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask

from bot.settings import Settings
from bot.web.catalog import LocalCatalog
from bot.web.views import install

HOST = "127.0.0.1"


def local_app(root: str | Path, repos: list[str], token: str) -> Flask:
    """The dashboard alone (no webhook endpoint, no Redis, no Celery) over the local forge at `root`."""
    settings = Settings(dashboard_token=token, session_secret=secrets.token_hex(32))
    app = Flask("bot.web")
    install(app, settings, LocalCatalog(root, repos))
    return app


def serve_local(root: str | Path, repos: list[str], port: int) -> None:
    """Blocks until Ctrl-C; the token is printed once, for this run only."""
    token = secrets.token_urlsafe(24)
    print(f"Dashboard: http://{HOST}:{port}/  (sign in with the token {token}; Ctrl-C stops it)")
    local_app(root, repos, token).run(host=HOST, port=port, threaded=True, use_reloader=False)
