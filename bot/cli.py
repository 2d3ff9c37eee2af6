"""The migration-bot console script: check, plan, apply and validate a campaign on a local checkout.

Exit codes (stable; scripts may rely on them):
  0  success: the campaign is valid, the plan was shown, every file applied cleanly, the report is ok
  1  findings: validation failed (validate), or files need a human (apply: unparsable files,
     codemod errors, unmappable calls; the other files are still rewritten)
  2  usage or campaign-file error; each message names file:line: field
  3  repository error: not a directory, not a git repository, git failed
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

from bot import terminal
from bot.campaign.globs import category_for
from bot.campaign.load import CampaignError, load_campaign, unmatched_globs
from bot.campaign.spec import Campaign, Category, Rollback
from bot.engine.apply import apply_rules, write_results
from bot.engine.codemods import needles
from bot.engine.plan import mentioning, plan_campaign, rule_counts
from bot.engine.pool import start_server
from bot.engine.report import render_summary
from bot.engine.results import FileResult, FindingKind, Outcome
from bot.engine.tree import DirectoryTree
from bot.engine.validate import TestStatus, ValidationReport, remaining_references, validate_category
from bot.gitops import GitError, changed_files, head_sha, run_git, temporary_worktree
from bot.rollback import fresh_verdict, roll_back_culprits, search_lines
from bot.testrun import TestSetup, compare_tests

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_REPO = 0, 1, 2, 3
_HUMAN_KINDS = (FindingKind.UNMAPPABLE_CALL, FindingKind.PARSE_ERROR, FindingKind.CODEMOD_ERROR)


class CliError(Exception):
    """An expected failure: reported on stderr as one clear message, no traceback."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has already said what was wrong
        return int(exit_.code or 0)
    command: Callable[[argparse.Namespace], int] = args.func
    try:
        return command(args)
    except CampaignError as error:
        for problem in error.problems:
            _err(str(problem))
        return EXIT_USAGE
    except CliError as error:
        _err(str(error))
        return error.code
    except BrokenPipeError:  # `apply --diff | head`: the reader has all it wanted
        _silence_stdout()
        return EXIT_OK
    except (GitError, OSError) as error:
        _err(f"repository error: {error}")
        return EXIT_REPO


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="migration-bot", description=__doc__.splitlines()[0],
                                     epilog=__doc__.split("\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate a campaign file (and its globs against a repository)")
    check.add_argument("campaign")
    check.add_argument("--repo", help="also report category globs that match no file of this checkout "
                                      "(default: the git repository around the current directory, if any)")
    check.set_defaults(func=run_check)
    plan = sub.add_parser("plan", help="categories in rollout order, their files and reference counts")
    _common(plan)
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")
    plan.set_defaults(func=run_plan)
    apply = sub.add_parser("apply", help="rewrite the files of one or all categories (no commit)")
    _common(apply)
    apply.add_argument("--category", help="only this category (default: all)")
    apply.add_argument("--diff", action="store_true", help="print a unified diff and write nothing")
    apply.add_argument("--jobs", type=int, default=None, help="worker processes (default: every core)")
    apply.set_defaults(func=run_apply)
    validate = sub.add_parser("validate", help="the validation report of a category's working-tree change")
    _common(validate)
    validate.add_argument("--category", required=True)
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    validate.add_argument("--sandbox", action="store_true",
                          help="run the tests in the bubblewrap sandbox (default: a plain subprocess)")
    validate.add_argument("--rollback", action="store_true",
                          help="when tests newly fail, find the files whose migration breaks them, roll them "
                               "back in the working tree (unless validate.rollback is category) and print them")
    validate.set_defaults(func=run_validate)
    demo = sub.add_parser("demo", help="build the sample repository and run the whole local pipeline")
    demo.add_argument("--dest", help="folder for the sample repository (default: a temporary one)")
    demo.add_argument("--serve", action="store_true", help="then serve the campaign's web dashboard on 127.0.0.1")
    demo.add_argument("--port", type=int, default=8000, help="port for --serve (default: 8000)")
    demo.add_argument("--sandbox", action="store_true",
                      help="run the sample's tests in the bubblewrap sandbox (default: a plain subprocess)")
    demo.set_defaults(func=run_demo)
    status = sub.add_parser("status", help="a campaign's categories, PRs, paused/finished, read from GitHub")
    status.add_argument("campaign", help="campaign id (or its file's path in the repository)")
    status.add_argument("--repo", required=True, help="OWNER/NAME (GITHUB_TOKEN, GITHUB_API_URL from the environment)")
    status.add_argument("--local", help="read the demo's local forge folder instead of GitHub")
    status.add_argument("--json", action="store_true", help="print the state as JSON")
    status.set_defaults(func=run_status)
    manifest = sub.add_parser("app-manifest", help="print the GitHub App manifest (JSON) for the bot at a URL")
    manifest.add_argument("url", help="where the web process answers, e.g. https://bot.example.com")
    manifest.add_argument("--name", help="the App's name (default: the manifest's)")
    manifest.set_defaults(func=run_app_manifest)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("migration-bot")
    except PackageNotFoundError:
        return "unknown"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("campaign", help="the campaign YAML file")
    parser.add_argument("--repo", default=".", help="the repository checkout (default: the current directory)")


