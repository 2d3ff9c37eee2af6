"""Events reach the right user."""
from typing import TYPE_CHECKING

import pytest

from netra_backend.app.agents.supervisor.user_execution_engine import UserExecutionEngine

if TYPE_CHECKING:
    from netra_backend.app.agents.supervisor.user_execution_engine import UserExecutionEngine as EE


def test_events(registry, bridge) -> None:
    engine: "EE" = UserExecutionEngine(registry, bridge)
    assert isinstance(engine, UserExecutionEngine)
