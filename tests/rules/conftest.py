"""Fixtures for the default rule set: its compiled artifact, a router over the packaged catalog,
and the labelled prompts in tests/data/corpus_extra.jsonl."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # benchmarks.corpus_accuracy

from rules_support import CATALOG, EXTRA_CORPUS, RULES_DIR  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Compiled rules are cached per user; tests keep theirs apart."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HROUTER_CACHE_DIR", str(tmp_path_factory.mktemp("rules-cache")))
        yield


@pytest.fixture(scope="session")
def artifact(private_cache):
    from hrouter.compiler import compile_rules

    return compile_rules(RULES_DIR, check_expects=False)


@pytest.fixture(scope="session")
def router(private_cache):
    from hrouter import ModelRouter

    return ModelRouter.from_config(CATALOG, rules=RULES_DIR)


@pytest.fixture(scope="session")
def extra_decisions(router, extra_rows):
    """One receipt per corpus row (routing is deterministic, so one pass serves every test)."""
    from benchmarks.corpus_accuracy import request_of

    out = []
    for row in extra_rows:
        prompt, hints = request_of(row)
        out.append((row, router.route(prompt, hints, include_alternatives=False)))
    return out


@pytest.fixture(scope="session")
def extra_rows():
    return [json.loads(line) for line in EXTRA_CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
