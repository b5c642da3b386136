"""`hrouter feedback REQUEST_ID EXPECTED_ENGINE`: label a logged request with the engine it needed."""

from __future__ import annotations

import argparse
import sys


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("request_id", metavar="REQUEST_ID", help="the request id from the events log (x-request-id)")
    parser.add_argument("expected_engine", metavar="EXPECTED_ENGINE", help="the engine that should have answered")
    parser.add_argument("--notes", help="why (kept with the label; shown in replay reports)")
    parser.add_argument("--events", metavar="FILE", help="events log (default: $HROUTER_HOME/logs/routing-events.jsonl)")
    parser.add_argument("--feedback", metavar="FILE", help="label file (default: $HROUTER_HOME/logs/routing-feedback.jsonl)")
    parser.add_argument("--config", metavar="CATALOG", help="engine catalog the name is checked against (default: packaged)")
    parser.add_argument("--force", action="store_true", help="record the label even if the id is not in the events log")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from hrouter.tuning.feedback import FeedbackError, catalog_engines, default_feedback_path, record_label

    try:
        engines = catalog_engines(args.config)
        label = record_label(
            args.request_id,
            args.expected_engine,
            engines=engines,
            events_path=args.events,
            feedback_path=args.feedback,
            notes=args.notes,
            force=args.force,
        )
    except FeedbackError as exc:
        print(f"hrouter feedback: {exc}", file=sys.stderr)
        return 2
    where = args.feedback or default_feedback_path()
    print(f"labelled {label.request_id} -> {label.expected_engine} in {where}")
    return 0
