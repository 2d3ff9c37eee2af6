"""The README's first command: the sample migrated end to end through the local pipeline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot import markers

#: the bot's process cannot import pytest, as on a fresh `pip install -e .`: the sample's tests must run in
#: the sample's own venv (validate.setup) and still catch the planted break
NO_PYTEST = "import sys; sys.modules['pytest'] = None; from bot.cli import main; sys.exit(main(sys.argv[1:]))"


def test_demo_opens_one_pull_per_category_and_reports_every_hard_case(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-c", NO_PYTEST, "demo", "--dest", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    records = sorted((tmp_path / ".migration-bot" / "pulls").rglob("*.json"))
    pulls = [json.loads(p.read_text())["pull"] for p in records]
    assert [markers.parse_marker(p["body"]).category for p in pulls] == [
        "mission-critical", "integration", "e2e", "unit"]
    assert "NO" not in run.stdout.split("Planted hard cases", 1)[1]
    assert "tests run as a plain subprocess" in run.stdout
    unit = pulls[3]["body"]
    assert "Status: **failed**" in unit and pulls[3]["draft"] is True
    assert "- `tests/unit/ssot_validation/test_execution_stats_shared_ssot.py::" in unit
    assert "test_stats_add_up_across_engines_of_one_user" in unit
    assert all("Status: **passed**" in p["body"] for p in pulls[:3])
    assert "needs attention" in run.stdout