# --- commands ------------------------------------------------------------------------------------------


def run_check(args: argparse.Namespace) -> int:
    campaign = load_campaign(args.campaign)
    repo = args.repo or _enclosing_repository()
    if repo:
        problems = unmatched_globs(campaign, _tree(repo).paths())
        if problems:
            raise CampaignError(problems)
    against = f"; every glob matches files in {repo}" if repo else ""
    print(f"{args.campaign}: campaign {campaign.id!r} is valid "
          f"({len(campaign.rules)} rules, {len(campaign.categories)} categories){against}")
    return EXIT_OK


def _enclosing_repository() -> str | None:
    """The top of the git repository around the current directory; None outside one."""
    try:
        return run_git(["rev-parse", "--show-toplevel"], cwd=Path.cwd()).strip() or None
    except GitError:
        return None


def run_plan(args: argparse.Namespace) -> int:
    campaign = load_campaign(args.campaign)
    tree = _tree(args.repo)
    plan = plan_campaign(campaign, tree)
    if args.json:
        print(json.dumps(plan.to_json(), indent=2))
    else:
        for renderable in terminal.plan_view(plan):
            terminal.console().print(renderable)
    for renderable in terminal.rules_view(rule_counts(campaign, tree)):
        terminal.console(stderr=args.json).print(renderable)  # with --json, stdout carries only the JSON
    return EXIT_OK


def run_apply(args: argparse.Namespace) -> int:
    campaign = load_campaign(args.campaign)
    start_server(("bot.engine.apply", "bot.engine.plan"))  # the pool's workers: small, ready when needed
    tree = _tree(args.repo)
    wanted = _category(campaign, args.category) if args.category else None
    paths = [p for p in tree.paths() if _in_scope(campaign, p, wanted)]
    candidates = mentioning(tree, paths, needles(campaign.rules))
    counts = rule_counts(campaign, tree, candidates)  # before the rewrite: what each rule matches
    with terminal.progress(len(candidates), "applying") as progress:
        results = apply_rules(campaign, tree, candidates, jobs=args.jobs, user_root=tree.root,
                              progress=progress, sink=None if args.diff else partial(_write_now, tree.root))
    if args.diff:
        sys.stdout.writelines(_diff(r) for r in results if r.changed)
    console = terminal.console(stderr=args.diff)  # with --diff, stdout carries only the diff
    for renderable in [*terminal.apply_view(results, written=not args.diff), *terminal.rules_view(counts)]:
        console.print(renderable)
    return EXIT_FINDINGS if any(_needs_human(r) for r in results) else EXIT_OK


