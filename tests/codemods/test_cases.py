"""Real-world shapes: every cases/<codemod>/<case>/before.py becomes after.py, and after.py stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.campaign.spec import CallRule, MoveRule, Param, Rule
from bot.engine.codemods import transform_source

CASES = Path(__file__).parent / "cases"
ENGINE = "netra_backend.app.agents.supervisor.execution_engine.ExecutionEngine"
USER_ENGINE = "netra_backend.app.agents.supervisor.user_execution_engine.UserExecutionEngine"
ENGINE_CALL = CallRule(
    ENGINE, (Param("registry"), Param("websocket_bridge"), Param("user_context", "None")),
    "UserExecutionEngine.from_registry(registry, websocket_bridge, user_context)",
)
RULES: dict[str, dict[str, list[Rule]]] = {
    "move": {
        "django_cached_property": [MoveRule("django.utils.functional.cached_property", "functools.cached_property")],
        "mission_critical_test": [MoveRule(ENGINE, USER_ENGINE)],
    },
    "call": {"demo_engine_calls": [ENGINE_CALL, MoveRule(ENGINE, USER_ENGINE)]},
}


@pytest.mark.parametrize(
    "case", sorted(p.relative_to(CASES) for p in CASES.glob("*/*") if p.is_dir()), ids=str
)
def test_case(case: Path) -> None:
    rules = RULES[case.parts[0]][case.parts[1]]
    before = (CASES / case / "before.py").read_text()
    after = (CASES / case / "after.py").read_text()
    assert transform_source(str(case), before, rules).new_source == after
    assert transform_source(str(case), after, rules).new_source == after
