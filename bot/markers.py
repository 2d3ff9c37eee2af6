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
_DATA_RE = re.compile(r"<!-- migration-bot:dashboard-data .*? -->", re.DOTALL)
_DASHBOARD_RE = re.compile(r"<!-- migration-bot:dashboard (?P<json>\{.*?\}) -->")
_BOX_RE = re.compile(r"^\s*[-*] \[(?P<mark>[ xX])\] <!-- migration-bot:box (?P<id>[a-z-]+(?::[a-z0-9-]+)?) -->",
                     re.MULTILINE)


#: a campaign's `pulls.branch_prefix`: one path segment
_PREFIX_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def branch_name(campaign: str, category: str, prefix: str = BRANCH_PREFIX) -> str:
    """`<prefix>/<campaign>/<category>`; `prefix` is the campaign's `pulls.branch_prefix`."""
    return f"{prefix}/{campaign}/{category}"


def revert_branch_name(campaign: str, category: str, prefix: str = BRANCH_PREFIX) -> str:
    return revert_branch_of(branch_name(campaign, category, prefix))


def revert_branch_of(branch: str) -> str:
    """The revert branch of the category branch `branch`."""
    return f"{branch}-revert"


def campaign_branch_prefix(campaign: str, prefix: str = BRANCH_PREFIX) -> str:
    return f"{prefix}/{campaign}/"


def parse_branch(branch: str) -> tuple[str, str] | None:
    """(campaign, category) of a branch shaped like a bot branch, `<prefix>/<campaign>/<category>` with any
    one-segment prefix (campaigns choose theirs), revert branches included with their suffix; else None.

    The shape is not ownership: whoever acts checks the prefix against the campaign's (`has_prefix`),
    and the PR's author and marker.
    """
    parts = branch.split("/")
    if len(parts) != 3 or not _PREFIX_RE.match(parts[0]) or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def has_prefix(branch: str, prefix: str) -> bool:
    """Whether `branch` starts with the campaign branch prefix `prefix` (one segment)."""
    return branch.startswith(f"{prefix}/")


def campaign_label(campaign: str) -> str:
    return f"migration:{campaign}"


@dataclass(frozen=True)
class PullMarker:
    """The machine-readable part of a bot PR body: who it belongs to and what it was built from."""

    campaign: str
    category: str
    base_sha: str
    kind: str = "pull"  #: "pull" | "revert"
    #: the usual branch name and who holds it, when the PR had to use a fresh name ("" when it did not)
    taken: str = ""


def render_marker(marker: PullMarker) -> str:
    fields = {k: v for k, v in asdict(marker).items() if k != "kind" and (k != "taken" or v)}
    if "taken" in fields:  # free text: braces or an arrow would end the marker early
        fields["taken"] = re.sub(r"[{}<>]", "", fields["taken"])
    return f"<!-- migration-bot:{marker.kind} {json.dumps(fields, sort_keys=True)} -->"


def parse_marker(body: str | None) -> PullMarker | None:
    """The first PR marker in `body`; None when absent or unreadable (a human may have edited it)."""
    for match in _MARKER_RE.finditer(body or ""):
        if match["kind"] not in ("pull", "revert"):
            continue
        try:
            data = json.loads(match["json"])
            return PullMarker(data["campaign"], data["category"], data["base_sha"], match["kind"],
                              str(data.get("taken") or ""))
        except (ValueError, KeyError, TypeError):
            return None
    return None


def owned_by_bot(*, repo: str, head_repo: str, author: str, bot_login: str, body: str | None) -> bool:
    """A PR is the bot's only when all three hold: its head repository is the base repository `repo`, its
    author is `bot_login`, and its body carries a PR marker. Anything else is a human's, whatever the branch."""
    return bool(repo) and head_repo == repo and bool(bot_login) and author == bot_login \
        and parse_marker(body) is not None


def is_bot_comment(body: str | None) -> bool:
    """The body carries one of the bot's hidden markers (its replies and dashboards always do)."""
    return "<!-- migration-bot:" in (body or "")


def comment_marker(concern: str) -> str:
    """Hidden tag that identifies the bot's comment for one concern, so it is edited, not re-posted."""
    return f"<!-- migration-bot:comment {json.dumps({'concern': concern})} -->"


def dashboard_marker(campaign: str) -> str:
    """Hidden tag that identifies a campaign's dashboard issue, so it is found and edited, not re-posted."""
    return f"<!-- migration-bot:dashboard {json.dumps({'campaign': campaign})} -->"


def parse_dashboard_marker(body: str | None) -> str | None:
    """The campaign id of a dashboard body's marker; None when absent or unreadable."""
    match = _DASHBOARD_RE.search(body or "")
    try:
        campaign = json.loads(match["json"])["campaign"] if match else None
    except (ValueError, KeyError, TypeError):
        return None
    return campaign if isinstance(campaign, str) else None


def box_line(box: str, text: str) -> str:
    """An unticked dashboard checkbox whose hidden id (`start:api`, `pause`) says what ticking it asks."""
    return f"- [ ] <!-- migration-bot:box {box} --> {text}"


def ticked_boxes(body: str | None) -> dict[str, bool]:
    """Every box id in `body` and whether it is ticked."""
    return {m["id"]: m["mark"] != " " for m in _BOX_RE.finditer(body or "")}


def newly_ticked(before: str | None, after: str | None) -> list[str]:
    """Box ids ticked in `after` that were not ticked in `before`, in the order of `after`."""
    old = ticked_boxes(before)
    return [box for box, ticked in ticked_boxes(after).items() if ticked and not old.get(box, False)]


def dashboard_data_comment(body: str | None) -> str | None:
    """The hidden data comment of a dashboard body as written, or None (to carry it over a human's edit)."""
    match = _DATA_RE.search(body or "")
    return match[0] if match else None
