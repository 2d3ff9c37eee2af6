import netra_backend.app.agents.supervisor.user_execution_engine
from netra_backend.app.agents.supervisor.user_execution_engine import UserExecutionEngine


def make(registry, bridge, context):
    first = UserExecutionEngine.from_registry(registry, bridge, None)
    second = UserExecutionEngine.from_registry(
        registry,  # shared registry
        bridge,
        context,
    )
    return first, second, netra_backend.app.agents.supervisor.user_execution_engine.UserExecutionEngine.from_registry(registry, bridge, context)
