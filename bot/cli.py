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
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot import terminal
from bot.campaign.globs import category_for
from bot.campaign.load import CampaignError, load_campaign, unmatched_globs
from bot.campaign.spec import Campaign, Category
from bot.engine.apply import apply_rules, write_results
from bot.engine.codemods import needles
from bot.engine.plan import mentioning, plan_campaign, rule_counts
from bot.engine.report import render_summary
from bot.engine.results import FileResult, FindingKind, Outcome
from bot.engine.tree import DirectoryTree
from bot.engine.validate import remaining_references, validate_category
from bot.gitops import GitError, changed_files, head_sha, temporary_worktree
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
    except (GitError, OSError) as error:
        _err(f"repository error: {error}")
        return EXIT_REPO


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="migration-bot", description=__doc__.splitlines()[0],
                                     epilog=__doc__.split("\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate a campaign file (and its globs against a repository)")
    check.add_argument("campaign")
    check.add_argument("--repo", help="also report category globs that match no file of this checkout")
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
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("campaign", help="the campaign YAML file")
    parser.add_argument("--repo", required=True, help="the repository checkout")


# --- commands ------------------------------------------------------------------------------------------


def run_check(args: argparse.Namespace) -> int:
    campaign = load_campaign(args.campaign)
    if args.repo:
        problems = unmatched_globs(campaign, _tree(args.repo).paths())
        if problems:
            raise CampaignError(problems)
    print(f"{args.campaign}: campaign {campaign.id!r} is valid "
         f"({len(campaign.rules)} rules, {len(campaign.categories)} categories)")
    return EXIT_OK


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
    tree = _tree(args.repo)
    wanted = _category(campaign, args.category) if args.category else None
    paths = [p for p in tree.paths() if _in_scope(campaign, p, wanted)]
    candidates = mentioning(tree, paths, needles(campaign.rules))
    counts = rule_counts(campaign, tree, candidates)  # before the rewrite: what each rule matches
    with terminal.progress(len(candidates), "applying") as progress:
        results = apply_rules(campaign, tree, candidates, jobs=args.jobs, user_root=tree.root,
                              progress=progress)
    if args.diff:
        sys.stdout.writelines(_diff(r) for r in results if r.changed)
    else:
        write_results(tree.root, results)
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
    setup = TestSetup.local(args.sandbox)
    with temporary_worktree(work.root, "HEAD") as head:
        results = _current_results(campaign, DirectoryTree(head), work, category, changed)
        tests = None
        if campaign.validate.tests:
            print(f"migration-bot: running the tests ({setup.runner.mode})", file=sys.stderr)
            tests = compare_tests(campaign.validate, [r.path for r in results if r.changed], after=work.root,
                                  before=head, setup=setup)
    plan = plan_campaign(campaign, work)
    report = validate_category(campaign, category.name, results, tests, remaining_references(plan))
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        _print_markdown(render_summary(report, campaign_title=campaign.title))
    return EXIT_OK if report.ok else EXIT_FINDINGS


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


def _err(message: str) -> None:
    print(f"migration-bot: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
