"""The GitHub App manifest the bot needs, for a given address: what `migration-bot app-manifest URL` prints.

GitHub's manifest flow takes this JSON in a form POST and registers the App with these permissions and
events (https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest).
`deploy/app-manifest.yml` is the same manifest for `https://bot.example.com`, commented; a test keeps the two equal.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

__all__ = ["DEFAULT_NAME", "EVENTS", "PERMISSIONS", "app_manifest"]

DEFAULT_NAME = "Migration Bot"
DESCRIPTION = "Carries a large code migration through a repository as small, CI-gated pull requests."

#: what each permission is for is in deploy/app-manifest.yml. `administration: read` is not asked: required
#: checks are read through the rulesets endpoint (contents: read) and classic protection when granted.
PERMISSIONS: dict[str, str] = {
    "metadata": "read",
    "contents": "write",
    "pull_requests": "write",
    "issues": "write",
    "checks": "write",
    "statuses": "read",
    "actions": "read",
    "workflows": "write",
}

EVENTS: tuple[str, ...] = ("push", "pull_request", "pull_request_review", "check_suite", "check_run", "status",
                           "workflow_run", "issue_comment", "issues")


def app_manifest(url: str, name: str | None = None) -> dict[str, Any]:
    """The manifest for the bot's web process at `url` (https, or http for a local try); ValueError otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"{url!r} is not a web address like https://bot.example.com")
    base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    return {
        "name": name or DEFAULT_NAME,
        "url": "https://github.com/",
        "description": DESCRIPTION,
        "public": False,
        "hook_attributes": {"url": f"{base}/webhooks", "active": True},
        "redirect_url": f"{base}/",
        "callback_urls": [f"{base}/oauth/callback"],  # the web dashboard's GitHub sign-in
        "default_permissions": dict(PERMISSIONS),
        "default_events": list(EVENTS),
    }