def run_validate(args: argparse.Namespace) -> int:
    campaign = load_campaign(args.campaign)
    work = _tree(args.repo)
    category = _category(campaign, args.category)
    head_sha(work.root)  # a clear error when this is not a git checkout
    changed = {p for p in changed_files(work.root)
               if _in_scope(campaign, p, category) and (work.root / p).is_file()}
    if not changed:
        return _nothing_applied(campaign, work, category, args.json)
    setup = TestSetup.local(args.sandbox)
    with temporary_worktree(work.root, "HEAD") as head:
        results = _current_results(campaign, DirectoryTree(head), work, category, changed)
        before = DirectoryTree(head)  # what each rule matched in the category before the change
        counts = rule_counts(campaign, before, [p for p in before.paths() if _in_scope(campaign, p, category)])
        tests = None
        if campaign.validate.tests:
            print(f"migration-bot: running the tests ({setup.runner.mode})", file=sys.stderr)
            tests = compare_tests(campaign.validate, [r.path for r in results if r.changed], after=work.root,
                                  before=head, setup=setup)
    report = validate_category(campaign, category.name, results, tests, {})
    if args.rollback and tests is not None and tests.status is TestStatus.FAILED and tests.new_failures:
        report = _roll_back(campaign, report, results, work.root, setup)
    report = replace(report, remaining=remaining_references(plan_campaign(campaign, work)))
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        _print_markdown(render_summary(report, campaign_title=campaign.title))
    # on stderr when stdout carries JSON or markdown meant to be pasted
    for renderable in terminal.rules_view(counts):
        terminal.console(stderr=args.json or not sys.stdout.isatty()).print(renderable)
    rolled_back = report.rollback is not None and bool(report.rollback.culprits)  # files that need a human
    return EXIT_OK if report.ok and not rolled_back else EXIT_FINDINGS


def _roll_back(campaign: Campaign, report: ValidationReport, results: list[FileResult], root: Path,
               setup: TestSetup) -> ValidationReport:
    """The culprit search in the working tree; prints what it found to stderr (stdout keeps the report)."""
    print(f"migration-bot: {len(report.tests.new_failures) if report.tests else 0} test(s) newly fail; "
          "looking for the files that break them", file=sys.stderr)
    roll_back = campaign.validate.rollback is not Rollback.CATEGORY
    report = roll_back_culprits(campaign.validate, report, results, root, setup, roll_back=roll_back)
    report = fresh_verdict(campaign.validate, report, root, setup)
    assert report.rollback is not None
    for line in search_lines(report.rollback):
        print(line, file=sys.stderr)
    return report


NOTHING_APPLIED = ("nothing to validate: the working tree has no change in category {category!r} "
                   "(`apply --diff` only prints; run `migration-bot apply {campaign} --category {category}` first). "
                   "References left in it: {left}.")


def _nothing_applied(campaign: Campaign, work: DirectoryTree, category: Category, as_json: bool) -> int:
    """`validate` with nothing applied: say so and show what is left, never "passed"."""
    planned = plan_campaign(campaign, work).category(category.name)
    if as_json:
        print(json.dumps({"category": category.name, "applied": False, "references_left": planned.references,
                          "files": list(planned.files)}, indent=2))
    else:
        print(NOTHING_APPLIED.format(category=category.name, campaign=campaign.source, left=planned.references))
        for path in planned.files:
            print(f"  {path}")
    return EXIT_FINDINGS


def _current_results(campaign: Campaign, head: DirectoryTree, work: DirectoryTree, category: Category,
                     changed: set[str]) -> list[FileResult]:
    """The category's files as they stand: HEAD -> working tree for changed files; findings from
    re-running the rules on HEAD (unmappable calls, files that do not parse or were skipped)."""
    paths = [p for p in head.paths() if _in_scope(campaign, p, category)]
    results: list[FileResult] = []
    seen: set[str] = set()
    for r in apply_rules(campaign, head, mentioning(head, paths, needles(campaign.rules)), user_root=head.root):
        seen.add(r.path)
        if r.path in changed:
            results.append(FileResult(r.path, Outcome.CHANGED, r.old_source, work.read(r.path), r.findings))
        elif r.outcome in (Outcome.FAILED, Outcome.SKIPPED):
            results.append(r)
    old = {p: head.read(p) if (head.root / p).is_file() else "" for p in changed - seen}
    results += [FileResult(p, Outcome.CHANGED, old[p], work.read(p)) for p in sorted(old)]
    return results


