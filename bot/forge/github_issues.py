"""The dashboard issue over PyGithub: find by hidden marker among bot-labelled issues, open, edit."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from github import Github
from github.Issue import Issue
from github.Repository import Repository

from bot import markers
from bot.forge.base import IssueInfo
from bot.forge.errors import translated

T = TypeVar("T")


def issue_info(issue: Issue) -> IssueInfo:
    """Only fields present in list answers too, so no attribute access triggers a lazy GET."""
    return IssueInfo(issue.number, issue.state, issue.title, issue.body or "",
                     tuple(label.name for label in issue.labels), issue.html_url)


class IssuesMixin:
    """GitHubForge's issue methods; GitHub's issue list includes PRs, which are skipped here."""

    _gh: Github

    def _repo(self, full_name: str) -> Repository: ...  # provided by GitHubForge

    def _pages(self, full_name: str, url: str, params: Mapping[str, Any],
               parse_page: Callable[[Any], list[T]]) -> list[T]: ...  # provided by GitHubForge

    def _object(self, klass: type[Issue], raw: dict[str, Any]) -> Issue: ...  # provided by GitHubForge

    def find_issue(self, full_name: str, marker: str) -> IssueInfo | None:
        """A conditional read (ETag): an unchanged list costs a 304. PRs are skipped on their raw
        `pull_request` key (reading the attribute of a plain issue would make PyGithub fetch it)."""
        def parse_page(raw: list[dict[str, Any]]) -> list[IssueInfo]:
            return [issue_info(self._object(Issue, item)) for item in raw
                    if "pull_request" not in item and marker in (item.get("body") or "")]

        with translated("find the dashboard issue"):
            found = self._pages(full_name, f"/repos/{full_name}/issues",
                                {"labels": markers.LABEL_BOT, "state": "all"}, parse_page)
        return found[0] if found else None

    def open_issue(self, full_name: str, title: str, body: str, labels: Sequence[str]) -> IssueInfo:
        with translated("open the dashboard issue"):
            return issue_info(self._repo(full_name).create_issue(title=title, body=body, labels=list(labels)))

    def edit_issue(self, full_name: str, number: int, *, title: str | None = None, body: str | None = None,
                   state: str | None = None) -> IssueInfo:
        changes: dict[str, Any] = {k: v for k, v in (("title", title), ("body", body), ("state", state)) if v}
        with translated(f"edit issue #{number}"):
            issue = self._repo(full_name).get_issue(number)  # lazy: the PATCH is the only request
            issue.edit(**changes)
            return issue_info(issue)
