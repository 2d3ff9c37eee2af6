"""The orchestration as plain jobs, by concern: migrate, rollout, commands, dashboard, revert.

A job takes ids plus what it acts through (a forge, the job configuration, sometimes a clone) and returns
an `Outcome`: what it did, and the follow-up `Job`s it wants run. A job never enqueues itself; the task
that ran it sends the follow-ups (`workers.tasks.send_follow_ups`) once the repository lock is released.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from bot.campaign.spec import Campaign
from bot.settings import Settings
from workers.contract import TASK_QUEUES, Job

__all__ = ["DEFAULTS", "CampaignFile", "JobConfig", "Outcome", "follow_up"]

T = TypeVar("T")


@dataclass(frozen=True)
class JobConfig:
    """The settings jobs read, built once per process from Settings and passed to each job as is."""

    workdir: str | Path | None = None  #: where fresh clones go (None: the system's temporary folder)
    campaign_glob: str = Settings.campaign_glob  #: campaign files on the default branch
    bot_name: str = Settings.bot_name  #: the login maintainers mention in commands

    @classmethod
    def from_settings(cls, settings: Settings) -> JobConfig:
        return cls(settings.workdir, settings.campaign_glob, settings.bot_name)


#: the configuration of a job called without one (tests, the defaults of Settings)
DEFAULTS = JobConfig()


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a job did (`result`, for the task's return value and logs) and what should run next."""

    result: T
    follow_ups: tuple[Job, ...] = ()


@dataclass(frozen=True)
class CampaignFile:
    """A campaign read from its file on the default branch."""

    path: str
    campaign: Campaign


def follow_up(task: str, **kwargs: Any) -> Job:
    """A Job for `task` on its queue; the task that sends it adds the installation id."""
    return Job(task, kwargs, TASK_QUEUES[task])

