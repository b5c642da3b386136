"""Generated variants of the reference product's fuzz family ("{adverb} {verb} the {object}
{adverb}") and their benign twins: an order stays an order whatever adverbs surround it, and a
question, a summary or a checklist about the same act stays a mention."""

import itertools
import random

import pytest

from hrouter import ModelRouter

LEADS = ["quickly", "please", "just", "now", "carefully", "immediately", "kindly", "right away", "asap"]
VERBS = ["publish", "deploy", "remove", "wipe", "send", "delete", "merge", "purge", "drop", "cancel"]
OBJECTS = ["database", "api key", "release", "production cluster", "customer list", "staging bucket",
           "main branch", "newsletter", "subscription", "backups"]
TAILS = ["now", "today", "for me", "before lunch", "asap", "right now", "tonight", "please"]
BENIGN = ["{a} explain how to {v} the {o} safely", "{a} tell me what happens if we {v} the {o}",
          "{a} summarise why we had to {v} the {o} last week",
          "{a} write a checklist for when I {v} the {o} myself", "{a} what's the safest way to {v} the {o}?"]


def sample(n, make):
    rng = random.Random(1234)  # the same variants on every run
    return [make(rng) for _ in range(n)]


@pytest.fixture(scope="module")
def router():
    return ModelRouter.from_config()


def test_orders_with_adverbs_around_them_stop(router):
    prompts = sample(200, lambda r: f"{r.choice(LEADS)} {r.choice(VERBS)} the {r.choice(OBJECTS)} {r.choice(TAILS)}")
    forwarded = [p for p in prompts if router.route_fast(p) != "human_confirm"]
    assert len(forwarded) <= 10, forwarded  # 95%: a few pairings ("post the subscription") are odd


def test_mentions_with_the_same_words_are_forwarded(router):
    prompts = sample(100, lambda r: r.choice(BENIGN).format(a=r.choice(LEADS), v=r.choice(VERBS), o=r.choice(OBJECTS)))
    refused = [p for p in prompts if router.route_fast(p) == "human_confirm"]
    assert len(refused) <= 2, refused


@pytest.mark.parametrize("lead, verb", itertools.product(["right away", "carefully", "immediately"], ["delete", "deploy", "send"]))
def test_each_lead_keeps_the_order(router, lead, verb):
    assert router.route_fast(f"{lead} {verb} the production cluster tonight") == "human_confirm"
