"""The shapes route handlers take and return: one parsed request, one reply, one list to paginate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    operation: str  #: "GET /repos/{owner}/{repo}/pulls": the OpenAPI path template
    params: dict[str, str]  #: path parameters, URL-decoded
    query: dict[str, str]
    body: Any  #: parsed JSON or None
    login: str  #: who the token belongs to
    token: str = ""  #: the credential presented (installation-scoped endpoints look up its installation)

    @property
    def full_name(self) -> str:
        return f"{self.params['owner']}/{self.params['repo']}"

    def number(self, name: str) -> int:
        try:
            return int(self.params[name])
        except ValueError as exc:
            raise ApiError(404, "Not Found") from exc


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Listing:
    """A list the dispatcher paginates with Link headers; `key` wraps a page as {"total_count", key: page}."""

    items: list[Any]
    key: str | None = None


class ApiError(Exception):
    """Answered as GitHub's error body ({"message", "documentation_url", "status"})."""

    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
