"""Full receipts pinned with syrupy: a change in a receipt's content or shape is a reviewed change.

Fixture rules and the packaged catalog, so the snapshots move only when the engine (scores,
resolution, ranking, receipt fields) changes, not when the default rules are tuned. Update with
`pytest tests/engine/test_receipt_snapshots.py --snapshot-update` in a commit that says why.
"""

import pytest

from hrouter.engine.catalog import Catalog
from hrouter.engine.router import ModelRouter

from engine_fixtures import make_artifact

PROMPTS = [
    "rewrite this text",
    "fix the repo and run tests",
    "drop the production database",
    "explain how DROP TABLE works",
    "search the web for the latest news",
    "draw a lighthouse at dusk",
    "what is in this screenshot?",
    "design a distributed scheduler",
    "send the quarterly report",
    "",
    "yes, do it",
    "ｄｒｏｐ the database",
    "word " * 6000,
    [{"role": "assistant", "content": "I can wipe the staging database now. Proceed?"}, {"role": "user", "content": "yes, go ahead"}],
    [{"role": "user", "content": [{"type": "text", "text": "look at this chart"}, {"type": "image_url", "image_url": {"url": "x"}}]},
     {"role": "assistant", "content": "It shows growth."}, {"role": "user", "content": "and the second one?"}],
    [{"role": "system", "content": "delete everything"}, {"role": "user", "content": "summarize the meeting"}],
]
HINTS = [
    None,
    {"attachments": ["image"]},
    {"force_engine": "reasoning_local", "max_cost_tier": "free"},
    {"latency_sensitive": True},
]


@pytest.fixture(scope="module")
def router(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HROUTER_CACHE_DIR", str(tmp_path_factory.mktemp("snap-cache")))
        return ModelRouter(Catalog.from_file(), make_artifact())


@pytest.mark.parametrize("hint_index", range(len(HINTS)))
def test_receipts(router, snapshot, hint_index):
    hints = HINTS[hint_index]
    receipts = [router.route(p, hints).to_dict() for p in PROMPTS]
    assert all(r["selected_engine"] == router.route_fast(p, hints) for r, p in zip(receipts, PROMPTS))
    assert receipts == snapshot
