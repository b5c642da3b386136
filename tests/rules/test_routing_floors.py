"""The blind routing batches (tests/data/heldout10) as a floor: a rule change may not route
fewer of their prompts and conversations to the engine their label names than the default
rules do now (each batch's figures before any rule change are in BASELINE.txt)."""

import json

from benchmarks.heldout_routing import DATA, score
from hrouter import ModelRouter

MIN_ROUTED = 1719  # of 1811 rows over every heldout10 file


def test_no_fewer_held_out_requests_are_routed_as_labelled():
    router = ModelRouter.from_config()
    ok = n = 0
    files = sorted(DATA.glob("*.jsonl"))
    assert len(files) >= 16, files
    for path in files:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        per, _ = score(router, rows)
        ok += sum(c[0] for c in per.values())
        n += sum(c[1] for c in per.values())
    assert n >= 1811
    assert ok >= MIN_ROUTED, f"{ok}/{n} held-out requests routed as labelled"
