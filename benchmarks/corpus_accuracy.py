"""Routing accuracy of a rule set on labelled prompt corpora.

    python -m benchmarks.corpus_accuracy [--corpus FILE ...] [--rules DIR] [--config YAML] [--json]

A corpus is JSON Lines, one labelled prompt per line:

    {"id": "...", "prompt": "...", "expected": "<engine>", "source": "...", "note": "..."}

optionally with "attachments" (["image", "pdf", "code"]) and "context" (earlier turns, oldest
first: [{"role": "user"|"assistant", "content": "...", "attachments": ["image"]}]). Each row is
routed with ``ModelRouter.from_config()`` (the packaged catalog and rules unless told otherwise)
and compared with ``expected``. Without --corpus, the shared development corpus (when present)
and tests/data/corpus_extra.jsonl are measured.

The report gives accuracy, per-engine recall and precision, safety recall (rows expecting
human_confirm that got it) and every miss, with the rules that fired. Prompts are printed
truncated: they are test data, not user traffic.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: the calibration corpus beside the checkout (../shared/corpus/), when the team's folder is there
DEV_CORPUS = ROOT.parent / "shared" / "corpus" / "dev.jsonl"
EXTRA_CORPUS = ROOT / "tests" / "data" / "corpus_extra.jsonl"
CONFIRM = "human_confirm"


class CorpusError(ValueError):
    """A corpus file that cannot be read; str() names the file and line."""


def load_corpus(path: str | Path) -> list[dict]:
    rows = []
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CorpusError(f"{path}: {exc.strerror or exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{path}:{number}: not JSON: {exc.msg}") from None
        if not isinstance(row, dict) or not isinstance(row.get("prompt"), str) or not isinstance(
            row.get("expected"), str
        ):
            raise CorpusError(f"{path}:{number}: a row needs string 'prompt' and 'expected'")
        row.setdefault("id", f"{path.name}:{number}")
        rows.append(row)
    return rows


def request_of(row: dict) -> tuple[object, dict | None]:
    """The prompt (a string, or chat messages when the row has context) and the hints."""
    attachments = list(row.get("attachments") or [])
    context = row.get("context") or []
    if not context:
        return row["prompt"], ({"attachments": attachments} if attachments else None)
    # A turn keeps its other fields (an assistant's tool_calls is what the user approves).
    messages = [{**{k: v for k, v in turn.items() if k != "attachments"},
                 **_message(turn["role"], turn["content"], turn.get("attachments") or [])} for turn in context]
    messages.append(_message("user", row["prompt"], attachments))
    return messages, None


def _message(role: str, text: str, attachments: list[str]) -> dict:
    if "image" not in attachments:
        return {"role": role, "content": text}
    return {
        "role": role,
        "content": [
            {"type": "text", "text": text},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        ],
    }


def evaluate(router, rows: list[dict]) -> dict:
    """Route every row; return accuracy figures and the misses."""
    confusion: Counter[tuple[str, str]] = Counter()
    misses = []
    for row in rows:
        prompt, hints = request_of(row)
        decision = router.route(prompt, hints, include_alternatives=False)
        got = decision.selected_engine
        confusion[(row["expected"], got)] += 1
        if got != row["expected"]:
            misses.append(
                {
                    "id": row["id"],
                    "expected": row["expected"],
                    "got": got,
                    "prompt": _preview(row["prompt"]),
                    "fired": [f"{r.rule} ({r.loc})" for r in decision.fired_rules][:4],
                }
            )
    engines = sorted({e for pair in confusion for e in pair})
    per_engine = {}
    for engine in engines:
        expected = sum(n for (e, _), n in confusion.items() if e == engine)
        predicted = sum(n for (_, g), n in confusion.items() if g == engine)
        hit = confusion[(engine, engine)]
        per_engine[engine] = {
            "expected": expected,
            "predicted": predicted,
            "recall": round(hit / expected, 4) if expected else None,
            "precision": round(hit / predicted, 4) if predicted else None,
        }
    total = len(rows)
    correct = total - len(misses)
    risky = per_engine.get(CONFIRM, {"expected": 0})
    return {
        "rows": total,
        "correct": correct,
        "accuracy": round(correct / total, 4) if total else None,
        "safety_recall": risky.get("recall"),
        "false_confirmations": sum(n for (e, g), n in confusion.items() if g == CONFIRM and e != CONFIRM),
        "per_engine": per_engine,
        "misses": misses,
    }


def _preview(text: str, width: int = 110) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def render(name: str, report: dict) -> str:
    lines = [
        f"== {name}",
        f"accuracy {report['accuracy']:.3f} ({report['correct']}/{report['rows']}), "
        f"safety recall {_pct(report['safety_recall'])}, false confirmations {report['false_confirmations']}",
        f"{'engine':<20} {'expected':>8} {'predicted':>9} {'recall':>7} {'precision':>9}",
    ]
    for engine, stats in report["per_engine"].items():
        lines.append(
            f"{engine:<20} {stats['expected']:>8} {stats['predicted']:>9} "
            f"{_pct(stats['recall']):>7} {_pct(stats['precision']):>9}"
        )
    if report["misses"]:
        lines.append("misses:")
        for miss in report["misses"]:
            lines.append(f"  {miss['id']}: expected {miss['expected']}, got {miss['got']}: {miss['prompt']}")
            if miss["fired"]:
                lines.append(f"      fired: {', '.join(miss['fired'])}")
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="corpus_accuracy", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append", metavar="FILE", help="a JSONL corpus (repeatable)")
    parser.add_argument("--rules", help="rules folder or artifact (default: the packaged rules)")
    parser.add_argument("--config", help="engine catalog YAML (default: the packaged catalog)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    corpora = [Path(c) for c in args.corpus] if args.corpus else [
        p for p in (DEV_CORPUS, EXTRA_CORPUS) if p.exists()
    ]
    if not corpora:
        print("error: no corpus given and none of the default corpora exist", file=sys.stderr)
        return 2
    if not args.corpus and not DEV_CORPUS.exists():
        print(f"note: no calibration corpus at {DEV_CORPUS}; measuring {EXTRA_CORPUS.name} only", file=sys.stderr)
    from hrouter import ModelRouter, RouterConfigError

    try:
        router = ModelRouter.from_config(args.config, rules=args.rules)
        reports = {str(c): evaluate(router, load_corpus(c)) for c in corpora}
    except (RouterConfigError, CorpusError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"artifact_hash": router.artifact_hash, "corpora": reports}, indent=2, ensure_ascii=False))
    else:
        print("\n\n".join(render(name, report) for name, report in reports.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
