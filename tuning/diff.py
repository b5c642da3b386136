"""Diff: route one corpus under two rule sets and report every decision that changes.

A corpus is JSON lines with ``prompt`` (text or a message list) and optionally ``expected`` (an
engine or a route target), ``id`` and routing hints. A labelled prompt counts as right when its
expected value is the selected engine or the selected target, so corpora can be written in
either vocabulary. A prompt that was right and becomes wrong is a regression: the CLI exits 1 on
any, which makes the diff a CI gate for rule edits.

Reports show prompts only as redacted previews: a corpus cut from full-capture logs may hold
secrets, and reports get pasted into reviews.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any, Callable

import attrs

from hrouter.server.redact import latest_user_text, preview
from hrouter.tuning.jsonl import ProgressFn, ReadStats, iter_jsonl
from hrouter.tuning.routing import Routed, Router, hints_from, prompt_of, route_row

MAX_EXAMPLES = 5  # per group, in the text report
MAX_CHANGES = 10_000  # every changed prompt is listed in JSON and HTML, up to this many


@attrs.frozen
class DiffExample:
    id: str
    preview: str
    expected: str | None


@attrs.frozen
class DiffChange:
    id: str
    old: str
    new: str
    expected: str | None
    preview: str


@attrs.frozen
class DiffGroup:
    old: str  # "target -> engine" under the old rules
    new: str
    count: int
    examples: tuple[DiffExample, ...]


@attrs.frozen
class Side:
    rules: str
    correct: int
    accuracy: float | None
    distribution: dict[str, int]


@attrs.frozen
class DiffReport:
    corpus: str
    prompts: int
    bad_lines: int
    skipped: int  # rows without a usable prompt
    labelled: int
    changed: int
    groups: tuple[DiffGroup, ...]
    old: Side
    new: Side
    regressions: tuple[DiffExample, ...]  # labelled, right under old, wrong under new
    fixes: tuple[DiffExample, ...]  # labelled, wrong under old, right under new
    changes: tuple[DiffChange, ...] = ()  # every changed prompt, in corpus order (up to MAX_CHANGES)

    @property
    def has_regressions(self) -> bool:
        return bool(self.regressions)


def describe(routed: Routed) -> str:
    return f"{routed.target} -> {routed.engine}" if routed.target else routed.engine


def is_right(expected: str, routed: Routed) -> bool:
    return expected in (routed.engine, routed.target)


def diff(
    corpus_path: str | os.PathLike[str],
    old: Router,
    new: Router,
    *,
    old_name: str = "old",
    new_name: str = "new",
    progress: ProgressFn | None = None,
    route: Callable[[Router, Any, Any], Routed] = route_row,
) -> DiffReport:
    stats = ReadStats()
    changes: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], list[DiffExample]] = {}
    dist_old: Counter[str] = Counter()
    dist_new: Counter[str] = Counter()
    regressions: list[DiffExample] = []
    fixes: list[DiffExample] = []
    changed_rows: list[DiffChange] = []
    prompts = skipped = labelled = right_old = right_new = 0

    for row in iter_jsonl(corpus_path, stats, progress):
        prompt = prompt_of(row)
        if prompt is None:
            skipped += 1
            continue
        prompts += 1
        hints = hints_from(row)
        a, b = route(old, prompt, hints), route(new, prompt, hints)
        before, after = describe(a), describe(b)
        dist_old[before] += 1
        dist_new[after] += 1
        expected = row.get("expected")
        expected = str(expected) if expected not in (None, "") else None
        example = DiffExample(str(row.get("id") or stats.lines), preview(latest_user_text(prompt)), expected)
        if before != after:
            if len(changed_rows) < MAX_CHANGES:
                changed_rows.append(DiffChange(example.id, before, after, expected, example.preview))
            changes[(before, after)] += 1
            bucket = examples.setdefault((before, after), [])
            if len(bucket) < MAX_EXAMPLES:
                bucket.append(example)
        if expected is None:
            continue
        labelled += 1
        ok_old, ok_new = is_right(expected, a), is_right(expected, b)
        right_old += ok_old
        right_new += ok_new
        if ok_old and not ok_new:
            regressions.append(example)
        elif ok_new and not ok_old:
            fixes.append(example)

    groups = tuple(
        DiffGroup(o, n, count, tuple(examples[(o, n)]))
        for (o, n), count in sorted(changes.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return DiffReport(
        corpus=str(corpus_path),
        prompts=prompts,
        bad_lines=stats.bad_lines,
        skipped=skipped,
        labelled=labelled,
        changed=sum(changes.values()),
        groups=groups,
        old=Side(old_name, right_old, right_old / labelled if labelled else None, dict(dist_old.most_common())),
        new=Side(new_name, right_new, right_new / labelled if labelled else None, dict(dist_new.most_common())),
        regressions=tuple(regressions),
        fixes=tuple(fixes),
        changes=tuple(changed_rows),
    )
