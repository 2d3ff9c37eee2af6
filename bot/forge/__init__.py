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

if TYPE_CHECKING:
    from bot.forge.github import GitHubForge
    from bot.forge.local import LocalForge

__all__ = ["CheckResult", "CommitInfo", "Forge", "ForgeError", "GitHubForge", "IssueInfo", "LocalForge", "Permanent",
           "PullInfo", "RepoInfo", "Retryable"]


def __getattr__(name: str) -> Any:
    """GitHubForge and LocalForge on first use: importing the forge's types loads neither PyGithub nor git."""
    if name == "GitHubForge":
        from bot.forge.github import GitHubForge

        return GitHubForge
    if name == "LocalForge":
        from bot.forge.local import LocalForge

        return LocalForge
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
