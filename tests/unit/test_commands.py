"""Comment text -> commands: what counts as a command line, what is prose, and that nothing raises."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands import MAX_COMMANDS, MAX_TEXT, Command, parse_commands
from workers.contract import Verb, help_text

BOT = "migration-bot"


@pytest.mark.parametrize(
    ("text", "verbs"),
    [
        ("@migration-bot merge", [Verb.MERGE]),
        ("@Migration-Bot MERGE", [Verb.MERGE]),
        ("  @migration-bot rebase  ", [Verb.REBASE]),
        ("@migration-bot merge.", [Verb.MERGE]),
        ("@migration-bot cancel-merge", [Verb.CANCEL_MERGE]),
        ("@migration-bot cancel merge", [Verb.CANCEL_MERGE]),
        ("@migration-bot retry\n@migration-bot skip", [Verb.RETRY, Verb.SKIP]),
        ("Looks good!\n\n@migration-bot merge\nthanks", [Verb.MERGE]),
        ("@migration-bot help", [Verb.HELP]),
        ("@migration-bot frobnicate now", [Verb.UNKNOWN]),
        ("@migration-bot cancel", [Verb.UNKNOWN]),
        ("@migration-bot\tmerge", [Verb.MERGE]),
        ("line one\r\n@migration-bot merge\r\n", [Verb.MERGE]),
    ],
)
def test_command_lines(text: str, verbs: list[Verb]) -> None:
    assert [c.verb for c in parse_commands(text, BOT)] == verbs


@pytest.mark.parametrize(
    "text",
    [
        "",
        "@migration-bot",  # a bare mention is no command
        "please @migration-bot merge this",  # a mention inside a sentence is prose
        "> @migration-bot merge",  # quoting an earlier command does not run it again
        ">@migration-bot merge",
        "```\n@migration-bot merge\n```",
        "~~~text\n@migration-bot merge\n~~~",
        "````\n```\n@migration-bot merge\n````",  # a shorter fence inside a longer one does not close it
        "@migration-bot-dev merge",  # another bot's name
        "@migration-botmerge",
        "@other merge",
    ],
)
def test_prose_is_not_a_command(text: str) -> None:
    assert parse_commands(text, BOT) == []


def test_text_after_a_closed_fence_counts() -> None:
    text = "```\n@migration-bot skip\n```\n@migration-bot merge"
    assert [c.verb for c in parse_commands(text, BOT)] == [Verb.MERGE]


def test_unknown_keeps_what_was_written() -> None:
    [command] = parse_commands("@migration-bot Frobnicate Now", BOT)
    assert command == Command(Verb.UNKNOWN, ("Now",), "@migration-bot Frobnicate Now")


def test_at_most_a_few_commands_per_comment() -> None:
    text = "\n".join(["@migration-bot retry"] * (MAX_COMMANDS + 10))
    assert len(parse_commands(text, BOT)) == MAX_COMMANDS


def test_long_lines_are_capped_in_text() -> None:
    [command] = parse_commands("@migration-bot merge " + "x" * 10_000, BOT)
    assert command.verb is Verb.MERGE and len(command.text) == MAX_TEXT


def test_help_lists_every_verb_and_no_line_is_a_command() -> None:
    text = help_text(BOT)
    for verb in Verb:
        assert (f"`@{BOT} {verb.value}`" in text) is (verb is not Verb.UNKNOWN)
    assert parse_commands(text, BOT) == []  # the bot's own reply can never command it


@given(st.text(), st.sampled_from([BOT, "x", "a-b_c"]))
def test_never_raises(text: str, bot_name: str) -> None:
    commands = parse_commands(text, bot_name)
    assert len(commands) <= MAX_COMMANDS
    assert all(isinstance(c.verb, Verb) and len(c.text) <= MAX_TEXT for c in commands)


def render_command(command: Command, bot_name: str) -> str:
    """The canonical line for `command` (parse_commands gives it back)."""
    return " ".join(("@" + bot_name, command.verb.value, *command.args))


_WORD = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), min_size=1,
                max_size=12).filter(lambda w: w == w.strip() and len(w.split()) == 1)
_COMMAND = st.builds(Command, st.sampled_from(list(Verb)), st.lists(_WORD, max_size=3).map(tuple))


@given(st.lists(_COMMAND, min_size=1, max_size=MAX_COMMANDS),
       st.lists(st.sampled_from(["", "Thanks!", "> @migration-bot skip", "see the log above"]), max_size=4))
def test_round_trip(commands: list[Command], prose: list[str]) -> None:
    lines = [render_command(c, BOT) for c in commands]
    text = "\n".join(prose + lines)
    parsed = parse_commands(text, BOT)
    assert [(c.verb, c.args) for c in parsed] == [(c.verb, c.args) for c in commands]
    assert [c.text for c in parsed] == [line[:MAX_TEXT] for line in lines]
