"""Sources of the demo's two engines: the deprecated shared ExecutionEngine and its isolated successor."""

from __future__ import annotations

_DEPRECATED = '''\
"""DEPRECATED (issue #565): an execution engine whose state leaks between users; use UserExecutionEngine."""

from __future__ import annotations

import itertools
import warnings
from typing import ClassVar

from netra_backend.app.agents.registry import AgentNotFoundError, AgentRegistry
from netra_backend.app.agents.supervisor.agent_execution_core import AgentExecutionResult, run_agent
from netra_backend.app.services.user_execution_context import UserExecutionContext
from netra_backend.app.websocket_core.bridge import AgentWebSocketBridge

__all__ = ["AgentNotFoundError", "ExecutionEngine"]

_run_ids = itertools.count(1)


class ExecutionEngine:
    """Runs agents for a user - and shares what it must not (the security bug):

    - `_shared_stats` counts the runs of every engine, so one user's stats include another's work;
    - `_default_context` is ONE context for every engine built without `user_context`, so two such
      engines deliver their events to the same user;
    - the registry's Agent objects are used directly, one instance for all users.
    """

    _shared_stats: ClassVar[dict[str, int]] = {"total_executions": 0}
    _default_context: ClassVar[UserExecutionContext] = UserExecutionContext.for_user("default_user")

    def __init__(self, registry: AgentRegistry, websocket_bridge: AgentWebSocketBridge,
                 user_context: UserExecutionContext | None = None) -> None:
        warnings.warn("ExecutionEngine is deprecated; use UserExecutionEngine.from_registry",
                      DeprecationWarning, stacklevel=2)
        self.registry = registry
        self.websocket_bridge = websocket_bridge
        self.user_context = user_context or ExecutionEngine._default_context
        self._active_runs: dict[str, str] = {}
        self._closed = False

    def execute_agent(self, agent_name: str, message: str) -> AgentExecutionResult:
        if self._closed:
            raise RuntimeError("engine was cleaned up")
        agent = self.registry.get(agent_name)
        run_id = f"run-{next(_run_ids)}"
        user_id = self.user_context.user_id

        def emit(event_type: str, payload: dict[str, str]) -> object:
            return self.websocket_bridge.emit(user_id, run_id, event_type, agent_name, payload)

        self._active_runs[run_id] = agent_name
        try:
            result = run_agent(agent, message, user_id=user_id, run_id=run_id, emit=emit)
        finally:
            del self._active_runs[run_id]
        ExecutionEngine._shared_stats["total_executions"] += 1
        return result

    def execute_pipeline(self, agent_names: list[str], message: str) -> list[AgentExecutionResult]:
        results = []
        for agent_name in agent_names:
            results.append(self.execute_agent(agent_name, message))
            message = results[-1].output
        return results

    def get_execution_stats(self) -> dict[str, object]:
        return {
            "user_id": self.user_context.user_id,
            "total_executions": ExecutionEngine._shared_stats["total_executions"],
            "active_runs": len(self._active_runs),
        }

    def cleanup(self) -> None:
        self._active_runs.clear()
        self._closed = True
'''

_ISOLATED = '''\
"""The per-user execution engine: one context, one agent factory, one emitter; nothing shared."""

from __future__ import annotations

import itertools

from netra_backend.app.agents.registry import AgentRegistry
from netra_backend.app.agents.supervisor.agent_execution_core import AgentExecutionResult, run_agent
from netra_backend.app.agents.supervisor.agent_instance_factory import AgentInstanceFactory
from netra_backend.app.services.user_execution_context import UserExecutionContext
from netra_backend.app.websocket_core.bridge import AgentWebSocketBridge
from netra_backend.app.websocket_core.user_emitter import UserWebSocketEmitter

_run_ids = itertools.count(1)


class UserExecutionEngine:
    """Runs agents for exactly one user; its stats and events are that user's alone."""

    def __init__(self, context: UserExecutionContext, agent_factory: AgentInstanceFactory,
                 websocket_emitter: UserWebSocketEmitter) -> None:
        if websocket_emitter.context.user_id != context.user_id:
            raise ValueError("the emitter belongs to another user")
        self.context = context
        self.agent_factory = agent_factory
        self.websocket_emitter = websocket_emitter
        self._history: list[AgentExecutionResult] = []
        self._active_runs: dict[str, str] = {}
        self._closed = False

    @classmethod
    def from_registry(cls, registry: AgentRegistry, websocket_bridge: AgentWebSocketBridge,
                      user_context: UserExecutionContext | None = None) -> UserExecutionEngine:
        """Stand-in for the deprecated `ExecutionEngine(registry, websocket_bridge, user_context=None)`.

        A missing context (the old default) gets a fresh anonymous one of its own, never a shared one.
        """
        context = user_context if user_context is not None else UserExecutionContext.anonymous()
        return cls(context, AgentInstanceFactory(registry), UserWebSocketEmitter(websocket_bridge, context))

    @property
    def user_context(self) -> UserExecutionContext:
        """The name the deprecated engine used for `context`."""
        return self.context

    def execute_agent(self, agent_name: str, message: str) -> AgentExecutionResult:
        if self._closed:
            raise RuntimeError("engine was cleaned up")
        agent = self.agent_factory.create(agent_name, self.context)
        run_id = f"user-run-{next(_run_ids)}"

        def emit(event_type: str, payload: dict[str, str]) -> object:
            return self.websocket_emitter.emit(run_id, event_type, agent_name, payload)

        self._active_runs[run_id] = agent_name
        try:
            result = run_agent(agent, message, user_id=self.context.user_id, run_id=run_id, emit=emit)
        finally:
            del self._active_runs[run_id]
        self._history.append(result)
        return result

    def execute_pipeline(self, agent_names: list[str], message: str) -> list[AgentExecutionResult]:
        results = []
        for agent_name in agent_names:
            results.append(self.execute_agent(agent_name, message))
            message = results[-1].output
        return results

    def get_execution_stats(self) -> dict[str, object]:
        return {
            "user_id": self.context.user_id,
            "total_executions": len(self._history),
            "active_runs": len(self._active_runs),
        }

    def cleanup(self) -> None:
        self._active_runs.clear()
        self._history.clear()
        self._closed = True
'''

ENGINE_SOURCES: dict[str, str] = {
    "netra_backend/app/agents/supervisor/execution_engine.py": _DEPRECATED,
    "netra_backend/app/agents/supervisor/user_execution_engine.py": _ISOLATED,
}
