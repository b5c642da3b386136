"""Routing accuracy of the default rules on the issue-10 held-out batches (tests/data/heldout10).

    python -m benchmarks.heldout_routing [-v] [--messages] [--rules DIR] [FILE ...]

Per file and per expected engine: how many rows route to the labelled engine; then the totals.
A single-prompt row is routed as its prompt (an image attachment as the `image` hint); a
conversation row is a whole chat-completions request body and is routed as the proxy routes it
(the body: messages, tools, tool_choice, model, reasoning parameters). `--messages` routes only
the body's messages, as the proxy did before request features existed. `-v` lists the misses.
The batches were written before the rules were changed; BASELINE.txt beside them holds the
figures of the rules as they were."""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

from hrouter import ModelRouter

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "heldout10"


def request_of(row: dict, messages_only: bool) -> tuple[object, dict | None]:
    """What the router is given for one row, and its hints."""
    body = row.get("body")
    if body is not None:
        return (body["messages"] if messages_only else body), None
    attachments = row.get("attachments") or []
    return row["prompt"], ({"attachments": attachments} if attachments else None)


def score(router: ModelRouter, rows: list[dict], messages_only: bool = False):
    """(per-engine Counter of (ok, n), misses) for the rows."""
    per = collections.defaultdict(lambda: [0, 0])
    misses = []
    for row in rows:
        prompt, hints = request_of(row, messages_only)
        got = router.route_fast(prompt, hints)
        cell = per[row["expected"]]
        cell[1] += 1
        if got == row["expected"]:
            cell[0] += 1
        else:
            misses.append((row["id"], row["expected"], got, row.get("note", ""), row.get("prompt") or row["body"]["messages"][-1]))
    return dict(per), misses


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    messages_only = "--messages" in argv
    rules = None
    if "--rules" in argv:
        at = argv.index("--rules")
        rules, argv = argv[at + 1], argv[:at] + argv[at + 2:]
    files = [a for a in argv if not a.startswith("-")] or sorted(str(p) for p in DATA.glob("*.jsonl"))
    router = ModelRouter.from_config(rules=rules)
    total = [0, 0]
    for name in files:
        rows = [json.loads(line) for line in open(name, encoding="utf-8") if line.strip()]
        per, misses = score(router, rows, messages_only)
        ok, n = sum(c[0] for c in per.values()), sum(c[1] for c in per.values())
        total[0] += ok
        total[1] += n
        cells = "  ".join(f"{e} {c[0]}/{c[1]}" for e, c in sorted(per.items()))
        print(f"{Path(name).name}: {ok}/{n} = {ok / max(1, n):.3f}   {cells}")
        if verbose:
            for miss in misses:
                print("   ", miss[:4], str(miss[4])[:140].replace("\n", " | "))
    print(f"TOTAL {total[0]}/{total[1]} = {total[0] / max(1, total[1]):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
