"""Replay and diff reports as JSON (for scripts) and as plain text (for people)."""

from __future__ import annotations

import json
from typing import Any

import attrs

from hrouter.tuning.diff import DiffReport
from hrouter.tuning.replay import ReplayReport
from hrouter.tuning.stats import Agreement


def to_json(report: ReplayReport | DiffReport) -> str:
    data = attrs.asdict(report, recurse=True)
    if isinstance(report, DiffReport):
        data["has_regressions"] = report.has_regressions
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _num(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _distribution(title: str, counts: dict[str, int]) -> list[str]:
    total = sum(counts.values())
    lines = [title]
    if not counts:
        return lines + ["  (none)"]
    width = max(len(k) for k in counts)
    for name, n in counts.items():
        lines.append(f"  {name:<{width}}  {n:>7}  {100 * n / total:5.1f}%")
    return lines


def agreement_lines(title: str, ag: Agreement) -> list[str]:
    lines = [f"{title}: {_pct(ag.accuracy)} ({ag.correct}/{ag.labelled} labelled)"]
    if not ag.labelled:
        return lines
    width = max(len(c.label) for c in ag.classes)
    lines.append(f"  {'engine':<{width}}  precision  recall  support")
    for c in ag.classes:
        lines.append(f"  {c.label:<{width}}  {_pct(c.precision):>9}  {_pct(c.recall):>6}  {c.support:>7}")
    lines.append("  confusion (rows: expected, columns: routed)")
    col = max(width, *(len(label) for label in ag.labels))
    lines.append("  " + " " * col + "".join(f"  {label:>{col}}" for label in ag.labels))
    for label, row in zip(ag.labels, ag.matrix):
        lines.append(f"  {label:<{col}}" + "".join(f"  {n:>{col}}" for n in row))
    return lines


def replay_text(r: ReplayReport) -> str:
    out = [
        f"replay of {r.events_file} under {r.rules}",
        f"events: {r.rows}  replayed: {r.replayed}  without prompt: {r.without_prompt}"
        + (f"  routing errors: {r.route_errors}" if r.route_errors else "")
        + (f"  unreadable lines: {r.bad_lines}" if r.bad_lines else ""),
        f"labels: {r.labels}" + (f" ({r.labels_not_in_log} not found in the log)" if r.labels_not_in_log else ""),
    ]
    hint = r.without_prompt_hint()
    if hint:
        out.append(f"hint: {hint}")
    out.append("")
    out += agreement_lines("agreement with labels (replayed)", r.agreement)
    out += agreement_lines("agreement with labels (as logged)", r.logged_agreement)
    out += ["", f"decisions changed vs logged: {r.changed} of {r.replayed} replayed"]
    for g in r.changes:
        out.append(f"  {g.old} -> {g.new}: {g.count}")
        for ex in g.examples:
            out.append(f"      {ex.request_id}" + (f"  {ex.preview}" if ex.preview else ""))
    out.append("")
    out += _distribution("route distribution (logged)", r.distribution_logged)
    if r.distribution_replayed:
        out += _distribution("route distribution (replayed)", r.distribution_replayed)
    out += ["", "latency (ms)       count      mean       p50       p90       p95       p99       max"]
    for name, s in r.latency_ms.items():
        out.append(
            f"  {name:<14}" + "".join(f"{_num(s.get(k)):>10}" for k in ("count", "mean", "p50", "p90", "p95", "p99", "max"))
        )
    if r.misroutes_total:
        out += ["", f"misroutes: {r.misroutes_total}" + (f" (first {len(r.misroutes)})" if r.misroutes_total > len(r.misroutes) else "")]
        for m in r.misroutes:
            routed = m.replayed if m.replayed is not None else f"{m.logged} (logged)"
            out.append(f"  {m.request_id}: expected {m.expected}, routed {routed}" + (f"  {m.preview}" if m.preview else ""))
    return "\n".join(out) + "\n"


def diff_text(r: DiffReport) -> str:
    out = [
        f"diff {r.old.rules} -> {r.new.rules} on {r.corpus}",
        f"prompts: {r.prompts}  changed: {r.changed}  labelled: {r.labelled}"
        + (f"  skipped (no prompt): {r.skipped}" if r.skipped else "")
        + (f"  unreadable lines: {r.bad_lines}" if r.bad_lines else ""),
    ]
    if r.labelled:
        out.append(
            f"accuracy: old {_pct(r.old.accuracy)} ({r.old.correct}/{r.labelled})"
            f"  new {_pct(r.new.accuracy)} ({r.new.correct}/{r.labelled})"
        )
    for g in r.groups:
        out.append(f"  {g.old}  =>  {g.new}: {g.count}")
        for ex in g.examples:
            label = f" [expected {ex.expected}]" if ex.expected else ""
            out.append(f"      {ex.id}: {ex.preview}{label}")
    if r.regressions:
        out.append(f"REGRESSIONS (right before, wrong now): {len(r.regressions)}")
        out += [f"  {ex.id}: expected {ex.expected}: {ex.preview}" for ex in r.regressions]
    if r.fixes:
        out.append(f"fixed (wrong before, right now): {len(r.fixes)}")
        out += [f"  {ex.id}: expected {ex.expected}: {ex.preview}" for ex in r.fixes]
    if not r.changed:
        out.append("no decision changed")
    return "\n".join(out) + "\n"
