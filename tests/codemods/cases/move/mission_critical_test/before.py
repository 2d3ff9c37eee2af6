"""Events reach the right user."""
from typing import TYPE_CHECKING

import pytest

from netra_backend.app.agents.supervisor.execution_engine import ExecutionEngine

if TYPE_CHECKING:
    from netra_backend.app.agents.supervisor.execution_engine import ExecutionEngine as EE


def test_events(registry, bridge) -> None:
    engine: "EE" = ExecutionEngine(registry, bridge)
    assert isinstance(engine, ExecutionEngine)
