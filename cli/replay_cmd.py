"""`hrouter replay --events FILE`: re-route logged traffic under a rule set and report agreement."""

from __future__ import annotations

import argparse
import sys


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", metavar="FILE", help="events log (default: $HROUTER_HOME/logs/routing-events.jsonl)")
    parser.add_argument("--feedback", metavar="FILE", help="labels from `hrouter feedback` (default: $HROUTER_HOME/logs/routing-feedback.jsonl if present)")
    parser.add_argument("--rules", metavar="DIR|ARTIFACT", help="rule set to replay under (default: the packaged rules)")
    parser.add_argument("--config", metavar="CATALOG", help="engine catalog (default: packaged)")
    parser.add_argument("--no-reroute", action="store_true", help="only summarise the log; do not route again")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hrouter.server.events import default_events_path
    from hrouter.tuning.feedback import default_feedback_path, load_labels
    from hrouter.tuning.jsonl import StderrProgress
    from hrouter.tuning.replay import replay
    from hrouter.tuning.routing import TuningError, load_router

    events = Path(args.events) if args.events else default_events_path()
    if not events.is_file():
        print(f"hrouter replay: no events log at {events}", file=sys.stderr)
        return 2
    feedback = args.feedback
    if feedback is None and default_feedback_path().is_file():
        feedback = str(default_feedback_path())
    try:
        if feedback is not None and not Path(feedback).exists():
            raise TuningError(f"no feedback file at {feedback}")
        labels = load_labels(feedback)
        router = None if args.no_reroute else load_router(args.rules, args.config)
        progress = None if args.quiet else StderrProgress(f"replay {events.name}")
        report = replay(events, router, labels, rules_name=args.rules or "packaged rules", progress=progress)
    except TuningError as exc:
        print(f"hrouter replay: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"hrouter replay: {exc.filename or events}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return _emit(report, args)


def _emit(report, args) -> int:
    from hrouter.tuning.html import replay_html
    from hrouter.tuning.render import replay_text, to_json

    if args.html:
        try:
            with open(args.html, "w", encoding="utf-8") as handle:
                handle.write(replay_html(report))
        except OSError as exc:
            print(f"hrouter replay: cannot write {args.html}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    sys.stdout.write(to_json(report) + "\n" if args.json else replay_text(report))
    return 0
