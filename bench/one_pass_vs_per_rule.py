"""Check: the one-pass move and the per-rule libCST path write the same thing on the Django 5.1.4 tree.

For every file the ten-rule campaign of `apply_vs_libcst.py` could touch, runs `transform_source` both ways
(`one_pass=False` is the reference) and compares text, outcome and findings; counts the files the one pass
left to libCST, by reason, and times both (CPU seconds, this process). Exits 1 on any difference.

    python bench/one_pass_vs_per_rule.py [--rules 1|10] [--every N]
"""

from __future__ import annotations

import argparse
import ast
import collections
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from apply_vs_libcst import NEW, OLD, RULES10, sdist_tree  # noqa: E402

from bot.campaign.spec import MoveRule  # noqa: E402
from bot.engine.codemods import one_pass, transform_source  # noqa: E402
from bot.engine.codemods.bindings import package_of  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, choices=(1, 10), default=10)
    parser.add_argument("--every", type=int, default=1, help="only every Nth candidate file (a quicker look)")
    args = parser.parse_args(argv)
    rules = [MoveRule(OLD, NEW)] if args.rules == 1 else [MoveRule(old, new) for old, new in RULES10]
    root = sdist_tree()
    needles = {rule.old.rsplit(".", 1)[1] for rule in rules}
    files = sorted(p for p in root.rglob("*.py") if any(n in p.read_text(errors="replace") for n in needles))
    files = files[:: args.every]
    reasons: collections.Counter[str] = collections.Counter()
    fast = slow = 0.0
    differ = changed = 0
    for file in files:
        path, source = str(file.relative_to(root)), file.read_text(errors="replace")
        try:
            tree = ast.parse(source)
        except SyntaxError:
            reasons["does not parse"] += 1
            continue
        try:
            one_pass._OnePass(path, source, tree, frozenset()).run(rules)
        except one_pass.Undecided as why:
            reasons[str(why)] += 1
        start = time.process_time()
        ours = transform_source(path, source, rules)
        middle = time.process_time()
        reference = transform_source(path, source, rules, one_pass=False)
        fast, slow = fast + middle - start, slow + time.process_time() - middle
        changed += reference.changed
        if (ours.new_source, ours.outcome, ours.findings) != (reference.new_source, reference.outcome,
                                                              reference.findings):
            differ += 1
            print(f"DIFFERENT: {path} ({package_of(path)})")
    print(f"{len(files)} files, {changed} changed by the per-rule path, {differ} different")
    print(f"left to libCST: {sum(reasons.values())} ({', '.join(f'{n} {r}' for r, n in reasons.most_common())})")
    print(f"CPU s: one pass (with its fallbacks) {fast:.2f}, per rule {slow:.2f} ({slow / max(fast, 1e-9):.1f}x)")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
