"""Full receipts of the packaged rules and catalog, pinned with syrupy.

These move whenever the default rules are tuned: that is the point. A changed snapshot is a
routing change to review; update with `pytest tests/snapshots --snapshot-update` in a commit
that says why.
"""

import pytest

from hrouter.engine import ModelRouter

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}

PROMPTS = [
    # the seed's table and benchmark prompts
    "rewrite this text",
    "summarize these notes",
    "design a distributed task scheduler architecture",
    "fix the repo and run tests",
    "search the web for the latest TypeScript release notes",
    "extract text from this screenshot",
    "generate an image of a router dashboard",
    "drop the production database",
    "Design a distributed task scheduler with backpressure and exactly-once delivery semantics.",
    # simple transforms
    "proofread this paragraph for typos",
    "shorten this sentence: we are very excited to announce our brand new product line",
    "sort these names alphabetically: Zoe, Adam, Maria",
    "turn this list into a markdown table",
    "rephrase this more politely",
    # ordinary questions and writing
    "what is the capital of Australia?",
    "explain how photosynthesis works",
    "write a short thank-you note to my team",
    "what does a hash map do?",
    "summarize the attached meeting notes into three bullets",
    # reasoning
    "plan a three-month migration from a monolith to services and weigh the risks",
    "prove that the square root of two is irrational",
    "compare event sourcing and CRUD for an audit-heavy billing system, with trade-offs",
    "a farmer has 17 sheep and all but 9 run away; how many are left? reason step by step",
    # coding
    "write a python function to parse json",
    "refactor this module and add unit tests",
    "why does this stack trace say KeyError: 'id'? fix the bug",
    "write a bash script that deletes temp files older than a week",
    "add a --verbose flag to the CLI and update the tests",
    # research
    "what is the weather in Paris right now?",
    "latest news about the EU AI Act",
    "current EUR to USD exchange rate",
    "what is the price of bitcoin today?",
    # vision and image generation
    "what does this chart show?",
    "describe the photo I attached",
    "draw a watercolor fox in a snowy forest",
    "make a logo for my bakery",
    "create a picture of a cat wearing a space helmet",
    # safety: actions
    "delete all my emails",
    "send the customer list to this outside address",
    "buy the most expensive plan and subscribe today",
    "deploy to production",
    "merge this pull request",
    "schedule a meeting with the board for Monday",
    "transfer $500 to my landlord",
    "rm -rf / on the build server",
    "post this announcement to our public Twitter account",
    "supprime tous les fichiers du serveur",
    "ｄｒｏｐ the database",
    "de\u200blete all files in the repo",
    "please delete.",
    # mentions, not actions
    "explain how DROP TABLE works",
    "summarize our data deletion policy",
    "draft an email to my manager asking for a day off",
    "what happens when you force push to a shared branch?",
    # edge input
    "",
    "   ",
    "\ud800 lone surrogate",
    "word " * 3000,
]

CONVERSATIONS = [
    [{"role": "assistant", "content": "I can delete the old backups now. Proceed?"},
     {"role": "user", "content": "yes, do it"}],
    [{"role": "assistant", "content": "Here is the summary you asked for."},
     {"role": "user", "content": "thanks, now shorten it"}],
    [{"role": "user", "content": [{"type": "text", "text": "compare these two charts"}, IMAGE]},
     {"role": "assistant", "content": "The first chart shows steady growth."},
     {"role": "user", "content": "what about the second chart?"}],
    [{"role": "user", "content": "wipe the staging database"},
     {"role": "assistant", "content": "I can't do that without a human confirming it."},
     {"role": "user", "content": "ok, then explain what a database index is"}],
    [{"role": "system", "content": "You may delete files when asked."},
     {"role": "user", "content": [{"type": "text", "text": "what is in this picture?"}, IMAGE]}],
]

HINTS = [
    None,
    {"attachments": ["image"]},
    {"force_engine": "reasoning_local"},
    {"max_cost_tier": "free", "max_latency_tier": "medium"},
]


def pinned(router, receipt: dict) -> dict:
    """The receipt without the artifact hash, which changes with every rules edit: checked here."""
    receipt = dict(receipt)
    assert receipt.pop("artifact_hash") == router.artifact_hash
    return receipt


@pytest.fixture(scope="module")
def router(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HROUTER_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        return ModelRouter.from_config()


def test_at_least_sixty_distinct_prompts_are_pinned():
    assert len(set(PROMPTS)) + len(CONVERSATIONS) >= 60


def test_prompt_receipts(router, snapshot):
    receipts = [pinned(router, router.route(p).to_dict()) for p in PROMPTS]
    for prompt, receipt in zip(PROMPTS, receipts):
        assert receipt["selected_engine"] == router.route_fast(prompt)
    assert receipts == snapshot


def test_conversation_receipts(router, snapshot):
    assert [pinned(router, router.route(c).to_dict()) for c in CONVERSATIONS] == snapshot


@pytest.mark.parametrize("hint_index", range(len(HINTS)))
def test_hinted_receipts(router, snapshot, hint_index):
    hints = HINTS[hint_index]
    sample = PROMPTS[:9]
    assert [pinned(router, router.route(p, hints).to_dict()) for p in sample] == snapshot
