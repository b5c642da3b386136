"""Follow-up and request features on the default rules: a follow-up inherits the route the
previous user turn takes, one with its own signal keeps it, receipts and explanations say where
a route came from, and the request's fields reach the rules."""

from __future__ import annotations

import pytest

from hrouter import ModelRouter
from hrouter.engine.conversation import extract
from hrouter.engine.request import RequestShape, field_name, holds, read_shape

GENERATED = "Here it is: ![cat](https://img.example/cat.png)"


@pytest.fixture(scope="module")
def router():
    return ModelRouter.from_config()


def chat(*turns):
    roles = ("user", "assistant")
    return [{"role": roles[i % 2], "content": t} for i, t in enumerate(turns)]


@pytest.mark.parametrize("turns, engine", [
    (("draw a cat sitting on a windowsill", GENERATED, "make the cat orange instead"), "image_generation"),
    (("make me a poster for our bake sale", "What should it show: cakes or cookies?", "cupcakes on a striped tablecloth"), "image_generation"),
    (("what's the price of an ounce of gold today?", "About $2,410 an ounce.", "what about in euros?"), "web_research"),
    (("what's the weather going to be like tomorrow?", "Which city should I check?", "Lyon"), "web_research"),
    (("write a function that cleans a list of strings", "```python\ndef clean(rows):\n    return [r.strip() for r in rows]\n```", "inline that helper"), "code_agent"),
    (("compare these two phone plans for my usage and recommend one", "Plan A is better value.", "and if we picked the cheaper plan?"), "reasoning_local"),
    (("sort these events by name: Launch 2024-05-01, Audit 2024-02-10", "Audit, Launch", "by date this time"), "fast_local"),
    # a chain: each follow-up inherits from the one before
    (("draw a robot gardener", GENERATED, "make it rusty", GENERATED, "perfect, now one more from behind"), "image_generation"),
])
def test_a_followup_continues_the_task(router, turns, engine):
    assert router.route_fast(chat(*turns)) == engine


@pytest.mark.parametrize("turns, engine", [
    # its own signal wins
    (("draw a cat sitting on a windowsill", GENERATED, "write a python script that resizes images to 512px"), "code_agent"),
    (("write a function to convert USD to EUR", "```python\ndef convert(x, rate): return x * rate\n```", "what's the actual exchange rate right now?"), "web_research"),
    # an acknowledgement and a change of subject ask nothing of the last task
    (("how many ways can 4 people sit around a round table? work it out", "6 ways.", "thanks, that makes sense"), "balanced_local"),
    (("draw a mountain lake", GENERATED, "thanks! unrelated, what's a good way to store fresh basil?"), "balanced_local"),
    # an approval of a risky proposal is a confirmation whatever came before
    (("the release branch is ready", "I can force-push it to main and deploy to production. Proceed?", "go ahead"), "human_confirm"),
    # a refused turn is not inherited
    (("wire $5,000 to this account", "That needs a human to confirm.", "what's the usual fee for an international wire?"), "balanced_local"),
])
def test_a_followup_with_its_own_signal_keeps_it(router, turns, engine):
    assert router.route_fast(chat(*turns)) == engine


def test_a_general_question_after_a_photo_is_a_question(router):
    messages = [{"role": "user", "content": [{"type": "text", "text": "what plant is this?"}, {"type": "image_url", "image_url": {"url": "data:,"}}]},
                {"role": "assistant", "content": "A tomato plant."},
                {"role": "user", "content": "what's a good fertiliser for tomatoes?"}]
    assert router.route_fast(messages) == "balanced_local"
    messages[-1] = {"role": "user", "content": "is it a male or female?"}
    assert router.route_fast(messages) == "multimodal_vision"


def test_the_receipt_and_the_explanation_say_where_a_route_came_from(router):
    messages = chat("what's the price of an ounce of gold today?", "About $2,410 an ounce.", "what about in euros?")
    decision = router.route(messages)
    assert decision.selected_engine == "web_research"
    assert decision.inherited_from == "previous user turn: research"
    assert decision.to_dict()["inherited_from"] == "previous user turn: research"
    assert decision.requires_freshness and decision.requires_tools
    assert any("inherited" in r for r in decision.reasons)
    ex = router.explain(messages)
    assert ex.inherited_from == "research"
    (turn,) = ex.previous
    assert (turn.turn, turn.target, turn.rule, turn.inherited) == (1, "research", "research", None)
    assert "previous.research" in ex.atoms
    # a prompt that decides on its own inherits nothing
    assert router.route("what's the price of an ounce of gold today?").inherited_from is None


