"""The hard cases planted in the demo's test suite: what a real codebase throws at a migration."""

from __future__ import annotations

ALIASED_IMPORT = "tests/mission_critical/test_agent_execution_engine_alias.py"
KWARGS_CALL = "tests/integration/agents/test_engine_options_integration.py"
SYNTAX_ERROR = "tests/e2e/websocket_e2e_tests/legacy_snippet.py"
BROKEN_TEST = "tests/unit/ssot_validation/test_execution_stats_shared_ssot.py"
#: the one test that passes on the deprecated engine and fails once migrated
BROKEN_TEST_NAME = "test_stats_add_up_across_engines_of_one_user"

_ALIASED = '''\
"""Agent execution through the engine under its short local name (Phase 1, mission critical)."""

from __future__ import annotations

from netra_backend.app.agents.supervisor.execution_engine import ExecutionEngine as Engine
from netra_backend.app.websocket_core.bridge import CRITICAL_EVENTS


def test_aliased_engine_delivers_events_to_its_user(registry, bridge, make_context):
    ctx = make_context("alias-user")
    engine = Engine(registry, bridge, user_context=ctx)
    result = engine.execute_agent("triage_agent", "route my question")
    assert [event.type for event in bridge.events_for("alias-user")] == list(CRITICAL_EVENTS)
    assert result.user_id == "alias-user"


def test_aliased_engines_keep_users_apart(registry, bridge, make_context):
    first = Engine(registry, bridge, user_context=make_context("alias-a"))
    second = Engine(registry, bridge, user_context=make_context("alias-b"))
    first.execute_agent("data_agent", "numbers for alias-a")
    second.execute_agent("data_agent", "numbers for alias-b")
    assert bridge.users() == {"alias-a", "alias-b"}
    assert not any("alias-b" in str(event.payload) for event in bridge.events_for("alias-a"))
'''

# The **options call cannot be mapped to the new signature; the migration must report it, not guess.
_KWARGS = '''\
"""Engines built from option dictionaries, as the service configuration does (Phase 2, integration)."""

from __future__ import annotations

import pytest

from netra_backend.app.agents.supervisor.execution_engine import ExecutionEngine
from netra_backend.app.websocket_core.bridge import CRITICAL_EVENTS

DEFAULT_OPTIONS = {"user_context": None}


def _engine_from_options(registry, bridge, **options):
    engine_kwargs = {"registry": registry, "websocket_bridge": bridge, **DEFAULT_OPTIONS, **options}
    return ExecutionEngine(**engine_kwargs)


def test_engine_rejects_unknown_options(registry, bridge):
    with pytest.raises(TypeError):
        _engine_from_options(registry, bridge, max_retries=3)


def test_configured_engine_runs_for_its_user(registry, bridge, make_context):
    engine = ExecutionEngine(registry, bridge, user_context=make_context("options-user"))
    engine.execute_agent("optimization_agent", "cut my cloud bill")
    assert [event.type for event in bridge.events_for("options-user")] == list(CRITICAL_EVENTS)
'''

# Not collected by pytest (no test_ prefix) and never imported: it only has to fail to parse.
_SYNTAX_ERROR = '''\
"""Snippet pasted from the old engine's wiki page; it never parsed and nothing imports it."""

from netra_backend.app.agents.supervisor.execution_engine import ExecutionEngine


def build_engine(registry, bridge)
    return ExecutionEngine(registry, bridge)
'''

# Passes only because the deprecated engine counts every engine's runs in one shared counter;
# each UserExecutionEngine counts its own, so after the migration the sum is 1, not 2.
_BROKEN = f'''\
"""Execution stats as the single source of truth across engines (Phase 4, unit)."""

from __future__ import annotations

from netra_backend.app.agents.supervisor.execution_engine import ExecutionEngine


def {BROKEN_TEST_NAME}(registry, bridge, make_context):
    ctx = make_context("stats-user")
    first = ExecutionEngine(registry, bridge, user_context=ctx)
    before = first.get_execution_stats()["total_executions"]
    first.execute_agent("triage_agent", "first request")
    second = ExecutionEngine(registry, bridge, user_context=ctx)
    second.execute_agent("reporting_agent", "second request")
    assert second.get_execution_stats()["total_executions"] == before + 2


def test_stats_name_the_engine_user(registry, bridge, make_context):
    engine = ExecutionEngine(registry, bridge, user_context=make_context("stats-owner"))
    assert engine.get_execution_stats()["user_id"] == "stats-owner"
'''

PLANTED_SOURCES: dict[str, str] = {
    ALIASED_IMPORT: _ALIASED,
    KWARGS_CALL: _KWARGS,
    SYNTAX_ERROR: _SYNTAX_ERROR,
    BROKEN_TEST: _BROKEN,
}
