"""Where the bot's effects on a repository host live: GitHub through PyGithub, or a local stand-in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.forge.base import (
    CheckResult,
    CommitInfo,
    Forge,
    ForgeError,
    IssueInfo,
    Permanent,
    PullInfo,
    RepoInfo,
    Retryable,
)
from bot.forge.local import LocalForge

if TYPE_CHECKING:
    from bot.forge.github import GitHubForge

__all__ = ["CheckResult", "CommitInfo", "Forge", "ForgeError", "GitHubForge", "IssueInfo", "LocalForge", "Permanent",
           "PullInfo", "RepoInfo", "Retryable"]


def __getattr__(name: str) -> Any:
    """GitHubForge on first use, so the offline paths never import PyGithub."""
    if name == "GitHubForge":
        from bot.forge.github import GitHubForge

        return GitHubForge
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
