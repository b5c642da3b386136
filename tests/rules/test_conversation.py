"""Conversation scopes: approvals of a proposed risky action, image follow-ups, no taint."""

from __future__ import annotations

import pytest

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}


def chat(*turns):
    messages = []
    for role, text, *image in turns:
        content = [{"type": "text", "text": text}, IMAGE] if image else text
        messages.append({"role": role, "content": content})
    return messages


@pytest.mark.parametrize(
    "proposal",
    [
        "I can delete the 14 merged branches from origin. Should I?",
        "The reply is drafted. Shall I send it to the client?",
        "I found the flight for $312. Want me to book it with the card on file?",
        "CI is green. I can merge the PR into main and deploy it now.",
    ],
)
@pytest.mark.parametrize("approval", ["yes", "go ahead", "ok, do it", "confirm", "yes please proceed"])
def test_approving_a_risky_proposal_needs_a_human(router, proposal, approval):
    messages = chat(("user", "help me tidy things up"), ("assistant", proposal), ("user", approval))
    decision = router.route(messages)
    assert decision.selected_engine == "human_confirm"
    assert decision.risk_score >= 70


def test_an_approval_of_a_harmless_offer_is_not_confirmed(router):
    messages = chat(("user", "shorten this paragraph"), ("assistant", "Here it is. Want a second version?"), ("user", "yes"))
    assert router.route_fast(messages) != "human_confirm"


def test_a_yes_without_any_proposal_is_not_confirmed(router):
    assert router.route_fast("yes") != "human_confirm"


def test_a_long_reply_is_not_an_approval(router):
    messages = chat(
        ("assistant", "I can delete the old backups now. Proceed?"),
        ("user", "yes, but first tell me how much space the backups take and summarise what is in them"),
    )
    assert router.route_fast(messages) != "human_confirm"


def test_a_refused_request_does_not_taint_the_next_one(router):
    messages = chat(
        ("user", "drop the production database"),
        ("assistant", "I can't do that without a human confirming it."),
        ("user", "fine. summarize these meeting notes: launch moved to May, hiring on track"),
    )
    assert router.route_fast(messages) == "balanced_local"


def test_a_follow_up_after_an_image_is_vision(router):
    messages = chat(
        ("user", "compare these two charts", "image"),
        ("assistant", "The first chart shows revenue growing 12% a quarter."),
        ("user", "what about the second chart?"),
    )
    decision = router.route(messages)
    assert decision.selected_engine == "multimodal_vision"
    assert decision.requires_vision


def test_the_same_follow_up_without_an_image_is_not_vision(router):
    messages = chat(
        ("user", "compare revenue growth in Q1 and Q2"),
        ("assistant", "Q1 grew 12%, Q2 grew 9%."),
        ("user", "what about the second quarter?"),
    )
    assert router.route_fast(messages) != "multimodal_vision"


def test_a_new_task_after_an_image_routes_by_itself(router):
    messages = chat(
        ("user", "what is in this photo?", "image"),
        ("assistant", "A bicycle leaning on a wall."),
        ("user", "now write a python function that parses ISO dates and add unit tests for it"),
    )
    assert router.route_fast(messages) == "code_agent"
