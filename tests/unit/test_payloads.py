"""bot.payloads: strict typed views of webhook fields; errors name fields, never echo a sender's values."""

from __future__ import annotations

import pytest

from bot.payloads import MAX_ERRORS_SAID, CommentEvent, PayloadError, PushEvent, read


def test_missing_and_null_fields_read_as_absent() -> None:
    event = read(PushEvent, {"repository": None, "commits": None})
    assert (event.repo, event.installation_id, event.commits) == (None, None, None)


def test_strict_types_no_coercion() -> None:
    with pytest.raises(PayloadError, match=r"installation\.id"):
        read(PushEvent, {"installation": {"id": "7"}})
    with pytest.raises(PayloadError, match=r"deleted"):
        read(PushEvent, {"deleted": "false"})


def test_error_text_names_fields_not_values() -> None:
    secret_looking = "ghp_" + "A" * 36
    with pytest.raises(PayloadError) as caught:
        read(CommentEvent, {"comment": {"id": secret_looking}})
    assert "comment.id" in str(caught.value) and secret_looking not in str(caught.value)


def test_many_errors_are_counted_not_all_quoted() -> None:
    commits = [{"added": i} for i in range(MAX_ERRORS_SAID + 4)]
    with pytest.raises(PayloadError, match=r"and 4 more"):
        read(PushEvent, {"commits": commits})


def test_extra_fields_are_ignored() -> None:
    event = read(CommentEvent, {"comment": {"id": 3, "reactions": {"+1": 1}}, "enterprise": [1, 2]})
    assert event.comment is not None and event.comment.id == 3
