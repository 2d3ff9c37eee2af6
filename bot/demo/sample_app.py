"""Sources of the demo's `netra_backend` package: agents, contexts and the WebSocket bridge."""

from __future__ import annotations

from bot.demo.sample_engines import ENGINE_SOURCES

_CONTEXT = '''\
"""Who a request runs for: the per-user context every isolated execution carries."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

_anonymous_ids = itertools.count(1)


@dataclass(frozen=True)
class UserExecutionContext:
    """Identity of one user's request; an engine never shares it with another user."""

    user_id: str
    thread_id: str
    request_id: str

    @classmethod
    def for_user(cls, user_id: str) -> UserExecutionContext:
        return cls(user_id=user_id, thread_id=f"thread-{user_id}", request_id=f"req-{user_id}")

    @classmethod
    def anonymous(cls) -> UserExecutionContext:
        """A fresh context nobody else holds, for callers that never said who they run for."""
        return cls.for_user(f"anonymous-{next(_anonymous_ids)}")
'''

_REGISTRY = '''\
"""The agent registry: which agents exist and the one tool each of them uses."""

from __future__ import annotations

DEFAULT_AGENTS = {
    "triage_agent": "classify_request",
    "data_agent": "query_metrics",
    "optimization_agent": "suggest_savings",
    "reporting_agent": "render_report",
}


class AgentNotFoundError(LookupError):
    """The registry has no agent by that name."""


class Agent:
    """A small deterministic agent: thinks about the message, calls its tool, answers."""

    def __init__(self, name: str, tool: str, user_id: str | None = None) -> None:
        self.name = name
        self.tool = tool
        self.user_id = user_id

    def think(self, message: str) -> str:
        return f"{self.name} considers {message!r}"

    def call_tool(self, message: str) -> str:
        return f"{self.tool} read {len(message.split())} words"

    def answer(self, message: str, tool_result: str) -> str:
        return f"{self.name} answered {message!r} ({tool_result})"


class AgentRegistry:
    """One shared Agent per name; per-user code asks AgentInstanceFactory for fresh ones."""

    def __init__(self, agents: dict[str, str] | None = None) -> None:
        self._agents = {name: Agent(name, tool) for name, tool in (agents or DEFAULT_AGENTS).items()}

    def get(self, name: str) -> Agent:
        try:
            return self._agents[name]
        except KeyError:
            raise AgentNotFoundError(name) from None

    def names(self) -> list[str]:
        return sorted(self._agents)
'''

_BRIDGE = '''\
"""The WebSocket bridge: delivers agent events to a user's connection and remembers them."""

from __future__ import annotations

from dataclasses import dataclass, field

#: the events a user must see for every agent run, in this order
CRITICAL_EVENTS = ("agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed")


@dataclass(frozen=True)
class WebSocketEvent:
    user_id: str
    run_id: str
    type: str
    agent_name: str
    payload: dict[str, str] = field(default_factory=dict)


class AgentWebSocketBridge:
    """Sends events to users; keeps every sent event so tests can see who received what."""

    def __init__(self) -> None:
        self._sent: list[WebSocketEvent] = []

    def emit(self, user_id: str, run_id: str, event_type: str, agent_name: str,
             payload: dict[str, str] | None = None) -> WebSocketEvent:
        if event_type not in CRITICAL_EVENTS:
            raise ValueError(f"unknown event type {event_type!r}")
        event = WebSocketEvent(user_id, run_id, event_type, agent_name, dict(payload or {}))
        self._sent.append(event)
        return event

    @property
    def events(self) -> list[WebSocketEvent]:
        return list(self._sent)

    def events_for(self, user_id: str) -> list[WebSocketEvent]:
        return [event for event in self._sent if event.user_id == user_id]

    def events_for_run(self, run_id: str) -> list[WebSocketEvent]:
        return [event for event in self._sent if event.run_id == run_id]

    def users(self) -> set[str]:
        return {event.user_id for event in self._sent}
'''

_EMITTER = '''\
"""A WebSocket emitter bound to one user: it cannot send an event to anybody else."""

from __future__ import annotations

from netra_backend.app.services.user_execution_context import UserExecutionContext
from netra_backend.app.websocket_core.bridge import AgentWebSocketBridge, WebSocketEvent


class UserWebSocketEmitter:
    """Wraps the shared bridge for exactly one user; every event carries that user's id."""

    def __init__(self, bridge: AgentWebSocketBridge, context: UserExecutionContext) -> None:
        self._bridge = bridge
        self.context = context

    def emit(self, run_id: str, event_type: str, agent_name: str,
             payload: dict[str, str] | None = None) -> WebSocketEvent:
        return self._bridge.emit(self.context.user_id, run_id, event_type, agent_name, payload)
'''

_FACTORY = '''\
"""Builds agent instances for one user, so no agent state is shared between users."""

from __future__ import annotations

from netra_backend.app.agents.registry import Agent, AgentRegistry
from netra_backend.app.services.user_execution_context import UserExecutionContext


class AgentInstanceFactory:
    """Reads agent definitions from the registry and hands out a fresh instance per call."""

    def __init__(self, registry: AgentRegistry) -> None:
        self.registry = registry

    def create(self, agent_name: str, context: UserExecutionContext) -> Agent:
        template = self.registry.get(agent_name)
        return Agent(template.name, template.tool, user_id=context.user_id)
'''

_CORE = '''\
"""One agent run and the five events it owes the user, shared by both engines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from netra_backend.app.agents.registry import Agent
from netra_backend.app.websocket_core.bridge import CRITICAL_EVENTS

Emit = Callable[[str, dict[str, str]], object]


@dataclass(frozen=True)
class AgentExecutionResult:
    agent_name: str
    user_id: str
    run_id: str
    output: str
    events: tuple[str, ...] = CRITICAL_EVENTS


def run_agent(agent: Agent, message: str, *, user_id: str, run_id: str, emit: Emit) -> AgentExecutionResult:
    """Run `agent` on `message`, emitting agent_started .. agent_completed in order."""
    emit("agent_started", {"message": message})
    emit("agent_thinking", {"thought": agent.think(message)})
    emit("tool_executing", {"tool": agent.tool})
    tool_result = agent.call_tool(message)
    emit("tool_completed", {"tool": agent.tool, "result": tool_result})
    output = agent.answer(message, tool_result)
    emit("agent_completed", {"output": output})
    return AgentExecutionResult(agent.name, user_id, run_id, output)
'''

_PACKAGES = (
    "netra_backend",
    "netra_backend/app",
    "netra_backend/app/agents",
    "netra_backend/app/agents/supervisor",
    "netra_backend/app/services",
    "netra_backend/app/websocket_core",
)

APP_SOURCES: dict[str, str] = {
    **{f"{package}/__init__.py": "" for package in _PACKAGES},
    "netra_backend/app/services/user_execution_context.py": _CONTEXT,
    "netra_backend/app/agents/registry.py": _REGISTRY,
    "netra_backend/app/websocket_core/bridge.py": _BRIDGE,
    "netra_backend/app/websocket_core/user_emitter.py": _EMITTER,
    "netra_backend/app/agents/supervisor/agent_instance_factory.py": _FACTORY,
    "netra_backend/app/agents/supervisor/agent_execution_core.py": _CORE,
    **ENGINE_SOURCES,
}
