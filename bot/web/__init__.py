"""The web dashboard: campaign pages, a burndown chart and their JSON, behind GitHub sign-in or a shared token."""

from __future__ import annotations

from bot.web.catalog import Catalog, GitHubCatalog, LocalCatalog
from bot.web.views import install

__all__ = ["Catalog", "GitHubCatalog", "LocalCatalog", "install"]
