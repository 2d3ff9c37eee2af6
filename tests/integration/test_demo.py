"""The README's first command: the sample migrated end to end through the local pipeline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot import markers


def test_demo_opens_one_pull_per_category_and_reports_every_hard_case(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "bot.cli", "demo", "--dest", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    records = sorted((tmp_path / ".migration-bot" / "pulls").rglob("*.json"))
    pulls = [json.loads(p.read_text())["pull"] for p in records]
    assert [markers.parse_marker(p["body"]).category for p in pulls] == [
        "mission-critical", "integration", "e2e", "unit"]
    assert "NO" not in run.stdout.split("Planted hard cases", 1)[1]
    unit = pulls[3]["body"]
    assert "test_stats_add_up_across_engines_of_one_user" in unit
    assert "needs attention" in run.stdout
