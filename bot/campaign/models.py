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

    move: Dotted = Field(description="Dotted path of the module-level name (or module) to move, e.g. "
                                     "`pkg.execution_engine.ExecutionEngine`.")
    to: Dotted = Field(description="Dotted path it moves to.")
    alias: Annotated[spec.AliasMode, Field(strict=False)] = Field(
        default=spec.AliasMode.RENAME,
        description="`rename`: usages follow the new name; `keep`: `import New as Old`, usages untouched.")

    def to_spec(self, line: int) -> spec.MoveRule:
        return spec.MoveRule(old=self.move, new=self.to, alias=self.alias, line=line)


class CallModel(_Model):
    """`call: old.callable` + `from: "(old, signature)"` + `to: "New.expression(old, signature)"`."""

    call: Dotted = Field(description="Dotted path of the OLD callable whose calls are rewritten.")
    from_: Signature = Field(alias="from", description="The old callable's parameter list, e.g. "
                                                       "`(engine, user=None, *, timeout=10)`; calls are bound to it.")
    to: Template = Field(description="The new call as a Python expression: it starts with the migrated callable's "
                                     "name (as the file binds it after any `move`) and reads only parameters of "
                                     "`from`, e.g. `UserExecutionEngine(engine, user)`.")

    def to_spec(self, line: int) -> spec.CallRule:
        params = parse_signature(self.from_)
        return spec.CallRule(old=self.call, params=params, template=self.to.strip(), line=line)


class RenameModel(_Model):
    """`rename: pkg.mod.Class.method` + `to: new_method_name`."""

    rename: MethodPath = Field(description="Dotted path of the method, `pkg.mod.Class.method`.")
    to: Identifier = Field(description="The method's new name (a bare identifier).")

    def to_spec(self, line: int) -> spec.RenameRule:
        return spec.RenameRule(old=self.rename, new=self.to, line=line)


class CodemodModel(_Model):
    """`codemod: "package.module:ClassName"` + optional `args:` passed to its constructor."""

    codemod: CodemodTarget = Field(description="Your libCST codemod class, `package.module:ClassName`, "
                                               "importable from the repository.")
    args: dict[str, Any] = Field(default_factory=dict, description="Keyword arguments for the codemod's "
                                                                   "constructor.")

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


Login = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*(/[A-Za-z0-9._-]+)?$")]
Label = Annotated[str, Field(min_length=1, max_length=50)]


def _check_title(text: str) -> str:
    try:
        text.format(title="t", campaign="c", category="c")
    except (KeyError, IndexError, ValueError) as error:
        raise ValueError(f"bad title template {text!r}: the only fields are {{title}}, {{campaign}} and "
                         f"{{category}} ({type(error).__name__}: {error})") from None
    return text


class CategoryModel(_Model):
    """A named group of files (globs) migrated together in one pull request."""

    name: Slug = Field(description="The category's name, used in its branch and PR title: [a-z0-9][a-z0-9-]*.")
    priority: int = Field(description="Rollout order: lower goes first; ties keep the order of the file.")
    paths: list[Annotated[str, Field(min_length=1, pattern=r"^[^/]")]] = Field(
        min_length=1, description="Globs relative to the repository root (`**` spans directories) of the files "
                                  "this category migrates.")
    reviewers: list[Login] = Field(default=[], description="Logins, or `org/team` slugs, asked to "
                                                                     "review this category's pull request.")
    assignees: list[Login] = Field(default=[], description="Logins this category's pull request is "
                                                                     "assigned to.")

    def to_spec(self, line: int) -> spec.Category:
        return spec.Category(name=self.name, priority=self.priority, paths=tuple(self.paths), line=line,
                             reviewers=tuple(self.reviewers), assignees=tuple(self.assignees))


def _check_timeout(seconds: int) -> int:
    if seconds > spec.MAX_TEST_TIMEOUT:
        raise ValueError(f"{seconds} s is over {spec.MAX_TEST_TIMEOUT} s: setup and two test runs must end "
                         f"within the broker's visibility timeout ({spec.BROKER_VISIBILITY_TIMEOUT_S} s)")
    return seconds


class ValidationModel(_Model):
    """How a category's change is checked: its tests (`{files}` = changed test files), with a baseline run,
    in the repository's own venv made by `setup` (`{venv}` = its path)."""

    tests: str | None = Field(default=spec.Validation.tests, description=(
        "Test command run in the sandbox, without a shell; `{files}` becomes the category's changed test files. "
        "None: no tests run."))
    baseline: bool = Field(default=spec.Validation.baseline, description=(
        "Run the tests on the unchanged files first, so only new failures count against the change."))
    timeout: Annotated[int, AfterValidator(_check_timeout)] = Field(
        default=spec.Validation.timeout, gt=0, description=(
            f"Seconds a test run may take (at most {spec.MAX_TEST_TIMEOUT}); the whole sandbox is killed past it."))
    setup: list[Annotated[str, Field(min_length=1)]] | None = Field(default=None, description=(
        "Commands that make the repository's venv (`{venv}` = its path); null: pytest and the repository itself."))
    select: Annotated[str, Field(min_length=1, pattern=r"^[^/]")] | None = Field(default=None, description=(
        "Glob of the test files run when a category changes no test file; null: the command without `{files}`."))

    def to_spec(self) -> spec.Validation:
        return spec.Validation(tests=self.tests, baseline=self.baseline, timeout=self.timeout,
                               setup=tuple(self.setup) if self.setup is not None else None, select=self.select)


