"""The campaign file's fields as pydantic models: shape and per-field checks, mirroring spec.py."""

from __future__ import annotations

import ast
import builtins
import keyword
import warnings
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag

from bot.campaign import spec

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
_PART = r"[A-Za-z_][A-Za-z0-9_]*"
DOTTED_PATTERN = rf"^{_PART}(\.{_PART})*$"
CODEMOD_PATTERN = rf"^{_PART}(\.{_PART})*:{_PART}$"
RULE_KINDS = ("move", "call", "rename", "codemod")
_BUILTIN_NAMES = frozenset(dir(builtins))


# --- pure checks shared by the field validators and the loader's cross-checks ---------------------


def check_dotted(text: str, min_parts: int = 1) -> str:
    """Return `text` if every dot-separated part is a Python identifier (and not a keyword)."""
    parts = text.split(".")
    for part in parts:
        if not part.isidentifier() or keyword.iskeyword(part):
            raise ValueError(f"bad dotted name {text!r}: part {part!r} is not an identifier")
    if len(parts) < min_parts:
        raise ValueError(f"bad dotted name {text!r}: expected at least {min_parts} dotted parts")
    return text


def check_identifier(text: str) -> str:
    """Return `text` if it is one bare identifier (a method name, not a dotted path)."""
    if not text.isidentifier() or keyword.iskeyword(text):
        raise ValueError(f"{text!r} is not a bare identifier")
    return text


def check_codemod_target(text: str) -> str:
    """Return `text` if it reads "package.module:ClassName"."""
    module, colon, name = text.partition(":")
    if not colon:
        raise ValueError(f"bad codemod {text!r}: expected 'package.module:ClassName'")
    check_dotted(module)
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"bad codemod {text!r}: {name!r} is not a class name")
    return text


def parse_signature(text: str) -> tuple[spec.Param, ...]:
    """Parse "(a, b, c=None, *, d=1)" into Params; *args, **kwargs and "/" are refused (nothing to bind to)."""
    if not text.strip().startswith("("):
        raise ValueError("signature must be a parenthesised parameter list")
    try:
        module = _parse(f"def _{text.strip()}: pass")
    except (SyntaxError, ValueError, RecursionError) as error:
        raise ValueError(f"signature does not parse: {_reason(error)}") from None
    if len(module.body) != 1 or not isinstance(module.body[0], ast.FunctionDef) or module.body[0].returns:
        raise ValueError("signature is not a single parameter list")
    args = module.body[0].args
    if args.vararg or args.kwarg:
        raise ValueError("signature: *args and **kwargs are not allowed")
    if args.posonlyargs:
        raise ValueError("signature: positional-only parameters ('/') are not allowed")
    defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
    params = [spec.Param(a.arg, _source(d)) for a, d in zip(args.args, defaults, strict=True)]
    params += [
        spec.Param(a.arg, _source(d), keyword_only=True)
        for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
    ]
    names = [p.name for p in params]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"signature: duplicate parameter {duplicates[0]!r}")
    return tuple(params)


def parse_template(text: str) -> ast.expr:
    """Parse a `call` rule's `to:` template; it must be one Python expression."""
    try:
        return _parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError) as error:
        raise ValueError(f"template is not a Python expression: {_reason(error)}") from None


def template_head(expr: ast.expr) -> str | None:
    """The leading name of `Head.attr(...)[...]`-shaped expressions, or None when there is none."""
    while isinstance(expr, ast.Call | ast.Attribute | ast.Subscript):
        expr = expr.func if isinstance(expr, ast.Call) else expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def template_free_names(expr: ast.expr) -> list[str]:
    """Names a template reads other than its leading name and builtins: they must be parameters."""
    head = template_head(expr)
    names = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
    return sorted(names - {head} - _BUILTIN_NAMES)


