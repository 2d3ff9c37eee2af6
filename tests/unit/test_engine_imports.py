"""The engine stays pure: importing it loads no web, queue, GitHub or process-running module."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ("bot.engine.plan", "bot.engine.apply", "bot.engine.validate", "bot.engine.report",
          "bot.engine.codemods", "bot.engine.references", "bot.engine.tree", "bot.engine.culprits")
FORBIDDEN = ("flask", "celery", "redis", "github", "kombu", "werkzeug", "requests",
             "bot.testrun", "bot.gitops", "bot.forge", "bot.app", "bot.cli", "workers")


def test_the_engine_imports_none_of_the_edges() -> None:
    code = f"import json, sys\nimport {', '.join(ENGINE)}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    assert set(ENGINE) <= set(loaded)  # the check is meaningful only if the engine really loaded
    leaked = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert leaked == []
