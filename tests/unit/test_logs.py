"""Log lines are JSON objects that keep the structured fields passed with `extra`."""

from __future__ import annotations

import json
import logging

from bot.logs import CAP, JsonFormatter, capped


def _format(**extra: object) -> dict[str, object]:
    record = logging.getLogger("bot.test").makeRecord(
        "bot.test", logging.INFO, __file__, 1, "pull request ready %s", ("#3",), None, extra=extra)
    return json.loads(JsonFormatter().format(record))


def test_a_line_keeps_message_level_and_extra_fields() -> None:
    line = _format(repo="o/r", campaign="c", pull=3)

    assert line["message"] == "pull request ready #3"
    assert line["level"] == "INFO"
    assert (line["repo"], line["campaign"], line["pull"]) == ("o/r", "c", 3)
    assert "args" not in line and "msg" not in line


def test_values_that_are_not_json_become_text() -> None:
    line = _format(path=object())

    assert isinstance(line["path"], str)


def test_capped_keeps_short_values_and_cuts_long_ones_saying_how_much() -> None:
    assert capped("push") == "push"
    cut = capped("x" * 5000)
    assert cut.startswith("x" * CAP) and cut.endswith(f"[{5000 - CAP} more]") and len(cut) < CAP + 20
    assert capped({"a": 1}) == "{'a': 1}"
