"""Typed views of the webhook fields the handlers read: a wrong type is a PayloadError, never a crash.

Each model names only the fields some handler reads; everything else in GitHub's payload is ignored.
Fields GitHub may omit or send as null are optional, so a missing or null value reads as "not there"
(the handler then has nothing to do); a value of the wrong type, or an object missing the key that
identifies it, makes the delivery a 400 (see `bot.webhooks`). Validation is strict: "1" is not an id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "CheckRunEvent", "CheckSuiteEvent", "CommentEvent", "Event", "InstallationReposEvent", "PayloadError", "PingEvent",
    "IssueEditedEvent", "PullEvent", "PushEvent", "StatusEvent", "WorkflowRunEvent", "read",
]

#: errors quoted in a PayloadError's text at most; the rest are counted
MAX_ERRORS_SAID = 5

M = TypeVar("M", bound=BaseModel)


class PayloadError(ValueError):
    """A signed payload whose fields have the wrong shape; the text names fields, never their values."""


class _Fields(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


def read(model: type[M], payload: Mapping[str, Any]) -> M:
    """`payload` through `model`; raises PayloadError naming the wrong fields (at most MAX_ERRORS_SAID)."""
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        found = error.errors(include_url=False, include_input=False, include_context=False)
        said = [f"{'.'.join(str(part) for part in e['loc']) or '<payload>'}: {e['msg']}"
                for e in found[:MAX_ERRORS_SAID]]
        more = f" (and {len(found) - MAX_ERRORS_SAID} more)" if len(found) > MAX_ERRORS_SAID else ""
        raise PayloadError(f"{model.__name__}: " + "; ".join(said) + more) from None


# --- shared pieces ----------------------------------------------------------------------------------


class Installation(_Fields):
    id: int | None = None


class Repository(_Fields):
    full_name: str
    default_branch: str | None = None


class User(_Fields):
    login: str | None = None
    type: str | None = None

    @property
    def is_bot(self) -> bool:
        return self.type == "Bot" or (self.login or "").endswith("[bot]")


class Event(_Fields):
    """What every event the bot acts on carries: the repository and, for an App, the installation."""

    action: str | None = None
    repository: Repository | None = None
    installation: Installation | None = None

    @property
    def repo(self) -> str | None:
        return self.repository.full_name if self.repository else None

    @property
    def installation_id(self) -> int | None:
        return self.installation.id if self.installation else None


# --- push ---------------------------------------------------------------------------------------------


class Commit(_Fields):
    id: str | None = None
    distinct: bool | None = None
    added: list[str] | None = None
    modified: list[str] | None = None
    removed: list[str] | None = None


class PushEvent(Event):
    ref: str | None = None
    before: str | None = None
    after: str | None = None
    deleted: bool | None = None
    commits: list[Commit] | None = None
    head_commit: Commit | None = None


# --- checks ---------------------------------------------------------------------------------------------


class Suite(_Fields):
    head_sha: str | None = None
    head_branch: str | None = None


class CheckSuiteEvent(Event):
    check_suite: Suite | None = None


class Run(_Fields):
    head_sha: str | None = None
    check_suite: Suite | None = None


class CheckRunEvent(Event):
    check_run: Run | None = None


class WorkflowRun(_Fields):
    head_sha: str | None = None
    head_branch: str | None = None


class WorkflowRunEvent(Event):
    workflow_run: WorkflowRun | None = None


class Branch(_Fields):
    name: str | None = None


class StatusEvent(Event):
    state: str | None = None
    sha: str | None = None
    branches: list[Branch] | None = None


# --- pull requests and comments ----------------------------------------------------------------------------


class HeadRef(_Fields):
    ref: str | None = None
    sha: str | None = None
    repo: Repository | None = None  #: null when the fork it came from was deleted


class Pull(_Fields):
    number: int
    state: str | None = None
    body: str | None = None  #: carries the bot's hidden marker on the bot's own PRs
    head: HeadRef | None = None
    user: User | None = None


class Review(_Fields):
    state: str | None = None


class PullEvent(Event):
    pull_request: Pull | None = None
    review: Review | None = None  #: pull_request_review only


class Label(_Fields):
    name: str | None = None


class Issue(_Fields):
    number: int
    pull_request: dict[str, Any] | None = None  #: present (an object) only when the issue is a PR
    labels: list[Label] | None = None
    body: str | None = None

    @property
    def label_names(self) -> set[str]:
        return {label.name for label in self.labels or () if label.name}


class Comment(_Fields):
    id: int | None = None
    body: str | None = None
    user: User | None = None


class CommentEvent(Event):
    issue: Issue | None = None
    comment: Comment | None = None
    sender: User | None = None


class TextChange(_Fields):
    from_: str | None = Field(default=None, alias="from")


class IssueChanges(_Fields):
    body: TextChange | None = None
    title: TextChange | None = None


class IssueEditedEvent(Event):
    issue: Issue | None = None
    changes: IssueChanges | None = None
    sender: User | None = None


# --- the App's own events ------------------------------------------------------------------------------------


class InstallationReposEvent(Event):
    repositories_added: list[Repository] | None = None
    repositories_removed: list[Repository] | None = None


class PingEvent(_Fields):
    hook_id: int | None = None
    zen: str | None = None
