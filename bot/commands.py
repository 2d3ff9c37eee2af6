"""Comment text -> the commands a maintainer gave the bot (`@migration-bot merge`); pure parsing.

A command is a line that starts with the bot's mention followed by a verb, like Dependabot's
`@dependabot rebase`. A mention inside a sentence, a quoted line (`> ...`, a reply quoting an earlier
command) and anything inside a fenced code block are prose, never commands, so quoting a command back
to someone does not run it again. Nothing here raises on any text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workers.contract import Verb

#: commands taken from one comment; the rest are ignored (a pasted log must not fan out into jobs)
MAX_COMMANDS = 5
#: characters of a line kept in `Command.text` (it goes into logs and replies)
MAX_TEXT = 200
#: punctuation people put after a verb ("@bot merge.") that is not part of it
_TRAILING = ".,!?:;"
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Command:
    verb: Verb
    args: tuple[str, ...] = ()  #: words after the verb, as written
    text: str = ""  #: the command line as written (capped at MAX_TEXT), e.g. to quote an unknown verb


def parse_commands(text: str, bot_name: str) -> list[Command]:
    """The commands in a comment, in order, at most MAX_COMMANDS; [] when there are none.

    The mention is matched case-insensitively (GitHub logins are) and must be the whole first word,
    so `@migration-bot-dev merge` is not addressed to `migration-bot`. A bare mention is no command.
    """
    mention = "@" + bot_name.lower()
    found: list[Command] = []
    for line in _command_lines(text):
        command = _parse_line(line, mention)
        if command is not None:
            found.append(command)
            if len(found) == MAX_COMMANDS:
                break
    return found


def _command_lines(text: str) -> list[str]:
    """Lines outside fenced code blocks and not quoted, stripped."""
    lines: list[str] = []
    fence: str | None = None
    for raw in text.splitlines():
        opened = _FENCE_RE.match(raw)
        if fence is not None:
            closing = raw.strip()
            if len(closing) >= len(fence) and set(closing) == {fence[0]}:
                fence = None
            continue
        if opened:
            fence = opened[1]
            continue
        line = raw.strip()
        if line and not line.startswith(">"):
            lines.append(line)
    return lines


def _parse_line(line: str, mention: str) -> Command | None:
    words = line.split()
    if len(words) < 2 or words[0].lower() != mention:
        return None
    word, args = words[1].lower().rstrip(_TRAILING), tuple(words[2:])
    if word == "cancel" and args and args[0].lower().rstrip(_TRAILING) == "merge":
        word, args = Verb.CANCEL_MERGE.value, args[1:]  # "cancel merge", as Dependabot spells it
    try:
        verb = Verb(word)
    except ValueError:
        verb = Verb.UNKNOWN
    return Command(verb, args, line[:MAX_TEXT])
