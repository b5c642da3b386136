"""`hrouter diff OLD NEW --corpus FILE`: what changes between two rule sets; exit 1 on regressions."""

from __future__ import annotations

import argparse
import sys


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", metavar="OLD", help="the current rules (folder or compiled artifact)")
    parser.add_argument("new", metavar="NEW", help="the edited rules (folder or compiled artifact)")
    parser.add_argument("--corpus", metavar="FILE", required=True, help="JSON lines: prompt, optional expected, id, hints")
    parser.add_argument("--config", metavar="CATALOG", help="engine catalog for both sides (default: packaged)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hrouter.tuning.diff import diff
    from hrouter.tuning.html import diff_html
    from hrouter.tuning.jsonl import StderrProgress
    from hrouter.tuning.render import diff_text, to_json
    from hrouter.tuning.routing import TuningError, load_router

    corpus = Path(args.corpus)
    if not corpus.is_file():
        print(f"hrouter diff: no corpus at {corpus}", file=sys.stderr)
        return 2
    try:
        old = load_router(args.old, args.config)
        new = load_router(args.new, args.config)
        progress = None if args.quiet else StderrProgress(f"diff {corpus.name}")
        report = diff(corpus, old, new, old_name=args.old, new_name=args.new, progress=progress)
    except TuningError as exc:
        print(f"hrouter diff: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"hrouter diff: {exc.filename or corpus}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if not report.prompts:
        # Nothing was compared: "no decision changed" would pass a CI gate on a broken corpus.
        why = f"{report.bad_lines} unreadable line(s), " if report.bad_lines else ""
        print(f"hrouter diff: {corpus} has no usable prompt ({why}{report.skipped} row(s) without a prompt)",
              file=sys.stderr)
        return 2
    if args.html:
        try:
            Path(args.html).write_text(diff_html(report), encoding="utf-8")
        except OSError as exc:
            print(f"hrouter diff: cannot write {args.html}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    sys.stdout.write(to_json(report) + "\n" if args.json else diff_text(report))
    return 1 if report.has_regressions else 0
