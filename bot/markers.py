"""Branch names, labels and hidden PR/comment markers: built and parsed in one place."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

BRANCH_PREFIX = "migration-bot"
LABEL_BOT = "migration-bot"
LABEL_FAILED = "migration:failed"
LABEL_GREEN = "migration:green"
#: a maintainer skipped the category: its PR closed with this label counts as done
LABEL_SKIPPED = "migration:skipped"
#: a maintainer asked for a merge (the `merge` command); merged once the checks pass
LABEL_MERGE_REQUESTED = "migration:merge-requested"
BOT_EMAIL = "migration-bot@users.noreply.github.com"

_MARKER_RE = re.compile(r"<!-- migration-bot:(?P<kind>[a-z-]+) (?P<json>\{.*?\}) -->")


def branch_name(campaign: str, category: str) -> str:
    return f"{BRANCH_PREFIX}/{campaign}/{category}"


def revert_branch_name(campaign: str, category: str) -> str:
    return f"{branch_name(campaign, category)}-revert"


def campaign_branch_prefix(campaign: str) -> str:
    return f"{BRANCH_PREFIX}/{campaign}/"


def parse_branch(branch: str) -> tuple[str, str] | None:
    """(campaign, category) of a bot branch, revert branches included with their suffix; else None."""
    parts = branch.split("/")
    if len(parts) != 3 or parts[0] != BRANCH_PREFIX:
        return None
    return parts[1], parts[2]


def campaign_label(campaign: str) -> str:
    return f"migration:{campaign}"


@dataclass(frozen=True)
class PullMarker:
    """The machine-readable part of a bot PR body: who it belongs to and what it was built from."""

    campaign: str
    category: str
    base_sha: str
    kind: str = "pull"  #: "pull" | "revert"


def render_marker(marker: PullMarker) -> str:
    fields = {k: v for k, v in asdict(marker).items() if k != "kind"}
    return f"<!-- migration-bot:{marker.kind} {json.dumps(fields, sort_keys=True)} -->"


def parse_marker(body: str | None) -> PullMarker | None:
    """The first PR marker in `body`; None when absent or unreadable (a human may have edited it)."""
    for match in _MARKER_RE.finditer(body or ""):
        if match["kind"] not in ("pull", "revert"):
            continue
        try:
            data = json.loads(match["json"])
            return PullMarker(data["campaign"], data["category"], data["base_sha"], match["kind"])
        except (ValueError, KeyError, TypeError):
            return None
    return None


def comment_marker(concern: str) -> str:
    """Hidden tag that identifies the bot's comment for one concern, so it is edited, not re-posted."""
    return f"<!-- migration-bot:comment {json.dumps({'concern': concern})} -->"


def dashboard_marker(campaign: str) -> str:
    """Hidden tag that identifies a campaign's dashboard issue, so it is found and edited, not re-posted."""
    return f"<!-- migration-bot:dashboard {json.dumps({'campaign': campaign})} -->"
