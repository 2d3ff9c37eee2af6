"""Issue 14: the reliability run's short mode, through the real stack (redis-server, the Procfile's web,
workers and beat, the fake GitHub over HTTP), must end with zero loss: exit 0 and its table printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def test_short_reliability_run_loses_nothing() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "bench/reliability.py", "--short", "--seed", "14"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    assert "seed 14" in out
    assert "zero loss" in out
    for scenario in ("0 baseline", "1 worker SIGKILLed", "2 GitHub faults", "3 Redis flushed", "4 human push",
                     "5 hostile repositories", "6a load"):
        assert scenario in out, out[-3000:]
