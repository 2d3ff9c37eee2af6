"""GitHub's example payloads, mutated (types swapped, keys dropped, nulls, nesting), never make a 5xx.

Two layers: every single mutation of every field of every recorded payload through `routes.route` (pure:
the handlers give Jobs or raise PayloadError, nothing else), then hypothesis-drawn mutation sets signed and
posted through the real app (Flask test client, real Redis, real Celery broker): 0 responses >= 500.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bot import routes
from bot.payloads import PayloadError
from bot.settings import Settings
from tests.payloads.build import PAYLOAD_DIR, event_of, load
from tests.unit.test_webhooks import BROKER_URL, SECRET, broker, client, dedupe, deliver  # noqa: F401 (fixtures)

NAMES = sorted(path.name for path in Path(PAYLOAD_DIR).glob("*.json"))
SETTINGS = Settings(webhook_secret="s")  # for the pure layer; the app's come from the `settings` fixture
DELETE = object()
#: what a field may become: the wrong type, null, empty, nested, deleted
REPLACEMENTS: tuple[Any, ...] = (DELETE, None, 0, -1, 2**70, 1.5, True, "", "x" * 300, [], {}, [None], {"a": None},
                                 [[[[[]]]]])

Path_ = tuple[str | int, ...]


def _paths(node: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


def _mutated(payload: dict[str, Any], path: Path_, value: Any) -> dict[str, Any]:
    """A copy of `payload` with the field at `path` replaced by `value` (DELETE drops it)."""
    payload = copy.deepcopy(payload)
    node: Any = payload
    for part in path[:-1]:
        node = node[part]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = copy.deepcopy(value)
    return payload


def _route(event: str, payload: dict[str, Any]) -> str:
    """"jobs" or "refused"; anything else the handlers raise fails the test."""
    try:
        jobs = routes.route(event, payload, SETTINGS)
    except PayloadError:
        return "refused"
    for job in jobs:
        assert json.loads(json.dumps(dict(job.kwargs))) == dict(job.kwargs)
    return "jobs"


@pytest.mark.parametrize("name", NAMES)
def test_every_single_mutation_of_a_recorded_payload_is_routed_or_refused(name: str) -> None:
    original, event = load(name), event_of(name)
    seen = {_route(event, original)}
    for path in _paths(original):
        for value in REPLACEMENTS:
            seen.add(_route(event, _mutated(original, path, value)))
    assert seen <= {"jobs", "refused"}


@pytest.mark.parametrize("name", NAMES)
def test_a_non_object_where_the_payload_is_expected_is_refused(name: str) -> None:
    event = event_of(name)
    for value in (None, 1, "x", []):
        for key in load(name):
            assert _route(event, {**load(name), key: value}) in {"jobs", "refused"}


@pytest.fixture
def settings() -> Settings:
    """The app's settings for `client`: GitHub's own 25 MiB body cap, so every recorded payload is routed."""
    return Settings(webhook_secret=SECRET, redis_url=BROKER_URL)


@st.composite
def mutated_payloads(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A recorded payload with 1 to 6 fields replaced, dropped or nested deeper, shallow fields more often."""
    name = draw(st.sampled_from(NAMES))
    payload = load(name)
    for _ in range(draw(st.integers(1, 6))):
        depth = draw(st.integers(1, 4))  # the fields handlers read sit near the top: draw those more often
        paths = [path for path in _paths(payload) if len(path) <= depth]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        kind = draw(st.sampled_from(["replace", "nest-list", "nest-object"]))
        node: Any = payload
        for part in path[:-1]:
            node = node[part]
        if kind == "replace":
            payload = _mutated(payload, path, draw(st.sampled_from(REPLACEMENTS)))
        elif kind == "nest-list":
            node[path[-1]] = [node[path[-1]]]
        else:
            node[path[-1]] = {"value": node[path[-1]]}
    return event_of(name), payload


@hypothesis_settings(max_examples=250, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=mutated_payloads())
def test_mutated_signed_payloads_through_the_app_never_answer_5xx(client: FlaskClient,  # noqa: F811
                                                                  case: tuple[str, dict[str, Any]]) -> None:
    event, payload = case
    response = deliver(client, event, payload, delivery=f"test-{uuid.uuid4()}")
    assert response.status_code < 500, (event, response.status_code, response.get_data(as_text=True)[:300])
