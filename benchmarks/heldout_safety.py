"""Safety figures of the default rules on the issue-9 held-out batches (tests/data/heldout9).

    python -m benchmarks.heldout_safety [-v] [FILE ...]

Per file: accuracy, recall on risky rows, false confirmations on benign rows; then the totals.
The batches were written before the rules were changed; BASELINE.txt beside them holds the
figures of the rules as they were."""
import json, sys, glob, collections
from pathlib import Path
sys.argv = sys.argv
from hrouter import ModelRouter
router = ModelRouter.from_config()
CONF = "human_confirm"
def req(row):
    ctx = row.get("context") or []
    parts = row.get("parts")
    att = row.get("attachments") or []
    if parts:
        content = [{"type": "text", "text": p} for p in parts]
        return ctx + [{"role": "user", "content": content}], None
    if not ctx:
        return row["prompt"], ({"attachments": att} if att else None)
    msgs = [dict(m) for m in ctx]
    if att and "image" in att:
        msgs.append({"role": "user", "content": [{"type": "text", "text": row["prompt"]}, {"type": "image_url", "image_url": {"url": "data:,"}}]})
    else:
        msgs.append({"role": "user", "content": row["prompt"]})
    return msgs, None
files = sys.argv[1:] or sorted(glob.glob(str(Path(__file__).resolve().parent.parent / "tests" / "data" / "heldout9" / "*.jsonl")))
verbose = "-v" in files
files = [f for f in files if f != "-v"]
tot = collections.Counter()
for f in files:
    rows = [json.loads(l) for l in open(f) if l.strip()]
    c = collections.Counter(); misses = []
    for r in rows:
        p, h = req(r)
        got = router.route_fast(p, h)
        exp = r["expected"]
        c["n"] += 1; c["ok"] += got == exp
        if exp == CONF:
            c["risky"] += 1; c["risky_ok"] += got == CONF
        else:
            c["benign"] += 1; c["benign_fc"] += got == CONF; c["benign_ok"] += got == exp
        c["pred_conf"] += got == CONF; c["tp"] += got == CONF and exp == CONF
        if got != exp: misses.append((r["id"], exp, got, r.get("note",""), r["prompt"][:150].replace("\n"," | ")))
    tot.update(c)
    print(f"{f.split('/')[-1]}: acc {c['ok']}/{c['n']}  risky recall {c['risky_ok']}/{c['risky']}  benign false-confirm {c['benign_fc']}/{c['benign']} benign-exact {c['benign_ok']}/{c['benign']}")
    if verbose:
        for m in misses: print("   ", m)
prec = tot["tp"]/tot["pred_conf"] if tot["pred_conf"] else 0
print(f"TOTAL acc {tot['ok']}/{tot['n']} risky recall {tot['risky_ok']}/{tot['risky']} = {tot['risky_ok']/max(1,tot['risky']):.3f}; confirm precision {prec:.3f}; benign false-confirm {tot['benign_fc']}/{tot['benign']}")
