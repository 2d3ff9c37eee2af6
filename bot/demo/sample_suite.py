"""The demo's generated test suite: which files go where, and the text of each one."""

from __future__ import annotations

from dataclasses import dataclass

from bot.demo.sample_planted import PLANTED_SOURCES
from bot.demo.sample_scenarios import (
    CONTEXT_ONLY,
    IMPORTS,
    SCENARIOS,
    SHAPES,
    GeneratedTest,
    Scenario,
    Shape,
    unknown_agent,
)

_TOPICS = (
    "triage", "data_agent", "optimization", "reporting", "supervisor", "tool_dispatch", "streaming",
    "reconnect", "multi_user", "thread_resume", "cost_analysis", "quota", "handoff", "retry", "audit_log",
    "session_restore", "pipeline", "fallback", "latency", "tenant_boundary",
)
_AGENTS = ("triage_agent", "data_agent", "optimization_agent", "reporting_agent")


@dataclass(frozen=True)
class _Group:
    folder: str  #: category folder, e.g. "tests/integration"
    subfolder: str  #: "" or a sub-folder of it
    pattern: str  #: file name with "{}" for the topic
    count: int  #: generated files (planted ones come on top)
    phase: str  #: the plan's phase, for the module docstrings


GROUPS: tuple[_Group, ...] = (
    _Group("tests/mission_critical", "", "test_websocket_agent_events_{}.py", 12, "Phase 1, mission critical"),
    _Group("tests/mission_critical", "", "test_agent_execution_{}.py", 12, "Phase 1, mission critical"),
    _Group("tests/integration", "", "test_agent_{}_integration.py", 9, "Phase 2, integration"),
    _Group("tests/integration", "agents", "test_{}_integration.py", 13, "Phase 2, integration"),
    _Group("tests/integration", "websocket", "test_{}.py", 12, "Phase 2, integration"),
    _Group("tests/integration", "golden_path", "test_golden_path_{}.py", 10, "Phase 2, integration"),
    _Group("tests/e2e", "", "test_agent_orchestration_{}.py", 16, "Phase 3, end to end"),
    _Group("tests/e2e", "websocket_e2e_tests", "test_{}_e2e.py", 14, "Phase 3, end to end"),
    _Group("tests/unit", "agents", "test_{}.py", 16, "Phase 4, unit"),
    _Group("tests/unit", "ssot_validation", "test_{}_ssot.py", 11, "Phase 4, unit"),
)

_CONFTEST = '''\
"""Fixtures shared by every test: a registry, a recording WebSocket bridge, user contexts."""

from __future__ import annotations

import pytest

from netra_backend.app.agents.registry import AgentRegistry
from netra_backend.app.services.user_execution_context import UserExecutionContext
from netra_backend.app.websocket_core.bridge import AgentWebSocketBridge


@pytest.fixture
def registry():
    return AgentRegistry()


@pytest.fixture
def bridge():
    return AgentWebSocketBridge()


@pytest.fixture
def make_context():
    return UserExecutionContext.for_user
'''

_PYTEST_INI = '''\
[pytest]
pythonpath = .
testpaths = tests
addopts = -p no:cacheprovider
# The migration (issue #565) removes the cause; until then keep the output readable.
filterwarnings =
    ignore:ExecutionEngine is deprecated:DeprecationWarning
'''

_README = '''\
# netra-backend (demo)

A small agent backend shaped like the one behind issue #565: `ExecutionEngine` shares state between
users and is deprecated; `UserExecutionEngine` isolates each user. 128 test imports still use the old
engine. Run the tests with `python -m pytest -q`.
'''

PROJECT_SOURCES: dict[str, str] = {
    "README.md": _README,
    "pytest.ini": _PYTEST_INI,
    ".gitignore": "__pycache__/\n*.pyc\n.pytest_cache/\n",
    "tests/__init__.py": "",
    "tests/conftest.py": _CONFTEST,
}


def suite_sources() -> dict[str, str]:
    """Every generated test file and package marker, by path relative to the sample root."""
    sources = dict(PROJECT_SOURCES)
    index = 0
    for group_number, group in enumerate(GROUPS):
        directory = f"{group.folder}/{group.subfolder}".rstrip("/")
        sources[f"{group.folder}/__init__.py"] = ""
        sources[f"{directory}/__init__.py"] = ""
        for position in range(group.count):
            topic = _TOPICS[(group_number * 3 + position) % len(_TOPICS)]
            path = f"{directory}/{group.pattern.format(topic)}"
            sources[path] = test_module(group.phase, topic, index)
            index += 1
    sources.update(PLANTED_SOURCES)
    return sources


def test_module(phase: str, topic: str, index: int) -> str:
    """The text of the index-th generated test file: one deprecated import, one or two tests."""
    shape = SHAPES[index % len(SHAPES)]
    agent = _AGENTS[index % len(_AGENTS)]
    tests = [_scenario(shape, index)(shape, topic, agent)]
    if not shape.inline and index % 4 == 1:
        second = _scenario(shape, index, offset=1)(shape, topic, agent)
        if second.name != tests[0].name:
            tests.append(second)
    return _render(f"{topic.replace('_', ' ').capitalize()}: {phase} checks of agent execution.", shape, tests)


def _scenario(shape: Shape, index: int, offset: int = 0) -> Scenario:
    """Cycle each shape through the scenarios it can express, so no pairing repeats too often."""
    if "AgentNotFoundError" in shape.provides:
        return unknown_agent
    allowed = [s for s in SCENARIOS if shape.contextual or s not in CONTEXT_ONLY]
    return allowed[(index // len(SHAPES) + offset) % len(allowed)]


def _render(docstring: str, shape: Shape, tests: list[GeneratedTest]) -> str:
    needs = {name for test in tests for name in test.needs} - shape.provides
    lines = [IMPORTS[name] for name in needs] + list(shape.imports)
    stdlib = sorted((line for line in lines if not line.split()[1].startswith(("netra_backend", "pytest"))),
                    key=_isort_key)
    third = [line for line in lines if line.split()[1] == "pytest"]
    first = sorted((line for line in lines if line.split()[1].startswith("netra_backend")), key=_isort_key)
    parts = [f'"""{docstring}"""', "from __future__ import annotations"]
    parts += ["\n".join(group) for group in (stdlib, third, first) if group]
    text = "\n\n".join(parts) + "\n"
    if shape.block:
        text += shape.block
    for test in tests:
        text += "\n\n" + _function(test, shape.inline)
    return text


def _isort_key(line: str) -> tuple[bool, str]:
    """isort's order within a section: plain `import` lines first, then `from` lines, by module."""
    return line.startswith("from "), line.split()[1]


def _function(test: GeneratedTest, inline: str) -> str:
    body = [inline, *test.body] if inline else list(test.body)
    lines = [f"def {test.name}({', '.join(test.fixtures)}):"]
    lines += [f"    {line}" if line else "" for line in body]
    return "\n".join(lines) + "\n"
