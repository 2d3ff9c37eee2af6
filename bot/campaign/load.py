"""Campaign file -> spec.Campaign; every mistake is reported at once as file:line: field: message."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.campaign import models, spec
from bot.campaign.globs import glob_matches

ROOT_FIELD = "<document>"
#: largest campaign file read, in bytes; a real one is a few KiB, and YAML parsing time grows fast with size
MAX_CAMPAIGN_BYTES = 256 * 1024
#: campaign files may be named either way; a glob naming one suffix matches the other too
YAML_SUFFIXES = (".yml", ".yaml")
_ID_LINE = re.compile(r"""^campaign:[ \t]*(?P<q>["']?)(?P<id>[a-z0-9][a-z0-9-]*)(?P=q)[ \t]*(#.*)?$""", re.MULTILINE)

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One mistake in a campaign file, pointing at the line and field to fix."""

    file: str
    line: int  #: 1-based
    field: str  #: path like "rules[1].to"; ROOT_FIELD for the file as a whole
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class CampaignError(ValueError):
    """The campaign file is wrong; `problems` lists every mistake found, in file order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def is_campaign_file(glob: str, path: str) -> bool:
    """Whether `path` is a campaign file under `glob`, counting `.yml` and `.yaml` as one suffix."""
    if glob_matches(glob, path):
        return True
    for suffix in YAML_SUFFIXES:
        if glob.endswith(suffix):
            stem = glob.removesuffix(suffix)
            return any(glob_matches(stem + other, path) for other in YAML_SUFFIXES if other != suffix)
    return False


def campaign_id_hint(text: str, source: str) -> str:
    """The campaign id a file means, even when it does not load: its top-level `campaign:` line when that
    is a well-formed id, else the file name's stem made into one ("Engine v2.yml" -> "engine-v2")."""
    match = _ID_LINE.search(text[:MAX_CAMPAIGN_BYTES])
    if match:
        return match["id"]
    stem = PurePosixPath(source).name.split(".")[0]
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "campaign"


def load_campaign(path: str | Path) -> spec.Campaign:
    """Read and check the campaign file at `path`; raises CampaignError (also for an unreadable file)."""
    try:
        with Path(path).open("rb") as file:
            raw = file.read(MAX_CAMPAIGN_BYTES + 1)
        _check_size(len(raw), str(path))
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CampaignError([Problem(str(path), 1, ROOT_FIELD, f"cannot read the file: {error}")]) from None
    return parse_campaign(text, source=str(path))


def _check_size(size: int, source: str) -> None:
    if size > MAX_CAMPAIGN_BYTES:
        message = (f"the file is larger than {MAX_CAMPAIGN_BYTES // 1024} KiB and was not read; "
                   "a campaign file is a few KiB (split it into several campaigns)")
        raise CampaignError([Problem(source, 1, ROOT_FIELD, message)])


def parse_campaign(text: str, source: str = "<campaign>") -> spec.Campaign:
    """Check `text` as a campaign file and return its values. Never raises anything but CampaignError.

    A text over MAX_CAMPAIGN_BYTES (encoded as UTF-8) is refused before any YAML parsing.
    """
    _check_size(len(text) if len(text) * 4 <= MAX_CAMPAIGN_BYTES else len(text.encode("utf-8")), source)
    root, data = _compose(text, source)
    if not isinstance(data, dict):
        kind = "nothing" if data is None else type(data).__name__
        raise CampaignError([Problem(source, _line(root), ROOT_FIELD, f"expected a mapping, got {kind}")])
    tree = _Tree(root, source)
    problems = list(tree.duplicate_keys())
    model = None
    try:
        model = models.CampaignModel.model_validate(data)
    except ValidationError as error:
        problems += [tree.problem(_strip_tag(e["loc"]), _message(e)) for e in error.errors()]
    problems += [tree.problem(loc, message) for loc, message in _cross_checks(data)]
    if problems or model is None:
        raise CampaignError(sorted(problems, key=lambda p: p.line))
    return _campaign(model, tree)


def unmatched_globs(campaign: spec.Campaign, paths: Iterable[str]) -> list[Problem]:
    """One problem per category glob that matches none of the repository-relative `paths`."""
    paths = list(paths)
    return [
        Problem(
            campaign.source,
            category.line,
            f"categories[{category.name}].paths[{i}]",
            f"glob {pattern!r} matches no file",
        )
        for category in campaign.categories
        for i, pattern in enumerate(category.paths)
        if not any(glob_matches(pattern, path) for path in paths)
    ]


# --- YAML with positions ------------------------------------------------------------------------


def _compose(text: str, source: str) -> tuple[yaml.Node | None, object]:
    """Parse once into the node tree (for lines) and the plain data built from it."""
    try:
        loader = yaml.SafeLoader(text)  # the reader refuses control characters right here
    except yaml.YAMLError as error:
        raise CampaignError([Problem(source, 1, ROOT_FIELD, f"YAML: {error}")]) from None
    try:
        root = loader.get_single_node()
        return root, (None if root is None else loader.construct_document(root))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        reason = " ".join(str(part) for part in (error.context, error.problem) if part)
        raise CampaignError([Problem(source, line, ROOT_FIELD, f"YAML syntax: {reason}")]) from None
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as error:
        raise CampaignError([Problem(source, 1, ROOT_FIELD, f"YAML: {error}")]) from None
    finally:
        loader.dispose()


def _line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 1


class _Tree:
    """The composed YAML nodes: finds the line for a field path."""

    def __init__(self, root: yaml.Node, source: str) -> None:
        self.root = root
        self.source = source

    def node(self, loc: Loc) -> yaml.Node:
        """The node `loc` names, or the deepest one found: a missing key points at its mapping.

        A mapping entry is pointed at by its key, which is where the field is written even when its
        value is a block below it or an alias of an anchor elsewhere.
        """
        node = self.root
        for i, part in enumerate(loc):
            if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
            elif isinstance(node, yaml.MappingNode) and (entry := _lookup(node, str(part))):
                node = entry[0] if i == len(loc) - 1 else entry[1]
            else:
                break
        return node

    def problem(self, loc: Loc, message: str) -> Problem:
        return Problem(self.source, _line(self.node(loc)), _field(loc), message)

    def duplicate_keys(self) -> Iterator[Problem]:
        """PyYAML keeps the last of two equal keys silently; a campaign file must not rely on that."""
        seen: set[int] = set()  # aliases share nodes (and may form cycles): visit each once
        stack: list[tuple[yaml.Node, Loc]] = [(self.root, ())]
        while stack:
            node, loc = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, yaml.MappingNode):
                keys: set[object] = set()
                for key, value in node.value:
                    name = key.value if isinstance(key, yaml.ScalarNode) else id(key)
                    if name in keys:
                        yield Problem(self.source, _line(key), _field((*loc, str(name))), "duplicate key")
                    keys.add(name)
                    stack.append((value, (*loc, str(name))))
            elif isinstance(node, yaml.SequenceNode):
                stack += [(item, (*loc, i)) for i, item in enumerate(node.value)]


