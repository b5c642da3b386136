"""Memory: resident set size after loading a router, and after routing many distinct prompts.

    python -m benchmarks.memory_bench [--prompts 100000] [--json FILE]

A fresh process per contender loads its router (ours warmed up, as the proxy does) and routes
``--prompts`` distinct prompts once each with ``route_fast``: corpus prompts, each made new by a
numbered suffix and a second corpus prompt, so DFA caches and memo tables grow as they would on
live traffic. RSS is read from /proc (Linux). Goal (issue 11): ours at most 80 MB after 100,000.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.timing import bench_main, goal_lines

GOAL_MB = 80.0

_CHILD = """
import json, sys
def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
who, count = sys.argv[1], int(sys.argv[2])
base = json.loads(sys.stdin.read())
if who == "ours":
    from hrouter.engine import ModelRouter
    router = ModelRouter.from_config().warm()
else:
    from model_router import ModelRouter
    router = ModelRouter.from_config()
router.route_fast("warm up the router")
loaded = rss_mb()
n = len(base)
for i in range(count):
    router.route_fast(f"{base[i % n]} {base[(i * 7 + 3) % n][:60]} #{i}")
print(json.dumps({"loaded_mb": loaded, "after_mb": rss_mb()}))
"""


def measure(count: int) -> dict:
    from benchmarks.first_seen_bench import prompt_sets

    warm, heldout = prompt_sets()
    base = [p for p in warm + heldout if len(p) < 400]
    out: dict = {"prompts": count}
    for who in ("ours", "reference"):
        if who == "reference":
            try:
                import model_router  # noqa: F401
            except ImportError:
                continue
        done = subprocess.run([sys.executable, "-c", _CHILD, who, str(count)], input=json.dumps(base),
                              capture_output=True, text=True, check=True)
        out[who] = json.loads(done.stdout)
    return out


def report(results: dict) -> str:
    lines = [f"memory: RSS after loading, and after {results['prompts']} distinct prompts routed once"]
    for who in ("ours", "reference"):
        if who in results:
            r = results[who]
            lines.append(f"  {who:<10} loaded {r['loaded_mb']:6.1f} MB   after {r['after_mb']:6.1f} MB")
    lines += goal_lines(verdicts(results))
    return "\n".join(lines)


def verdicts(results: dict) -> list[tuple[str, float, float, bool]]:
    after = results["ours"]["after_mb"]
    return [("rss_after_mb", after, GOAL_MB, after <= GOAL_MB)]


def main(argv: list[str] | None = None) -> int:
    return bench_main(argv, __doc__, measure, report, verdicts, size_flag="--prompts", default=100_000)

if __name__ == "__main__":
    sys.exit(main())
