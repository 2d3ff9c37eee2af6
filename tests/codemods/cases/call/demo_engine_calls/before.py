from netra_backend.app.agents.supervisor import execution_engine as ee
from netra_backend.app.agents.supervisor.execution_engine import ExecutionEngine


def make(registry, bridge, context):
    first = ExecutionEngine(registry, bridge)
    second = ExecutionEngine(
        registry,  # shared registry
        websocket_bridge=bridge,
        user_context=context,
    )
    return first, second, ee.ExecutionEngine(registry, bridge, context)