class ScheduleModel(_Model):
    """Days and hours when the bot may open or merge pull requests (a maintainer's start-now box ignores it)."""

    days: list[Annotated[spec.Weekday, Field(strict=False)]] = Field(
        default=list(spec.WEEKDAYS), min_length=1,
        description="Days of the week (`mon` ... `sun`) the window is open; default every day.")
    start_hour: int = Field(default=spec.Schedule.start_hour, ge=0, le=23,
                            description="Hour (0-23, local time) the window opens.")
    end_hour: int = Field(default=spec.Schedule.end_hour, ge=1, le=24,
                          description="Hour (1-24, local time) the window closes; after `start_hour`.")
    timezone: str = Field(default=spec.Schedule.timezone, min_length=1,
                          description="IANA time zone of the hours and of the daily cap, e.g. `Europe/Paris`.")

    def to_spec(self) -> spec.Schedule:
        return spec.Schedule(tuple(dict.fromkeys(self.days)), self.start_hour, self.end_hour, self.timezone)


def check_schedule(model: ScheduleModel) -> ScheduleModel:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if model.end_hour <= model.start_hour:
        raise ValueError(f"end_hour {model.end_hour} must be after start_hour {model.start_hour}")
    try:
        ZoneInfo(model.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {model.timezone!r} (expected an IANA name like 'Europe/Paris')") from None
    return model


class RolloutModel(_Model):
    """How the category pull requests are opened, judged and merged."""

    order: Annotated[spec.Order, Field(strict=False)] = Field(default=spec.Rollout.order, description=(
        "`sequential`: one category at a time, the next after the previous merged or was skipped; "
        "`parallel`: up to `max_open` at once."))
    max_open: int = Field(default=spec.Rollout.max_open, ge=1,
                          description="Pull requests open at once in a parallel rollout.")
    on_failure: Annotated[spec.OnFailure, Field(strict=False)] = Field(default=spec.Rollout.on_failure, description=(
        "What happens to a pull request whose checks fail: `close` it, or `keep` it open for a human."))
    automerge: bool = Field(default=spec.Rollout.automerge, description=(
        "Merge a pull request as soon as its required checks pass, without a `merge` command."))
    merge_method: Annotated[spec.MergeMethod, Field(strict=False)] = Field(
        default=spec.Rollout.merge_method, description="`squash`, `merge` or `rebase`.")
    required_checks: list[str] = Field(default=[], description=(
        "Check names that decide a verdict when branch protection and rulesets cannot be read; "
        "empty: every check that ran."))
    auto_revert_merge: bool = Field(default=spec.Rollout.auto_revert_merge, description=(
        "Merge the revert pull request by itself when a merged category broke the default branch."))
    schedule: Annotated[ScheduleModel, AfterValidator(check_schedule)] = Field(
        default=ScheduleModel(), description="When pull requests may be opened or merged.")
    max_per_day: int | None = Field(default=spec.Rollout.max_per_day, ge=1, description=(
        "Pull requests the campaign may open per day (in the schedule's time zone); null: no cap."))

    def to_spec(self) -> spec.Rollout:
        fields = self.model_dump(exclude={"required_checks", "schedule"})
        return spec.Rollout(**fields, required_checks=tuple(self.required_checks), schedule=self.schedule.to_spec())


class PullsModel(_Model):
    """How the bot's pull requests are named and labelled."""

    branch_prefix: str = Field(default=spec.DEFAULT_BRANCH_PREFIX, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                               description="First part of the bot's branches, `<prefix>/<campaign>/<category>` "
                                           "(one path segment).")
    labels: list[Label] = Field(default=[], description=(
        "Labels added to every pull request of the campaign, besides `migration-bot` and `migration:<campaign>`."))
    title: Annotated[str, AfterValidator(_check_title)] = Field(
        default=spec.DEFAULT_TITLE, min_length=1, description=(
            "Pull request title template; fields `{title}` (the campaign's), `{campaign}` (its id) and "
            "`{category}`. For Conventional Commits: `refactor(migration): {category}`."))

    def to_spec(self) -> spec.Pulls:
        return spec.Pulls(self.branch_prefix, tuple(dict.fromkeys(self.labels)), self.title)


class CampaignModel(_Model):
    """A migration campaign: what to migrate (rules), where and in which order (categories), how to check it."""

    campaign: Slug = Field(description="The campaign's id, used in branch names, labels and markers: "
                                        "[a-z0-9][a-z0-9-]*.")
    title: str = Field(min_length=1, description="A human title, shown in PR titles and the dashboard issue.")
    enabled: bool = Field(True, description="false stops the campaign: no new pull requests, and the open ones "
                                            "are left as they are (not judged, merged or closed).")
    rules: list[RuleModel] = Field(min_length=1, description="What to rewrite, applied in order: `move`, `call`, "
                                                             "`rename` or `codemod` entries.")
    categories: list[CategoryModel] = Field(min_length=1, description="Groups of files, one pull request each.")
    # spelled `validate_` because BaseModel owns `validate`; the file says `validate:`
    validate_: ValidationModel = Field(default_factory=ValidationModel, alias="validate",
                                       description="How each category's change is checked.")
    rollout: RolloutModel = Field(default_factory=RolloutModel,
                                  description="How the pull requests are opened, judged and merged.")
    pulls: PullsModel = Field(default_factory=PullsModel,
                              description="Branch prefix, extra labels and title of the pull requests.")
