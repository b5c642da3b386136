"""Write a large synthetic events log, for measuring replay time and memory (not a test).

    .venv/bin/python tests/tuning/make_big_log.py /tmp/big-events.jsonl 1024   # size in MB
    /usr/bin/time -v .venv/bin/hrouter replay --events /tmp/big-events.jsonl --feedback /dev/null --json > /dev/null

Half the rows carry a full prompt (replayable), half only a redacted preview.
"""

import json
import random
import sys

PROMPTS = [
    "hello there, how are you today?",
    "refactor the retry logic in our repo and add unit tests for the backoff",
    "drop the prod database",
    "what is the latest news on the election?",
    "prove that the square root of two is irrational, step by step",
    "summarise this paragraph in two sentences: " + "lorem ipsum dolor sit amet " * 12,
    "write a python function that parses ISO dates and handles time zones",
    "send the quarterly report to the whole company mailing list",
]
ENGINES = ["fast_local", "code_agent", "human_confirm", "web_research", "reasoning_local", "balanced_local"]


def main(path: str, megabytes: int) -> None:
    rng = random.Random(7)
    target = megabytes << 20
    written = 0
    i = 0
    with open(path, "w", encoding="utf-8") as out:
        while written < target:
            prompt = rng.choice(PROMPTS) + f" (variant {rng.randrange(10_000)})"
            row = {
                "request_id": f"req-{i:012x}", "time": "2026-11-25T23:00:00.000Z", "event": "route",
                "prompt_sha256": "0" * 64, "prompt_chars": len(prompt), "estimated_tokens": len(prompt) // 4,
                "selected_engine": rng.choice(ENGINES), "scores": {"complexity": 40, "risk": 10, "confidence": 80},
                "fired_rules": ["default"], "flags": {"requires_tools": False}, "backend": "local", "status": 200,
                "route_ms": round(rng.lognormvariate(-3, 0.5), 4), "upstream_ms": round(rng.lognormvariate(6, 1), 2),
                "total_ms": round(rng.lognormvariate(6.1, 1), 2), "prompt_preview": prompt[:120],
            }
            if i % 2 == 0:
                row["prompt"] = prompt
            line = json.dumps(row, separators=(",", ":")) + "\n"
            out.write(line)
            written += len(line)
            i += 1
    print(f"{path}: {i} events, {written >> 20} MB")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