def test_a_whole_request_body_is_routed_with_its_fields(router):
    question = [{"role": "user", "content": "what are people saying about the new Zelda game?"}]
    search = [{"type": "function", "function": {"name": "web_search", "parameters": {}}}]
    assert router.route_fast({"messages": question}) == router.route_fast(question) == "balanced_local"
    assert router.route_fast({"messages": question, "tools": search}) == "balanced_local"  # offered, not asked for
    assert router.route_fast({"messages": question, "tools": search, "tool_choice": "required"}) == "web_research"
    plan = [{"role": "user", "content": "how should I structure my week to finish a thesis chapter?"}]
    assert router.route_fast({"messages": plan, "model": "hrouter-reasoning"}) == "reasoning_local"
    assert router.route_fast({"messages": plan, "reasoning_effort": "high"}) == "reasoning_local"
    assert router.route_fast({"messages": plan, "thinking": {"type": "enabled", "budget_tokens": 2000}}) == "reasoning_local"
    assert router.route_fast({"messages": plan, "reasoning_effort": "low"}) == "balanced_local"


def test_a_tool_list_alone_never_makes_a_question_code_work(router):
    tools = [{"type": "function", "function": {"name": n, "parameters": {}}} for n in ("read_file", "write_file", "run_shell")]
    for text in ("what is the capital of Canada?", "how can I sleep better when travelling?"):
        body = {"messages": [{"role": "system", "content": "You are a coding agent working in the user's repository."},
                             {"role": "user", "content": text}], "tools": tools}
        assert router.route_fast(body) == "balanced_local"
    body["messages"][-1] = {"role": "user", "content": "add retries to the http client"}
    assert router.route_fast(body) == "code_agent"


def test_a_risky_request_is_confirmed_whatever_the_request_asks_for(router):
    body = {"messages": [{"role": "user", "content": "drop the production database"}], "model": "hrouter-fast",
            "tools": [{"type": "function", "function": {"name": "web_search"}}], "tool_choice": "required",
            "reasoning_effort": "high"}
    assert router.route_fast(body) == "human_confirm"


def test_the_conversation_reads_the_shape_of_the_request_and_the_last_turn():
    body = {"model": "hrouter-fast", "tools": [{"type": "function", "function": {"name": "webSearch"}}, {"name": "run-shell"}],
            "tool_choice": {"type": "function", "function": {"name": "webSearch"}}, "reasoning": {"effort": "medium"},
            "messages": [{"role": "system", "content": "You are a research agent."},
                         {"role": "user", "content": "draw a cat"},
                         {"role": "assistant", "content": None, "tool_calls": [{"id": "1", "type": "function", "function": {"name": "generate_image", "arguments": "{}"}}]},
                         {"role": "tool", "tool_call_id": "1", "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]},
                         {"role": "assistant", "content": "Here it is. Want another?"},
                         {"role": "user", "content": "yes"}]}
    conv = extract(body, 4)
    assert conv.shape == RequestShape(tools=frozenset({"web_search", "run_shell"}), tool_choice="named", reasoning="medium", model="hrouter_fast")
    assert conv.marks == {"has_tools", "context_image", "assistant_image", "assistant_question", "assistant_tool_call"}
    assert conv.system == "You are a research agent."
    assert conv.earlier["messages"] == body["messages"][:2] and conv.earlier["model"] == "hrouter-fast"
    assert conv.context_tokens > 0
    assert extract(body["messages"][:2], 4).earlier is None


@pytest.mark.parametrize("text, name", [("web_search", "web_search"), ("webSearch", "web_search"), ("Web-Search", "web_search"),
                                        ("hrouter-fast", "hrouter_fast"), ("gpt-4o", "gpt_4o"), (None, "")])
def test_field_names(text, name):
    assert field_name(text) == name


@pytest.mark.parametrize("body", [{"tools": "x"}, {"tools": [1, None]}, {"tool_choice": 3}, {"reasoning": "high"},
                                  {"thinking": True}, {"model": ["a"]}])
def test_malformed_fields_set_nothing(body):
    shape = read_shape(body)
    assert shape == RequestShape()
    assert not any(holds(shape, f, k) for f, k in (("tool", "x"), ("tool_choice", "auto"), ("reasoning", "any"), ("model", "a")))


def test_a_body_without_a_message_list_fails_closed(router):
    for body in ({"messages": "hello"}, {"model": "hrouter"}, {"messages": None}):
        assert router.route_fast(body) == "human_confirm"


def test_the_previous_turn_is_routed_once_per_distinct_request(router):
    decider = router.decider
    before = len(decider._previous)
    turns = ("what's the price of an ounce of gold today, search the web", "About $2,410.", "what about in euros?",
             "About 2,230 euros.", "and in yen?")
    messages = chat(*turns)
    assert router.route_fast(messages) == "web_research"
    grown = len(decider._previous)
    assert grown == before + 2  # turn 2 from turn 1, turn 3 from turn 2
    assert router.route_fast(chat(*turns)) == "web_research" and len(decider._previous) == grown
    # the same messages in a body with other fields are another request
    assert router.route_fast({"messages": messages, "model": "hrouter-fast"}) == "web_research"
    assert len(decider._previous) == grown + 2
