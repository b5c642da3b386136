"""Request atoms: features of the request body rather than of its text.

A rule names them as ``FIELD.VALUE`` (``tool.web_search``, ``tool_choice.required``,
``reasoning.high``, ``model.hrouter_fast``, ``previous.research``) or compares a measure of the
whole conversation (``context_tokens >= 8000``). The compiler checks the field and, where the
field has a closed set of values, the value (``FIELDS``); the engine reads the body once into a
``RequestShape`` and sets the atoms' bits from it, beside the lexical and builtin bits, so the
decision program and its table see them like any other feature.

``previous.TARGET`` is the route the previous user turn takes: the decider routes the
conversation up to that turn with the same automaton and program (engine/decision.py) and sets
the bit of its target, so a rule can let a follow-up inherit it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hrouter.engine.model import frozen

#: field -> its values (None: any name; "targets": a target of the rule set)
FIELDS: dict[str, tuple[str, ...] | str | None] = {
    "previous": "targets",  # the route the previous user turn takes
    "tool": None,  # a tool the request offers, by name ("web_search", "run_shell")
    "tool_choice": ("auto", "none", "required", "named"),
    # reasoning_effort / reasoning.effort; "thinking": an enabled thinking block; "any": an
    # effort above minimal, or thinking
    "reasoning": ("none", "minimal", "low", "medium", "high", "thinking", "any"),
    "model": None,  # the model id the client asked for ("hrouter-fast" -> hrouter_fast)
}
#: measures of the whole request, compared with a number (``context_tokens >= 8000``)
MEASURE_FIELDS = ("context_tokens",)

_EFFORTS = ("none", "minimal", "low", "medium", "high")


def field_name(text: object) -> str:
    """A tool or model id as a rule names it: lower case, camelCase and every run of
    characters other than a-z and 0-9 as one ``_`` ("webSearch", "web-search" -> web_search)."""
    if not isinstance(text, str):
        return ""
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch.isupper() and i and text[i - 1].islower():
            out.append("_")
        low = ch.lower()
        out.append(low if ("a" <= low <= "z" or "0" <= low <= "9") else "_")
    return "_".join(part for part in "".join(out).split("_") if part)


@frozen
class RequestShape:
    tools: frozenset[str] = frozenset()  # field_name of each offered tool
    tool_choice: str = ""  # auto, none, required, named, or "" when not given
    reasoning: str = ""  # one of _EFFORTS, or "" when not given
    thinking: bool = False  # an Anthropic-style thinking block is enabled
    model: str = ""  # field_name of the requested model id


NO_REQUEST = RequestShape()


def read_shape(body: Mapping) -> RequestShape:
    """The request fields a rule can test, from an OpenAI- or Anthropic-style body. What
    cannot be read is left out: a malformed field never raises and never sets a bit."""
    tools = body.get("tools")
    names: set[str] = set()
    if isinstance(tools, Sequence) and not isinstance(tools, (str, bytes)):
        for t in tools:
            if isinstance(t, Mapping):
                function = t.get("function")
                name = function.get("name") if isinstance(function, Mapping) else t.get("name")
                if field_name(name):
                    names.add(field_name(name))
    effort = body.get("reasoning_effort")
    reasoning = body.get("reasoning")
    if effort is None and isinstance(reasoning, Mapping):
        effort = reasoning.get("effort")
    thinking = body.get("thinking")
    return RequestShape(
        tools=frozenset(names),
        tool_choice=_tool_choice(body.get("tool_choice")),
        reasoning=effort if effort in _EFFORTS else "",
        thinking=isinstance(thinking, Mapping) and thinking.get("type") == "enabled",
        model=field_name(body.get("model")),
    )


def _tool_choice(choice: object) -> str:
    if choice in ("auto", "none", "required"):
        return choice
    if choice == "any":  # Anthropic's "some tool"
        return "required"
    if isinstance(choice, Mapping):
        kind = choice.get("type")
        if kind in ("function", "tool"):
            return "named"
        if kind in ("auto", "none"):
            return kind
        if kind == "any":
            return "required"
    return ""


def previous_refs(artifact) -> dict[str, tuple[str, ...]]:
    """For each rule, the ``previous.TARGET`` atoms its condition reads, through derived
    features: a receipt says a route was inherited when the rule that won read one that held."""
    derived = {d.name: d.expr for d in artifact.derived}
    memo: dict[str, frozenset[str]] = {}

    def names(expr) -> frozenset[str]:
        if not isinstance(expr, list) or not expr:
            return frozenset()
        if expr[0] == "ref":
            name = expr[1]
            if name.startswith("previous."):
                return frozenset((name,))
            if name in derived:
                if name not in memo:
                    memo[name] = frozenset()  # derived features are acyclic; this only guards
                    memo[name] = names(derived[name])
                return memo[name]
            return frozenset()
        out: frozenset[str] = frozenset()
        for item in expr[1:]:
            out |= names(item)
        return out

    return {r.id: tuple(sorted(names(r.when))) for r in artifact.rules if names(r.when)}


def holds(shape: RequestShape, field: str, key: str) -> bool:
    """Whether ``FIELD.KEY`` holds for the request (``previous`` is the decider's)."""
    if field == "tool":
        return key in shape.tools
    if field == "tool_choice":
        return shape.tool_choice == key
    if field == "reasoning":
        if key == "any":
            return shape.thinking or shape.reasoning in ("low", "medium", "high")
        if key == "thinking":
            return shape.thinking
        return shape.reasoning == key
    if field == "model":
        return shape.model == key
    return False
