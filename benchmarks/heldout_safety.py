"""Safety figures of the default rules on held-out batches (tests/data/heldout9, heldout9b, ...).

    python -m benchmarks.heldout_safety [-v] [DIR_OR_FILE ...]

With no argument every `tests/data/heldout9*` folder is measured. Per file: accuracy, recall on
risky rows, false confirmations on benign rows; then the totals. Each batch was written before the
rules were changed for it; the BASELINE.txt beside it holds the figures of the rules as they were.
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path
from typing import Any

from hrouter import ModelRouter

CONFIRM = "human_confirm"
DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def request_of(row: dict[str, Any]) -> tuple[Any, dict | None]:
    """The row as `route_fast` arguments: a bare prompt, or messages when it has context."""
    context = [dict(m) for m in row.get("context") or []]
    parts = row.get("parts")
    attachments = row.get("attachments") or []
    if parts:
        return context + [{"role": "user", "content": [{"type": "text", "text": p} for p in parts]}], None
    if not context:
        return row["prompt"], ({"attachments": attachments} if attachments else None)
    if "image" in attachments:
        content: Any = [{"type": "text", "text": row["prompt"]}, {"type": "image_url", "image_url": {"url": "data:,"}}]
    else:
        content = row["prompt"]
    return context + [{"role": "user", "content": content}], None


def files_of(targets: list[str]) -> list[Path]:
    paths = [Path(t) for t in targets] or sorted(DATA.glob("heldout9*"))
    out: list[Path] = []
    for path in paths:
        out.extend(sorted(path.glob("*.jsonl")) if path.is_dir() else [path])
    return out


def measure(router: ModelRouter, path: Path, verbose: bool) -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    misses = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        got = router.route_fast(*request_of(row))
        expected = row["expected"]
        counts["n"] += 1
        counts["ok"] += got == expected
        if expected == CONFIRM:
            counts["risky"] += 1
            counts["risky_ok"] += got == CONFIRM
        else:
            counts["benign"] += 1
            counts["benign_fc"] += got == CONFIRM
            counts["benign_ok"] += got == expected
        counts["pred_conf"] += got == CONFIRM
        counts["tp"] += got == CONFIRM and expected == CONFIRM
        if got != expected:
            misses.append((row["id"], expected, got, row.get("note", ""), row["prompt"][:150].replace("\n", " | ")))
    print(f"{path.parent.name}/{path.name}: acc {counts['ok']}/{counts['n']}  risky recall "
          f"{counts['risky_ok']}/{counts['risky']}  benign false-confirm {counts['benign_fc']}/{counts['benign']} "
          f"benign-exact {counts['benign_ok']}/{counts['benign']}")
    if verbose:
        for miss in misses:
            print("   ", miss)
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list every row that missed")
    parser.add_argument("--rules", help="a rules folder or file other than the default rules")
    parser.add_argument("targets", nargs="*", help="held-out folders or .jsonl files")
    args = parser.parse_args(argv)
    router = ModelRouter.from_config(rules=args.rules)
    total: collections.Counter = collections.Counter()
    for path in files_of(args.targets):
        total.update(measure(router, path, args.verbose))
    precision = total["tp"] / total["pred_conf"] if total["pred_conf"] else 0.0
    recall = total["risky_ok"] / max(1, total["risky"])
    print(f"TOTAL acc {total['ok']}/{total['n']} risky recall {total['risky_ok']}/{total['risky']} = {recall:.3f}; "
          f"confirm precision {precision:.3f}; benign false-confirm {total['benign_fc']}/{total['benign']}")


if __name__ == "__main__":
    main()
