"""Reports as one self-contained HTML page: inline CSS and SVG, no scripts, no external assets.

Every piece of text that came from a log, a corpus or a rules path goes through ``_e`` (HTML
escaping), since previews are user text and must never become markup.
"""

from __future__ import annotations

import html
import math

from hrouter.tuning.diff import DiffReport
from hrouter.tuning.replay import LatencyHistogram, ReplayReport
from hrouter.tuning.stats import Agreement

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2330;max-width:1100px}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ccd}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccd;padding:.25rem .5rem;text-align:right}
th{background:#eef}td.l,th.l{text-align:left}.diag{background:#d8f0d8}.off{background:#f8dede}
.muted{color:#667}svg text{font-size:11px;fill:#1d2330}.bad{color:#a00;font-weight:bold}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _page(title: str, body: list[str]) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n"
        f"<h1>{_e(title)}</h1>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _table(headers: list[str], rows: list[list[str]], left: int = 1, cls: str = "") -> str:
    """Cells are already-escaped HTML; the first ``left`` columns are left-aligned."""
    head = "".join(f"<th class=\"l\">{h}</th>" if i < left else f"<th>{h}</th>" for i, h in enumerate(headers))
    body = []
    for row in rows:
        cells = "".join(f"<td class=\"l\">{c}</td>" if i < left else f"<td>{c}</td>" for i, c in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    attr = f" class=\"{cls}\"" if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def bar_chart(counts: dict[str, int], title: str) -> str:
    """Horizontal bars, one per name, as inline SVG."""
    if not counts:
        return "<p class=\"muted\">no rows</p>"
    total = sum(counts.values()) or 1
    peak = max(counts.values()) or 1
    row_h, label_w, bar_w = 20, 220, 420
    height = row_h * len(counts) + 10
    parts = [
        f"<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{label_w + bar_w + 120}\" "
        f"height=\"{height}\" aria-label=\"{_e(title)}\"><title>{_e(title)}</title>"
    ]
    for i, (name, n) in enumerate(counts.items()):
        y = 5 + i * row_h
        w = max(1, round(bar_w * n / peak))
        parts.append(f"<text x=\"{label_w - 6}\" y=\"{y + 14}\" text-anchor=\"end\">{_e(name)}</text>")
        parts.append(f"<rect x=\"{label_w}\" y=\"{y + 3}\" width=\"{w}\" height=\"{row_h - 6}\" fill=\"#4a6fa5\"/>")
        parts.append(f"<text x=\"{label_w + w + 6}\" y=\"{y + 14}\">{n} ({100 * n / total:.1f}%)</text>")
    parts.append("</svg>")
    return "".join(parts)


def latency_svg(hist: LatencyHistogram | None) -> str:
    """Vertical bars over (possibly log-spaced) latency bins, as inline SVG."""
    if hist is None or not hist.counts:
        return "<p class=\"muted\">no latency recorded</p>"
    width, height, pad = 640, 220, 56
    n = len(hist.counts)
    peak = max(hist.counts) or 1
    bw = (width - 2 * pad) / n
    top = 20  # the tallest bar's top
    parts = [
        f"<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{width}\" height=\"{height + 46}\" "
        f"aria-label=\"latency histogram\"><title>{_e(hist.field)} histogram (ms)</title>",
        f"<line x1=\"{pad}\" y1=\"{height}\" x2=\"{width - pad}\" y2=\"{height}\" stroke=\"#1d2330\"/>",
        f"<line x1=\"{pad}\" y1=\"{top}\" x2=\"{pad}\" y2=\"{height}\" stroke=\"#1d2330\"/>",
        f"<text x=\"{pad - 6}\" y=\"{height}\" text-anchor=\"end\">0</text>",
        f"<text x=\"{pad - 6}\" y=\"{top + 4}\" text-anchor=\"end\">{peak}</text>",
        # axis titles: what each axis counts, so the chart reads without the page around it
        f"<text class=\"axis\" x=\"{width / 2:.0f}\" y=\"{height + 40}\" text-anchor=\"middle\">"
        f"{_e(hist.field)} (ms, bin edges)</text>",
        f"<text class=\"axis\" x=\"14\" y=\"{(top + height) / 2:.0f}\" text-anchor=\"middle\" "
        f"transform=\"rotate(-90 14 {(top + height) / 2:.0f})\">requests per bin</text>",
    ]
    for i, count in enumerate(hist.counts):
        h = (height - top) * count / peak
        x = pad + i * bw
        lo, hi = hist.edges[i], hist.edges[i + 1]
        parts.append(
            f"<rect x=\"{x:.1f}\" y=\"{height - h:.1f}\" width=\"{max(bw - 2, 1):.1f}\" height=\"{h:.1f}\" "
            f"fill=\"#6a8f4e\"><title>{_fmt(lo)}-{_fmt(hi)} ms: {count}</title></rect>"
        )
    for i in (0, n // 2, n):
        x = pad + i * bw
        parts.append(f"<text x=\"{x:.1f}\" y=\"{height + 16}\" text-anchor=\"middle\">{_fmt(hist.edges[i])} ms</text>")
    parts.append("</svg>")
    return "".join(parts)


def _fmt(ms: float) -> str:
    if ms == 0 or not math.isfinite(ms):
        return str(ms)
    return f"{ms:.3g}"


def confusion_table(ag: Agreement) -> str:
    if not ag.labelled:
        return "<p class=\"muted\">no labelled rows</p>"
    headers = ["expected \\ routed"] + [_e(label) for label in ag.labels]
    rows = []
    for i, (label, counts) in enumerate(zip(ag.labels, ag.matrix)):
        cells = [_e(label)]
        for j, n in enumerate(counts):
            css = "diag" if i == j and n else ("off" if n else "")
            cells.append(f"<span class=\"{css}\">{n}</span>" if css else str(n))
        rows.append(cells)
    table = _table(headers, rows, cls="confusion")
    per_class = _table(
        ["engine", "precision", "recall", "support"],
        [[_e(c.label), _pct(c.precision), _pct(c.recall), str(c.support)] for c in ag.classes],
    )
    return table + per_class


def replay_html(r: ReplayReport) -> str:
    body = [
        "<section id=\"summary\"><h2>Summary</h2>",
        _table(
            ["", "value"],
            [
                ["events file", _e(r.events_file)],
                ["rules", _e(r.rules)],
                ["events", str(r.rows)],
                ["re-routed (full prompt)", str(r.replayed)],
                ["without prompt", str(r.without_prompt)],
                ["labels", str(r.labels)],
                ["accuracy (replayed)", _pct(r.agreement.accuracy)],
                ["accuracy (as logged)", _pct(r.logged_agreement.accuracy)],
                ["decisions changed", str(r.changed)],
            ],
        ),
        f"<p class=\"hint\">{_e(r.without_prompt_hint())}</p>" if r.without_prompt_hint() else "",
        "</section>",
        "<section id=\"distribution\"><h2>Route distribution</h2><h3>As logged</h3>",
        bar_chart(r.distribution_logged, "route distribution as logged"),
    ]
    if r.distribution_replayed:
        body += ["<h3>Replayed</h3>", bar_chart(r.distribution_replayed, "route distribution replayed")]
    body += [
        "</section>",
        "<section id=\"confusion\"><h2>Confusion matrix (replayed vs labels)</h2>",
        confusion_table(r.agreement),
        "<h3>As logged</h3>",
        confusion_table(r.logged_agreement),
        "</section>",
        "<section id=\"changes\"><h2>Decisions changed vs logged</h2>",
        _table(
            ["logged", "replayed", "count", "examples"],
            [
                [_e(g.old), _e(g.new), str(g.count), "<br>".join(_e(f"{x.request_id} {x.preview or ''}") for x in g.examples)]
                for g in r.changes
            ],
            left=2,
        )
        if r.changes
        else "<p class=\"muted\">no decision changed</p>",
        "</section>",
        "<section id=\"latency\"><h2>Latency</h2>",
        latency_svg(r.latency_histogram),
        _table(
            ["field", "count", "mean", "p50", "p90", "p95", "p99", "max"],
            [
                [_e(name)] + [_e(_cell(s.get(k))) for k in ("count", "mean", "p50", "p90", "p95", "p99", "max")]
                for name, s in r.latency_ms.items()
            ],
        ),
        "</section>",
        f"<section id=\"misroutes\"><h2>Misroutes ({r.misroutes_total})</h2>",
        _table(
            ["request id", "expected", "logged", "replayed", "preview", "notes"],
            [
                [_e(m.request_id), _e(m.expected), _e(m.logged), _e(m.replayed or "(not replayed)"), _e(m.preview), _e(m.notes)]
                for m in r.misroutes
            ],
            left=6,
        )
        if r.misroutes
        else "<p class=\"muted\">no misroutes among labelled rows</p>",
        "</section>",
    ]
    return _page("hrouter replay report", body)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def diff_html(r: DiffReport) -> str:
    verdict = (
        f"<p class=\"bad\">{len(r.regressions)} labelled prompt(s) were right and are now wrong</p>"
        if r.regressions
        else "<p>no labelled prompt regressed</p>"
    )
    body = [
        "<section id=\"summary\"><h2>Summary</h2>",
        _table(
            ["", "old", "new"],
            [
                ["rules", _e(r.old.rules), _e(r.new.rules)],
                ["accuracy", _pct(r.old.accuracy), _pct(r.new.accuracy)],
                ["correct", str(r.old.correct), str(r.new.correct)],
            ],
        ),
        f"<p>corpus {_e(r.corpus)}: {r.prompts} prompts, {r.labelled} labelled, {r.changed} changed</p>",
        verdict,
        "</section>",
        "<section id=\"changes\"><h2>Changed decisions</h2>",
        _table(
            ["old", "new", "count", "examples"],
            [
                [_e(g.old), _e(g.new), str(g.count), "<br>".join(_e(f"{x.id}: {x.preview}") for x in g.examples)]
                for g in r.groups
            ],
            left=2,
        )
        if r.groups
        else "<p class=\"muted\">no decision changed</p>",
        "<h3>Every changed prompt</h3>"
        + _table(
            ["id", "old", "new", "expected", "preview"],
            [[_e(c.id), _e(c.old), _e(c.new), _e(c.expected), _e(c.preview)] for c in r.changes],
            left=5,
        )
        if r.changes
        else "",
        "</section>",
        "<section id=\"regressions\"><h2>Regressions and fixes</h2>",
        _table(
            ["kind", "id", "expected", "preview"],
            [["regression", _e(x.id), _e(x.expected), _e(x.preview)] for x in r.regressions]
            + [["fix", _e(x.id), _e(x.expected), _e(x.preview)] for x in r.fixes],
            left=4,
        )
        if r.regressions or r.fixes
        else "<p class=\"muted\">none</p>",
        "</section>",
        "<section id=\"distribution\"><h2>Route distribution</h2><h3>Old</h3>",
        bar_chart(r.old.distribution, "old route distribution"),
        "<h3>New</h3>",
        bar_chart(r.new.distribution, "new route distribution"),
        "</section>",
    ]
    return _page("hrouter rule diff", body)
