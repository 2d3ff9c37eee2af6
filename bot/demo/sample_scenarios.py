"""What the demo's generated tests check, and the shapes in which they build the deprecated engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

OLD_MODULE = "netra_backend.app.agents.supervisor.execution_engine"
OLD_IMPORT = f"from {OLD_MODULE} import ExecutionEngine"

#: import lines a test may need, by the name it uses
IMPORTS = {
    "pytest": "import pytest",
    "ThreadPoolExecutor": "from concurrent.futures import ThreadPoolExecutor",
    "CRITICAL_EVENTS": "from netra_backend.app.websocket_core.bridge import CRITICAL_EVENTS",
    "AgentNotFoundError": "from netra_backend.app.agents.registry import AgentNotFoundError",
}

_TYPE_CHECKING_BLOCK = f'''
if TYPE_CHECKING:
    {OLD_IMPORT}


def _isolated_engine(registry, bridge, context) -> ExecutionEngine:
    """Already built with the new API; only its annotation still names the old engine."""
    return UserExecutionEngine(context, AgentInstanceFactory(registry), UserWebSocketEmitter(bridge, context))
'''


@dataclass(frozen=True)
class Shape:
    """One way a test file imports and calls the deprecated engine (exactly one import each)."""

    name: str
    call: str  #: expression building an engine; "{ctx}" stands for the user's context variable
    imports: tuple[str, ...] = (OLD_IMPORT,)
    inline: str = ""  #: an import written inside the test function instead of at the top
    block: str = ""  #: module-level code after the imports
    provides: frozenset[str] = frozenset()  #: names of IMPORTS this shape's import already binds

    @property
    def contextual(self) -> bool:
        return "{ctx}" in self.call

    def build(self, ctx: str) -> str:
        return self.call.format(ctx=ctx)


SHAPES: tuple[Shape, ...] = (
    Shape("context_keyword", "ExecutionEngine(registry, bridge, user_context={ctx})"),
    Shape("positional_default", "ExecutionEngine(registry, bridge)"),
    Shape("keywords", "ExecutionEngine(registry=registry, websocket_bridge=bridge, user_context={ctx})"),
    Shape("positional_context", "ExecutionEngine(registry, bridge, {ctx})"),
    Shape("module_import", "execution_engine.ExecutionEngine(registry, bridge, user_context={ctx})",
          imports=("from netra_backend.app.agents.supervisor import execution_engine",)),
    Shape("inline_import", "ExecutionEngine(registry, bridge, user_context={ctx})", imports=(),
          inline=OLD_IMPORT),
    Shape("keywords_default", "ExecutionEngine(registry=registry, websocket_bridge=bridge)"),
    Shape("module_alias", "legacy_engine.ExecutionEngine(registry, websocket_bridge=bridge, user_context={ctx})",
          imports=(f"import {OLD_MODULE} as legacy_engine",)),
    Shape("type_checking", "_isolated_engine(registry, bridge, {ctx})",
          imports=("from typing import TYPE_CHECKING",
                   "from netra_backend.app.agents.supervisor.agent_instance_factory import AgentInstanceFactory",
                   "from netra_backend.app.agents.supervisor.user_execution_engine import UserExecutionEngine",
                   "from netra_backend.app.websocket_core.user_emitter import UserWebSocketEmitter"),
          block=_TYPE_CHECKING_BLOCK),
    Shape("multi_name", "ExecutionEngine(registry, bridge, user_context={ctx})",
          imports=(f"from {OLD_MODULE} import AgentNotFoundError, ExecutionEngine",),
          provides=frozenset({"AgentNotFoundError"})),
)


@dataclass(frozen=True)
class GeneratedTest:
    """One generated test function."""

    name: str
    fixtures: tuple[str, ...]
    needs: tuple[str, ...]  #: keys of IMPORTS
    body: tuple[str, ...]  #: lines, without the function's indentation


def _fixtures(shape: Shape) -> tuple[str, ...]:
    return ("registry", "bridge", "make_context") if shape.contextual else ("registry", "bridge")


def _slug(topic: str) -> str:
    return topic.replace("_", "-")


def _start(shape: Shape, user: str, var: str = "engine", ctx: str = "ctx") -> list[str]:
    if shape.contextual:
        return [f'{ctx} = make_context("{user}")', f"{var} = {shape.build(ctx)}"]
    return [f"{var} = {shape.build(ctx)}"]


def events_in_order(shape: Shape, topic: str, agent: str) -> GeneratedTest:
    user = f"{_slug(topic)}-user"
    body = [*_start(shape, user), f'result = engine.execute_agent("{agent}", "status of {topic} for {user}")']
    if shape.contextual:
        body += [f'events = bridge.events_for("{user}")', f'assert result.user_id == "{user}"']
    else:
        body += ["events = bridge.events_for_run(result.run_id)",
                 "assert all(event.user_id == result.user_id for event in events)"]
    body += ["assert [event.type for event in events] == list(CRITICAL_EVENTS)",
             "assert {event.run_id for event in events} == {result.run_id}"]
    return GeneratedTest(f"test_{topic}_events_reach_user_in_order", _fixtures(shape), ("CRITICAL_EVENTS",), tuple(body))


def two_users_isolated(shape: Shape, topic: str, agent: str) -> GeneratedTest:
    alice, bob = f"alice-{_slug(topic)}", f"bob-{_slug(topic)}"
    body = [*_start(shape, alice, "engine_a", "alice"), *_start(shape, bob, "engine_b", "bob"),
            f'result_a = engine_a.execute_agent("{agent}", "private plan of {alice}")',
            f'result_b = engine_b.execute_agent("{agent}", "private plan of {bob}")',
            f'assert (result_a.user_id, result_b.user_id) == ("{alice}", "{bob}")',
            f'assert {{event.run_id for event in bridge.events_for("{alice}")}} == {{result_a.run_id}}',
            f'assert {{event.run_id for event in bridge.events_for("{bob}")}} == {{result_b.run_id}}',
            f'assert not any("{bob}" in str(event.payload) for event in bridge.events_for("{alice}"))',
            f'assert not any("{alice}" in str(event.payload) for event in bridge.events_for("{bob}"))']
    return GeneratedTest(f"test_{topic}_users_never_see_each_other", _fixtures(shape), (), tuple(body))


def pipeline(shape: Shape, topic: str, agent: str) -> GeneratedTest:
    steps = f'["{agent}", "data_agent", "reporting_agent"]'
    body = [*_start(shape, f"{_slug(topic)}-user"), f'results = engine.execute_pipeline({steps}, "{topic} pipeline")',
            f"assert [result.agent_name for result in results] == {steps}",
            "events = [event for result in results for event in bridge.events_for_run(result.run_id)]",
            "assert [event.type for event in events] == list(CRITICAL_EVENTS) * 3",
            "assert len({result.user_id for result in results}) == 1"]
    return GeneratedTest(f"test_{topic}_pipeline_emits_every_event", _fixtures(shape), ("CRITICAL_EVENTS",),
                    tuple(body))


def stats_and_cleanup(shape: Shape, topic: str, agent: str) -> GeneratedTest:
    user = f"{_slug(topic)}-user"
    body = [*_start(shape, user), f'engine.execute_agent("{agent}", "{topic} stats")',
            "stats = engine.get_execution_stats()",
            'assert stats["total_executions"] >= 1',
            'assert stats["active_runs"] == 0',
            f'assert stats["user_id"] == "{user}"' if shape.contextual
            else 'assert stats["user_id"] == engine.user_context.user_id',
            "engine.cleanup()",
            "with pytest.raises(RuntimeError):",
            f'    engine.execute_agent("{agent}", "after cleanup")']
    return GeneratedTest(f"test_{topic}_cleanup_closes_engine", _fixtures(shape), ("pytest",), tuple(body))


def unknown_agent(shape: Shape, topic: str, agent: str) -> GeneratedTest:
    body = [*_start(shape, f"{_slug(topic)}-user"),
            "with pytest.raises(AgentNotFoundError):",
            f'    engine.execute_agent("{topic}_missing_agent", "anyone there?")',
            "assert bridge.events == []"]
    return GeneratedTest(f"test_{topic}_unknown_agent_emits_nothing", _fixtures(shape),
                    ("pytest", "AgentNotFoundError"), tuple(body))


def concurrent_users(shape: Shape, topic: str, agent: str) -> GeneratedTest:
    body = [f'users = [f"{_slug(topic)}-user-{{n:02d}}" for n in range(10)]',
            "",
            "def run(user_id):",
            "    context = make_context(user_id)",
            f"    engine = {shape.build('context')}",
            f'    return engine.execute_agent("{agent}", f"request of {{user_id}}")',
            "",
            "with ThreadPoolExecutor(max_workers=4) as pool:",
            "    results = list(pool.map(run, users))",
            "for user_id, result in zip(users, results):",
            "    events = bridge.events_for(user_id)",
            "    assert [event.type for event in events] == list(CRITICAL_EVENTS)",
            "    assert {event.run_id for event in events} == {result.run_id}",
            "    others = [other for other in users if other != user_id]",
            "    assert not any(other in str(event.payload) for event in events for other in others)"]
    return GeneratedTest(f"test_{topic}_ten_users_stay_isolated", _fixtures(shape),
                    ("ThreadPoolExecutor", "CRITICAL_EVENTS"), tuple(body))


Scenario = Callable[[Shape, str, str], GeneratedTest]

SCENARIOS: tuple[Scenario, ...] = (events_in_order, two_users_isolated, pipeline, stats_and_cleanup,
                                   unknown_agent, concurrent_users)
CONTEXT_ONLY: frozenset[Scenario] = frozenset({two_users_isolated, concurrent_users})
