"""`make bench`: every benchmark, one after the other, figures also saved under bench-results/."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

# first_seen_bench is the headline (issue 11): nearly every request a router sees is new.
SUITES = ("first_seen_bench", "route_bench", "memory_bench", "proxy_bench")


def main() -> int:
    out = Path("bench-results")
    out.mkdir(exist_ok=True)
    status = 0
    for name in SUITES:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError as exc:
            print(f"[{name}] not available: {exc}", file=sys.stderr)
            continue
        print(f"== {name}")
        status |= module.main(["--json", str(out / f"{name}.json")])
    return status


if __name__ == "__main__":
    sys.exit(main())