def _parse(source: str, mode: str = "exec") -> ast.AST:
    """ast.parse without the SyntaxWarnings odd user text triggers (e.g. "invalid decimal literal")."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return ast.parse(source, mode=mode)


def _source(node: ast.expr | None) -> str | None:
    return None if node is None else ast.unparse(node)


def _reason(error: Exception) -> str:
    return error.msg if isinstance(error, SyntaxError) else str(error)


# --- field types ---------------------------------------------------------------------------------


def _check_method_path(text: str) -> str:
    return check_dotted(text, min_parts=3)


def _check_signature(text: str) -> str:
    parse_signature(text)
    return text


def _check_template(text: str) -> str:
    parse_template(text)
    return text


Dotted = Annotated[str, AfterValidator(check_dotted), Field(json_schema_extra={"pattern": DOTTED_PATTERN})]
MethodPath = Annotated[
    str, AfterValidator(_check_method_path), Field(json_schema_extra={"pattern": DOTTED_PATTERN})
]
Identifier = Annotated[
    str, AfterValidator(check_identifier), Field(json_schema_extra={"pattern": f"^{_PART}$"})
]
CodemodTarget = Annotated[
    str, AfterValidator(check_codemod_target), Field(json_schema_extra={"pattern": CODEMOD_PATTERN})
]
Signature = Annotated[str, AfterValidator(_check_signature)]
Template = Annotated[str, AfterValidator(_check_template)]
Slug = Annotated[str, Field(pattern=ID_PATTERN)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class MoveModel(_Model):
    """`move: old.path` + `to: new.path` (+ `alias: keep|rename`)."""

    move: Dotted
    to: Dotted
    alias: Annotated[spec.AliasMode, Field(strict=False)] = spec.AliasMode.RENAME

    def to_spec(self, line: int) -> spec.MoveRule:
        return spec.MoveRule(old=self.move, new=self.to, alias=self.alias, line=line)


class CallModel(_Model):
    """`call: old.callable` + `from: "(old, signature)"` + `to: "New.expression(old, signature)"`."""

    call: Dotted
    from_: Signature = Field(alias="from")
    to: Template

    def to_spec(self, line: int) -> spec.CallRule:
        params = parse_signature(self.from_)
        return spec.CallRule(old=self.call, params=params, template=self.to.strip(), line=line)


class RenameModel(_Model):
    """`rename: pkg.mod.Class.method` + `to: new_method_name`."""

    rename: MethodPath
    to: Identifier

    def to_spec(self, line: int) -> spec.RenameRule:
        return spec.RenameRule(old=self.rename, new=self.to, line=line)


class CodemodModel(_Model):
    """`codemod: "package.module:ClassName"` + optional `args:` passed to its constructor."""

    codemod: CodemodTarget
    args: dict[str, Any] = Field(default_factory=dict)

    def to_spec(self, line: int) -> spec.CodemodRule:
        return spec.CodemodRule(target=self.codemod, args=tuple(self.args.items()), line=line)


def rule_kind(value: object) -> str | None:
    """A rule entry is keyed by its kind: the first of RULE_KINDS among its keys, else None."""
    if isinstance(value, dict):
        return next((kind for kind in RULE_KINDS if kind in value), None)
    return None


RuleModel = Annotated[
    Annotated[MoveModel, Tag("move")]
    | Annotated[CallModel, Tag("call")]
    | Annotated[RenameModel, Tag("rename")]
    | Annotated[CodemodModel, Tag("codemod")],
    Discriminator(
        rule_kind,
        custom_error_type="unknown_rule_kind",
        custom_error_message=f"unknown rule kind; expected a mapping keyed by one of: {', '.join(RULE_KINDS)}",
    ),
]


class CategoryModel(_Model):
    """A named group of files (globs) migrated together in one pull request."""

    name: Slug
    priority: int
    paths: list[Annotated[str, Field(min_length=1, pattern=r"^[^/]")]] = Field(min_length=1)

    def to_spec(self, line: int) -> spec.Category:
        return spec.Category(name=self.name, priority=self.priority, paths=tuple(self.paths), line=line)


def _check_timeout(seconds: int) -> int:
    if seconds > spec.MAX_TEST_TIMEOUT:
        raise ValueError(f"{seconds} s is over {spec.MAX_TEST_TIMEOUT} s: setup and two test runs must end "
                         f"within the broker's visibility timeout ({spec.BROKER_VISIBILITY_TIMEOUT_S} s)")
    return seconds


class ValidationModel(_Model):
    """How a category's change is checked: its tests (`{files}` = changed test files), with a baseline run,
    in the repository's own venv made by `setup` (`{venv}` = its path)."""

    tests: str | None = spec.Validation.tests
    baseline: bool = spec.Validation.baseline
    timeout: Annotated[int, AfterValidator(_check_timeout)] = Field(default=spec.Validation.timeout, gt=0)
    setup: list[Annotated[str, Field(min_length=1)]] | None = None
    select: Annotated[str, Field(min_length=1, pattern=r"^[^/]")] | None = None

    def to_spec(self) -> spec.Validation:
        return spec.Validation(tests=self.tests, baseline=self.baseline, timeout=self.timeout,
                               setup=tuple(self.setup) if self.setup is not None else None, select=self.select)


class RolloutModel(_Model):
    """How the category pull requests are opened, judged and merged."""

    order: Annotated[spec.Order, Field(strict=False)] = spec.Rollout.order
    max_open: int = Field(default=spec.Rollout.max_open, ge=1)
    on_failure: Annotated[spec.OnFailure, Field(strict=False)] = spec.Rollout.on_failure
    automerge: bool = spec.Rollout.automerge
    merge_method: Annotated[spec.MergeMethod, Field(strict=False)] = spec.Rollout.merge_method
    required_checks: list[str] = Field(default_factory=list)
    auto_revert_merge: bool = spec.Rollout.auto_revert_merge

    def to_spec(self) -> spec.Rollout:
        fields = self.model_dump(exclude={"required_checks"})
        return spec.Rollout(**fields, required_checks=tuple(self.required_checks))


class CampaignModel(_Model):
    """A migration campaign: what to migrate (rules), where and in which order (categories), how to check it."""

    campaign: Slug
    title: str = Field(min_length=1)
    rules: list[RuleModel] = Field(min_length=1)
    categories: list[CategoryModel] = Field(min_length=1)
    # spelled `validate_` because BaseModel owns `validate`; the file says `validate:`
    validate_: ValidationModel = Field(default_factory=ValidationModel, alias="validate")
    rollout: RolloutModel = Field(default_factory=RolloutModel)