def run_demo(args: argparse.Namespace) -> int:
    """Exit 0 when every category got its PR and every planted hard case was reported; else 1."""
    from bot.demo.pipeline import REPO as REPO_DEMO
    from bot.demo.pipeline import run_offline_campaign
    from bot.demo.render import campaign_table, hard_case_table, hard_cases

    console = terminal.console()
    console.print("Building the sample repository and running the campaign through the local pipeline...")
    how = "in the bubblewrap sandbox" if args.sandbox else "as a plain subprocess (--sandbox to opt in)"
    console.print(f"The sample's tests run {how}, in a venv of their own made by validate.setup.")
    result = run_offline_campaign(Path(args.dest) if args.dest else None, sandboxed=args.sandbox)
    sample = result.sample
    per_folder = ", ".join(f"{folder} {n}" for folder, n in sample.imports_per_folder.items())
    console.print(f"Sample repository: {result.repository} ({sample.total_imports} deprecated imports: {per_folder})")
    for c in result.categories:
        console.rule(f"PR #{c.pull_number} {c.branch}" + (" (draft)" if c.draft else ""))
        _print_markdown(c.body or f"({c.result}: no pull request)")
    console.rule()
    console.print(campaign_table(result))
    cases = hard_cases(result)
    console.print(hard_case_table(cases))
    console.print(f"Branches and PR records are kept in {result.root} for a look.")
    console.print(f"Campaign state: migration-bot status {result.campaign} --repo {REPO_DEMO} --local {result.root}")
    opened = all(c.pull_number is not None for c in result.categories)
    if args.serve:
        from bot.web.local import serve_local

        serve_local(result.root, [REPO_DEMO], args.port)
    return EXIT_OK if opened and all(case.reported for case in cases) else EXIT_FINDINGS


def run_status(args: argparse.Namespace) -> int:
    from bot.forge.base import ForgeError
    from bot.settings import SettingsError
    from bot.status import read_status, status_forge

    try:
        status = read_status(status_forge(args.local), args.repo, args.campaign)
    except (ForgeError, SettingsError) as error:
        raise CliError(EXIT_REPO, str(error)) from None
    print(json.dumps(status.to_json(), indent=2) if args.json else status.to_text())
    return EXIT_OK


def run_app_manifest(args: argparse.Namespace) -> int:
    from bot.manifest import app_manifest

    try:
        manifest = app_manifest(args.url, name=args.name)
    except ValueError as error:
        raise CliError(EXIT_USAGE, str(error)) from None
    print(json.dumps(manifest, indent=2))
    return EXIT_OK


# --- helpers -------------------------------------------------------------------------------------------


def _tree(repo: str) -> DirectoryTree:
    path = Path(repo)
    if not path.is_dir():
        raise CliError(EXIT_REPO, f"{repo}: not a directory")
    return DirectoryTree(path)


def _category(campaign: Campaign, name: str) -> Category:
    try:
        return campaign.category(name)
    except KeyError:
        known = ", ".join(c.name for c in campaign.categories)
        raise CliError(EXIT_USAGE, f"{campaign.source}: no category {name!r} (known: {known})") from None


def _in_scope(campaign: Campaign, path: str, wanted: Category | None) -> bool:
    category = category_for(campaign, path)
    return category is not None and (wanted is None or category.name == wanted.name)


def _write_now(root: Path, result: FileResult) -> FileResult:
    """Writes a changed file as soon as its result arrives; what stays is the outcome and the findings
    (the report needs no text), so `apply` never holds every new file at once."""
    write_results(root, [result])
    return FileResult(result.path, result.outcome, "", "", result.findings)


def _needs_human(result: FileResult) -> bool:
    return result.outcome is Outcome.FAILED or any(f.kind in _HUMAN_KINDS for f in result.findings)


def _diff(result: FileResult) -> str:
    old = result.old_source.splitlines(keepends=True)
    new = result.new_source.splitlines(keepends=True)
    lines = difflib.unified_diff(old, new, f"a/{result.path}", f"b/{result.path}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _print_markdown(text: str) -> None:
    """Rendered on a terminal; raw markdown when piped, so it can be pasted into a PR or an issue."""
    if sys.stdout.isatty():
        terminal.console().print(terminal.markdown(text))
    else:
        print(text)


def _silence_stdout() -> None:
    """Points stdout at /dev/null, so the interpreter's final flush does not fail on the closed pipe too."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (a test's capture): nothing will be flushed
        pass
    finally:
        os.close(devnull)


def _err(message: str) -> None:
    print(f"migration-bot: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
