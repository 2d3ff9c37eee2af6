"""The campaign as frozen values: what the loader produces and everything else reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class AliasMode(StrEnum):
    """How a `move` treats the names a file uses for the moved thing."""

    RENAME = "rename"  #: usages follow the new name (default)
    KEEP = "keep"  #: `import New as Old`, so usages stay untouched


class Order(StrEnum):
    SEQUENTIAL = "sequential"
    PARALLEL = "parallel"


class OnFailure(StrEnum):
    CLOSE = "close"
    KEEP = "keep"


class MergeMethod(StrEnum):
    SQUASH = "squash"
    MERGE = "merge"
    REBASE = "rebase"


@dataclass(frozen=True)
class Param:
    """One parameter of a `call` rule's old signature."""

    name: str
    #: source text of the default (e.g. "None"), or None when the parameter is required
    default: str | None = None
    keyword_only: bool = False


@dataclass(frozen=True)
class MoveRule:
    """Move a module-level name (or a whole module) to another module and/or name."""

    old: str  #: dotted path, e.g. "pkg.execution_engine.ExecutionEngine" or a module "mock"
    new: str  #: dotted path it becomes
    alias: AliasMode = AliasMode.RENAME
    line: int = 0  #: line of the rule in the campaign file, for messages


@dataclass(frozen=True)
class CallRule:
    """Remap the arguments of calls of the OLD callable `old`.

    `template` is the new expression; its leading name stands for the migrated callable and is
    written as the file binds it (after any `move`), the parameter names stand for the bound arguments.
    """

    old: str
    params: tuple[Param, ...]
    template: str
    line: int = 0


@dataclass(frozen=True)
class RenameRule:
    """Rename a method: `old` is "pkg.mod.Class.method", `new` the new method name."""

    old: str
    new: str
    line: int = 0


@dataclass(frozen=True)
class CodemodRule:
    """A user's own libCST codemod class, "package.module:ClassName", found on the repository's path."""

    target: str
    args: tuple[tuple[str, object], ...] = ()
    line: int = 0


Rule = MoveRule | CallRule | RenameRule | CodemodRule


@dataclass(frozen=True)
class Category:
    name: str
    priority: int
    paths: tuple[str, ...]  #: globs relative to the repository root; `**` spans directories
    line: int = 0


#: the broker redelivers a task still running after this long (workers/celery_app.VISIBILITY_TIMEOUT_S)
BROKER_VISIBILITY_TIMEOUT_S = 3600
#: the repository's setup (once, then cached) may take this long
SETUP_TIMEOUT_S = 1200
#: the largest validate.timeout: setup and two test runs must end before the broker redelivers the task
MAX_TEST_TIMEOUT = (BROKER_VISIBILITY_TIMEOUT_S - SETUP_TIMEOUT_S - 120) // 2


@dataclass(frozen=True)
class Validation:
    #: shell-free command template; "{files}" becomes the category's changed test files
    tests: str | None = None
    baseline: bool = True
    timeout: int = 600  #: seconds per test run; the whole sandbox is killed past it
    #: commands making the repository's venv (`{venv}` = its path); None = pytest + the repository itself
    setup: tuple[str, ...] | None = None
    #: glob of the test files run when a category changes no test file; None = the command without {files}
    select: str | None = None


@dataclass(frozen=True)
class Rollout:
    order: Order = Order.SEQUENTIAL
    max_open: int = 1
    on_failure: OnFailure = OnFailure.CLOSE
    automerge: bool = False
    merge_method: MergeMethod = MergeMethod.SQUASH
    #: check names that decide a verdict when branch protection cannot be read; empty = all that ran
    required_checks: tuple[str, ...] = ()
    auto_revert_merge: bool = False


@dataclass(frozen=True)
class Campaign:
    id: str  #: used in branch names and PR markers: [a-z0-9][a-z0-9-]*
    title: str
    rules: tuple[Rule, ...]
    categories: tuple[Category, ...]  #: sorted by (priority, position in the file)
    validate: Validation = field(default_factory=Validation)
    rollout: Rollout = field(default_factory=Rollout)
    source: str = ""  #: the file it was read from, for messages

    def category(self, name: str) -> Category:
        for category in self.categories:
            if category.name == name:
                return category
        raise KeyError(name)

    @property
    def migrated_names(self) -> tuple[str, ...]:
        """Dotted paths whose remaining references count as 'left to migrate'."""
        return tuple(r.old for r in self.rules if isinstance(r, MoveRule))