def _lookup(node: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    """The (key, value) nodes of `key`; the last pair, as PyYAML keeps the last of equal keys."""
    for key_node, value_node in reversed(node.value):
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def _field(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or ROOT_FIELD


# --- pydantic errors ----------------------------------------------------------------------------


def _strip_tag(loc: Loc) -> Loc:
    """A tagged union puts the rule kind after the index: ("rules", 1, "move", "to") -> ("rules", 1, "to")."""
    if len(loc) > 2 and loc[0] == "rules" and isinstance(loc[1], int) and loc[2] in models.RULE_KINDS:
        return loc[:2] + loc[3:]
    return loc


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key {error['loc'][-1]!r}"
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch":
        return f"{error['input']!r} does not match {error['ctx']['pattern']}"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "unknown_rule_kind" and isinstance(error["input"], dict):
        keys = ", ".join(repr(k) for k in error["input"])
        return f"{error['msg']} (found keys: {keys})"
    return error["msg"]


# --- checks across fields and rules (each field alone was checked by the models) -----------------


def _cross_checks(data: dict) -> Iterator[tuple[Loc, str]]:
    """Relations pydantic cannot see: category names, and `call` templates against signature and moves."""
    categories = data.get("categories")
    seen: set[str] = set()
    for i, category in enumerate(categories if isinstance(categories, list) else ()):
        name = category.get("name") if isinstance(category, dict) else None
        if isinstance(name, str) and name in seen:
            yield ("categories", i, "name"), f"two categories are named {name!r}"
        if isinstance(name, str):
            seen.add(name)
    rules = data.get("rules")
    rules = [r if isinstance(r, dict) else {} for r in rules] if isinstance(rules, list) else []
    move_rules = [r for r in rules if models.rule_kind(r) == "move"]
    # with a malformed move the intended head is unknown: skip that check rather than guess
    moves = None
    if all(_dotted(r, "move", "to") for r in move_rules):
        moves = {r["move"]: r["to"] for r in move_rules}
    for i, rule in enumerate(rules):
        if models.rule_kind(rule) == "call" and _dotted(rule, "call") and _strings(rule, "from", "to"):
            yield from ((("rules", i, "to"), message) for message in _template_problems(rule, moves))


def _template_problems(rule: dict, moves: dict[str, str] | None) -> Iterator[str]:
    """A template must name the migrated callable first and read only the old signature's parameters.

    The leading name is the last part of the `to` of the `move` that moves the callable, else of `call` itself.
    """
    try:
        params = models.parse_signature(rule["from"])
        expr = models.parse_template(rule["to"])
    except ValueError:
        return  # already reported on its own field
    old = rule["call"]
    head = models.template_head(expr)
    if moves is not None and head != (expected := moves.get(old, old).rpartition(".")[2]):
        moved = f" (the `move` rule moves {old} to {moves[old]})" if old in moves else ""
        found = f"not {head!r}" if head else "but it has no leading name"
        yield (f"template must start with {expected!r}{moved}, {found}: the leading name stands for the "
               f"migrated callable, written as the file will bind it after the rewrite")
    names = {p.name for p in params}
    for name in models.template_free_names(expr):
        if name not in names:
            yield f"template uses {name!r}, which is not a parameter of {rule['from']}"


def _strings(rule: dict, *keys: str) -> bool:
    return all(isinstance(rule.get(key), str) for key in keys)


def _dotted(rule: dict, *keys: str) -> bool:
    """Whether the rule's `keys` are good dotted names (a bad one is reported on its own field)."""
    try:
        return _strings(rule, *keys) and all(models.check_dotted(rule[key]) for key in keys)
    except ValueError:
        return False


def _campaign(model: models.CampaignModel, tree: _Tree) -> spec.Campaign:
    rules = tuple(rule.to_spec(_line(tree.node(("rules", i)))) for i, rule in enumerate(model.rules))
    categories = [c.to_spec(_line(tree.node(("categories", i)))) for i, c in enumerate(model.categories)]
    return spec.Campaign(
        id=model.campaign,
        title=model.title,
        rules=rules,
        categories=tuple(sorted(categories, key=lambda c: c.priority)),  # stable: ties keep file order
        validate=model.validate_.to_spec(),
        rollout=model.rollout.to_spec(),
        pulls=model.pulls.to_spec(),
        source=tree.source,
        enabled=model.enabled,
    )
