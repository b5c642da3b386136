"""Feedback labels: "request X should have gone to engine Y", one JSON line each.

The label file is append-only; when a request is labelled twice the later label wins, so a
mistake is fixed by labelling again rather than by editing the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

import attrs

from hrouter.server.events import hrouter_home, utc_now
from hrouter.tuning.jsonl import ReadStats, append_jsonl, iter_jsonl

HUMAN_CONFIRM = "human_confirm"


class FeedbackError(ValueError):
    """A label that cannot be recorded; the message is meant for the user as is."""


@attrs.frozen
class Label:
    request_id: str
    expected_engine: str
    time: str
    notes: str | None = None
    forced: bool = False  # recorded with --force for an id not found in the events log
    event: str = "feedback"

    def to_dict(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        if data["notes"] is None:
            del data["notes"]
        if not data["forced"]:
            del data["forced"]
        return data


def default_feedback_path() -> Path:
    return hrouter_home() / "logs" / "routing-feedback.jsonl"


def event_files(path: str | os.PathLike[str]) -> list[Path]:
    """The log and its rotated backups (``.1`` newest), oldest first, as far as they exist."""
    base = Path(os.path.expanduser(str(path)))
    backups = []
    index = 1
    while (candidate := base.with_name(f"{base.name}.{index}")).exists():
        backups.append(candidate)
        index += 1
    files = list(reversed(backups))
    if base.exists():
        files.append(base)
    return files


def find_event(events_path: str | os.PathLike[str], request_id: str) -> dict[str, Any] | None:
    """The logged event of ``request_id`` in the log or its backups, scanning in bounded memory."""
    needle = json.dumps(request_id).encode("utf-8")
    for file in reversed(event_files(events_path)):
        with file.open("rb") as handle:
            for raw in handle:
                # A byte test first: parsing every line of a large log would dominate the scan.
                if needle not in raw:
                    continue
                try:
                    row = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(row, dict) and row.get("request_id") == request_id:
                    return row
    return None


def catalog_engines(config: str | os.PathLike[str] | None) -> tuple[str, ...]:
    """Engine names of a validated catalog (the packaged default when ``config`` is None)."""
    from hrouter.engine.catalog import Catalog, CatalogError

    try:
        catalog = Catalog.from_file(config)
    except CatalogError as exc:
        raise FeedbackError(f"catalog {exc}") from None
    return tuple(sorted(set(catalog.engines) | {HUMAN_CONFIRM}))


def record_label(
    request_id: str,
    expected_engine: str,
    *,
    engines: tuple[str, ...],
    events_path: str | os.PathLike[str] | None = None,
    feedback_path: str | os.PathLike[str] | None = None,
    notes: str | None = None,
    force: bool = False,
) -> Label:
    """Validate and append one label; raises FeedbackError with a one-line reason."""
    if not request_id.strip():
        raise FeedbackError("the request id is empty")
    if expected_engine not in engines:
        raise FeedbackError(
            f"unknown engine {expected_engine!r}; the catalog has: {', '.join(engines)}"
        )
    events = Path(events_path) if events_path else hrouter_home() / "logs" / "routing-events.jsonl"
    if not force:
        if not event_files(events):
            raise FeedbackError(f"no events log at {events}; pass --events FILE, or --force to label anyway")
        if find_event(events, request_id) is None:
            raise FeedbackError(f"request id {request_id!r} is not in {events}; use --force to label it anyway")
    label = Label(request_id=request_id, expected_engine=expected_engine, time=utc_now(), notes=notes or None, forced=force)
    target = Path(feedback_path) if feedback_path else default_feedback_path()
    try:
        append_jsonl(target, label.to_dict())
    except OSError as exc:
        raise FeedbackError(f"cannot write {target}: {exc.strerror or exc}") from None
    return label


def iter_labels(path: str | os.PathLike[str], stats: ReadStats | None = None) -> Iterator[Label]:
    for row in iter_jsonl(path, stats):
        rid, engine = row.get("request_id"), row.get("expected_engine")
        if isinstance(rid, str) and isinstance(engine, str):
            yield Label(request_id=rid, expected_engine=engine, time=str(row.get("time", "")), notes=row.get("notes"))


def load_labels(path: str | os.PathLike[str] | None) -> dict[str, Label]:
    """request id -> its latest label (labels are small; one per reviewed request)."""
    if path is None:
        return {}
    labels: dict[str, Label] = {}
    for label in iter_labels(path):
        labels[label.request_id] = label
    return labels
