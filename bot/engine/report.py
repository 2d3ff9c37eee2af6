"""A validation report as markdown: the body of the category's pull request."""

from __future__ import annotations

import re

from bot.engine.validate import (
    NOT_CONFIGURED,
    FileCheck,
    TestComparison,
    TestOutcome,
    TestStatus,
    ValidationReport,
)

MAX_LISTED = 50  #: failing tests listed before "and N more"
TAIL_LINES = 40  #: output lines kept in a PR body
TAIL_CHARS = 4000
#: hidden in the body of a PR whose tests did not pass: automerge never merges it
VALIDATION_NOT_PASSED = "<!-- migration-bot:tests-not-passed -->"
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.DOTALL)
_TOKEN = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|AKIA[0-9A-Z]{16}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})"
    r"|\b[A-Fa-f0-9]{40,}\b|\b[A-Za-z0-9+/_-]{40,}={0,2}")
_ASSIGNED = re.compile(r"(?i)(\b[\w.-]*(?:token|secret|password|passwd|api[_-]?key|private[_-]?key)[\w.-]*)"
                       r"(\s*[=:]\s*)(?:\"[^\"]*\"|'[^']*'|\S+)")


def render_summary(report: ValidationReport, *, campaign_title: str) -> str:
    """Heading, verdict, a table of the changed files, files left alone, tests, totals, what remains."""
    verdict = "passed" if report.ok else "needs attention"
    parts = [
        f"## {campaign_title}: `{report.category}`",
        f"Campaign `{report.campaign}`, category `{report.category}`. Validation **{verdict}** "
        f"(tests: {report.test_status.value}).",
        _files_table(report.files),
        _not_changed(report),
        _tests(report.tests),
        _totals(report),
        _remaining(report),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _files_table(files: tuple[FileCheck, ...]) -> str:
    if not files:
        return "### Files\n\nNo file changed."
    rows = ["| File | References removed | References left | Unmappable calls | Compiles |",
            "| --- | ---: | ---: | --- | :---: |"]
    for f in files:
        unmappable = ", ".join(f"line {u.line}" for u in f.unmappable) or "-"
        compiles = "yes" if f.compiles else f"**no** ({_cell(f.compile_error or '')})"
        left = str(len(f.references_left))
        if f.references_left:
            left = f"**{left}** (lines {', '.join(str(r.line) for r in f.references_left)})"
        rows.append(f"| `{f.path}` | {f.references_removed} | {left} | {unmappable} | {compiles} |")
    notes = [f"- `{f.path}:{u.line}`: {_cell(u.message)}" for f in files for u in f.unmappable]
    table = "### Files\n\n" + "\n".join(rows)
    if notes:
        table += "\n\nCalls that need a human:\n\n" + "\n".join(notes)
    return table


def _not_changed(report: ValidationReport) -> str:
    if not report.not_changed:
        return ""
    lines = ["### Files left alone"]
    for result in report.not_changed:
        why = "; ".join(f"line {f.line}: {f.message}" if f.line else f.message for f in result.findings)
        lines.append(f"- `{result.path}` ({result.outcome.value}){': ' + _cell(why) if why else ''}")
    return "\n".join([lines[0], "", *lines[1:]])


def _tests(tests: TestComparison | None) -> str:
    if tests is None:
        return f"### Tests\n\nStatus: **{TestStatus.NOT_CONFIGURED.value}**: {NOT_CONFIGURED}."
    status = tests.status
    files = f"{len(tests.files)} test file(s)" if tests.files else "the command's own selection"
    text = (f"### Tests\n\nStatus: **{status.value}**: {_cell(tests.status_reason)}.\n\n"
            f"Command: `{_cell(tests.command)}` on {files}.")
    rows = ["| Run | Exit code | Collected | Passed | Failed | Errors | Skipped |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    if tests.baseline is not None:
        rows.append(_run_row("before the change", tests.baseline))
    if tests.after is not None:
        rows.append(_run_row("after the change", tests.after))
    if len(rows) > 2:
        text += "\n\n" + "\n".join(rows)
    new = sorted(tests.new_failures)
    if new:
        listed = [f"- `{node}`" for node in new[:MAX_LISTED]]
        if len(new) > MAX_LISTED:
            listed.append(f"- and {len(new) - MAX_LISTED} more")
        text += "\n\n**New failures** (failing after the change, passing before):\n\n" + "\n".join(listed)
    if status is TestStatus.PASSED:
        text += "\n\nNo new test failures."
    elif tests.after is not None and tests.after.output_tail:
        text += f"\n\nOutput (tail, after the change):\n\n```\n{tail(tests.after.output_tail)}\n```"
    if status is not TestStatus.PASSED:
        text += f"\n\n{VALIDATION_NOT_PASSED}"
    return text


def _run_row(label: str, outcome: TestOutcome) -> str:
    code = "timed out" if outcome.timed_out else str(outcome.exit_code)
    c = outcome.counts
    counts = ([str(c.collected), str(c.passed), str(c.failed), str(c.errors), str(c.skipped)] if c
              else ["?"] * 5)
    if not outcome.ran:
        code += " (not run)"
    return f"| {label} | {code} | {' | '.join(counts)} |"


def tail(text: str, lines: int = TAIL_LINES, chars: int = TAIL_CHARS) -> str:
    """The last `lines` lines (at most `chars` characters) of `text`, scrubbed, safe in a code block."""
    kept = "\n".join(scrub(text).splitlines()[-lines:])[-chars:]
    return kept.replace("```", "` ` `")


def scrub(text: str) -> str:
    """`text` with anything that looks like a token, key or password replaced by [redacted]."""
    text = _PEM.sub("[redacted private key]", text)
    text = _TOKEN.sub("[redacted]", text)
    return _ASSIGNED.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)


def _totals(report: ValidationReport) -> str:
    t = report.totals
    return (
        "### Totals\n\n"
        f"- files changed: {t['files_changed']}\n"
        f"- references removed: {t['references_removed']}, left in changed files: {t['references_left']}\n"
        f"- unmappable calls: {t['unmappable_calls']}\n"
        f"- files that do not compile: {t['not_compiling']}\n"
        f"- files left alone (parse errors, skipped): {t['files_not_changed']}\n"
        f"- new test failures: {t['new_test_failures']}"
    )


def _remaining(report: ValidationReport) -> str:
    total = sum(report.remaining.values())
    if not total:
        return "### Remaining in the campaign\n\nNo references to migrated names are left in the repository."
    rows = ["| Category | References left |", "| --- | ---: |"]
    rows += [f"| {name} | {count} |" for name, count in report.remaining.items() if count]
    return (f"### Remaining in the campaign\n\n{total} reference(s) to migrated names are left "
            "in the repository:\n\n" + "\n".join(rows))


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell: one line, no column separators."""
    return " ".join(text.split()).replace("|", "\\|")
