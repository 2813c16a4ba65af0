"""Command line: ``python -m tools.spec_diff [OLD NEW | --base REV] [options]``.

Exit status: 0 when nothing reaches the ``--fail-on`` level (or it is not
given), 1 when something does, 2 for usage and input errors (unreadable file,
not OpenAPI 3, unknown git revision) and for internal errors, so that a crash
never reads as "breaking change found".
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from . import code_impact, sources
from .compare import diff_specs
from .loader import SpecError
from .model import Level, Report
from .render import render
from .rules import ALL_RULES

_EPILOG = """\
examples:
  python -m tools.spec_diff                 # the change under review (see --base) -> working tree
  python -m tools.spec_diff --base HEAD~1   # openapi.yaml at HEAD~1 -> working tree
  python -m tools.spec_diff old.yaml new.yaml --format markdown --fail-on breaking
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tools.spec_diff",
        description="Compare two versions of the OpenAPI spec, classify each change as breaking, "
        "warning or info for clients built on the old one, and show what it does to the "
        "generated client and the facade.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("files", nargs="*", metavar="OLD NEW", help="two spec files (YAML or JSON)")
    p.add_argument(
        "--base",
        metavar="REV",
        help="git revision of the spec to compare the working tree's against (default, "
        "without files: HEAD when the spec has uncommitted changes, else the merge-base with "
        "the main branch, else, on it, the commit before the latest change to the spec)",
    )
    p.add_argument(
        "--main",
        default=sources.MAIN_BRANCH,
        metavar="BRANCH",
        help="the main branch a plain review takes its merge-base with (default: %(default)s)",
    )
    p.add_argument(
        "--spec", default=sources.SPEC_FILE, help="spec path inside the repo (default: %(default)s)"
    )
    p.add_argument(
        "--repo", type=Path, help="git work tree to use (default: the one containing the cwd)"
    )
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.add_argument(
        "--fail-on",
        choices=("breaking", "warning"),
        help="exit 1 if a change of this level (or worse) is found",
    )
    p.add_argument(
        "--no-code-impact",
        action="store_true",
        help="skip regenerating the client and checking the facade (faster)",
    )
    p.add_argument(
        "--list-rules", action="store_true", help="print the classification table and exit"
    )
    p.add_argument("--debug", action="store_true", help="show a traceback on internal errors")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list_rules:
        print(_rules_table())
        return 0
    if args.files and len(args.files) != 2:
        parser.error("give two files (OLD NEW), or none to compare against a git revision")
    if args.files and args.base:
        parser.error(
            "--base compares a git revision with the working tree; it cannot be combined with files"
        )
    try:
        report = _report(args)
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug, not a verdict: never let it look like "breaking found" (1)
        if args.debug:
            traceback.print_exc()
        print(
            f"error: internal error while comparing the specs ({type(exc).__name__}: {exc}); "
            "--debug shows where",
            file=sys.stderr,
        )
        return 2
    sys.stdout.write(render(report, args.format))
    return _exit_status(report, args.fail_on)


def _report(args: argparse.Namespace) -> Report:
    versions = _versions(args)
    aliases = code_impact.media_aliases(versions.new_config)
    report = Report(
        versions.old_label,
        versions.new_label,
        diff_specs(versions.old, versions.new, aliases),
        base=versions.base,
        head=versions.head,
    )
    if not args.no_code_impact:
        report.code_impact = code_impact.assess(
            code_impact.Inputs(
                repo_root=versions.repo_root,
                old_spec=versions.old_text,
                new_spec=versions.new_text,
                old_config=versions.old_config,
                new_config=versions.new_config,
                base_rev=versions.base_rev,
                breaking_spec_changes=report.count(Level.BREAKING),
            )
        )
    return report


def _versions(args: argparse.Namespace) -> sources.Versions:
    start = args.repo or Path.cwd()
    root = sources.repo_root(start)
    if args.files:
        # Code impact still needs the generator config and the facade: take them from the
        # repo we run in, or from the project this tool belongs to.
        return sources.from_files(
            args.files[0], args.files[1], root or Path(__file__).resolve().parents[2]
        )
    if root is None:
        raise SpecError(f"{start} is not inside a git work tree; give two files instead")
    return sources.from_git(root, args.base, args.spec, args.main)


def _exit_status(report: Report, fail_on: str | None) -> int:
    if fail_on is None:
        return 0
    threshold = Level.BREAKING if fail_on == "breaking" else Level.WARNING
    worst = report.worst()
    return 1 if worst is not None and worst.rank >= threshold.rank else 0


def _rules_table() -> str:
    width = max(len(r.id) for r in ALL_RULES)
    lines = [f"{'id':<{width}}  {'level':<8}  {'side':<8}  oasdiff   description"]
    for r in ALL_RULES:
        lines.append(
            f"{r.id:<{width}}  {r.level.value:<8}  {r.side.value:<8}  "
            f"{r.oasdiff:<8}  {r.description}"
        )
    return "\n".join(lines)
