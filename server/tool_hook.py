"""Judging a proposed tool call where the risk actually runs: an endpoint in the format of Claude
Code's `PreToolUse` HTTP hook (docs/confirmation.md shows how to wire it).

Input: the hook's JSON (`hook_event_name`, `tool_name`, `tool_input`, ...). Output:
`hookSpecificOutput` with `permissionDecision` ask (or deny, with `?risky=deny`) when a safety
rule fires, with the reasons; otherwise no decision, so Claude Code's own permission flow
applies (or allow, with `?safe=allow`).

The call is judged by the same compiled rules, in the two places they address it: as the
request itself (the shell command, or the tool's name in words and its arguments, as the
latest user message, judged clause by clause) and as a tool call an assistant proposed and the
user approves (the assistant scope reads a tool call as "name words arguments",
engine/conversation.py). A rule firing in either asks.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hrouter.server.body import BodyTooLarge, ClientGone, read_body
from hrouter.server.confirmation import families_of
from hrouter.server.dispatch import CONFIRM
from hrouter.server.errors import error_response

PATH = "/v1/hooks/claude-code"
EVENT = "PreToolUse"
#: each string argument is judged up to this many characters (a Write's whole file is data, and
#: its head shows what it is)
_ARG_CHARS = 4000
#: the user's turn that approves the proposed call, for the assistant-scope view
_APPROVAL = "yes, go ahead"


def _capped(value: Any) -> Any:
    if isinstance(value, str):
        return value[:_ARG_CHARS]
    if isinstance(value, Mapping):
        return {str(k): _capped(v) for k, v in list(value.items())[:50]}
    if isinstance(value, list):
        return [_capped(v) for v in value[:50]]
    return value


def _tool_words(name: str) -> str:
    """``mcp__github__delete_branch`` as "github delete_branch" (the engine splits the rest)."""
    return " ".join(part for part in name.removeprefix("mcp__").split("__") if part)


def call_views(tool_name: str, tool_input: Mapping[str, Any]) -> list[list[dict[str, Any]]]:
    """The two conversations a tool call is judged as (see the module docstring)."""
    args = _capped(dict(tool_input))
    arguments = json.dumps(args, ensure_ascii=False, separators=(", ", ": "))
    command = args.get("command") if isinstance(args.get("command"), str) else None
    as_request = command if tool_name == "Bash" and command else f"{_tool_words(tool_name).replace('_', ' ')} {arguments}"
    proposed = {"role": "assistant", "content": "",
                "tool_calls": [{"id": "hook", "type": "function",
                                "function": {"name": _tool_words(tool_name).replace(" ", "_"), "arguments": arguments}}]}
    return [[{"role": "user", "content": as_request}], [proposed, {"role": "user", "content": _APPROVAL}]]


def judge(router: Any, tool_name: str, tool_input: Mapping[str, Any]) -> tuple[bool, list[str], list[str]]:
    """(a safety rule fired, reasons, fired rules) over both views of the call."""
    risky, reasons, fired = False, [], []
    for messages in call_views(tool_name, tool_input):
        decision = router.route(messages, None, include_alternatives=False)  # never raises: fails closed
        if decision.selected_engine == CONFIRM:
            risky = True
            reasons += [r for r in decision.reasons if r not in reasons]
            fired += [f.rule for f in decision.fired_rules if f.rule not in fired]
    return risky, reasons, fired


def _answer(decision: str | None, reason: str) -> Response:
    if decision is None:
        return JSONResponse({})
    return JSONResponse({"hookSpecificOutput": {"hookEventName": EVENT, "permissionDecision": decision,
                                                "permissionDecisionReason": reason}})


async def pre_tool_use(request: Request) -> Response:
    state = request.app.state.proxy
    risky_answer = request.query_params.get("risky", "ask")
    safe_answer = request.query_params.get("safe", "defer")
    if risky_answer not in ("ask", "deny") or safe_answer not in ("defer", "allow"):
        return error_response(400, "risky must be ask or deny, safe defer or allow.", "invalid_request_error")
    try:
        raw = await read_body(request.scope, request.receive, state.config.proxy.max_body_bytes)
    except BodyTooLarge:
        return _answer(risky_answer, "hrouter: the tool call is too large to judge")
    except ClientGone:
        return Response(status_code=499)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("tool_name"), str) \
            or not isinstance(data.get("tool_input", {}), dict):
        # Fail closed: a call that cannot be read is one a human looks at.
        return _answer(risky_answer, "hrouter: could not read the tool call (expected tool_name and tool_input)")
    if data.get("hook_event_name", EVENT) != EVENT:
        return _answer(None, "")
    router = state.holder.router
    tool_name, tool_input = data["tool_name"], data.get("tool_input") or {}
    large = len(raw) > 32 * 1024
    risky, reasons, fired = (await run_in_threadpool(judge, router, tool_name, tool_input) if large
                             else judge(router, tool_name, tool_input))
    answer = risky_answer if risky else safe_answer
    state.metrics.observe_tool_hook(answer)
    if state.sink.enabled:  # the tool's name and the verdict, never its arguments
        from hrouter.server.events import lifecycle_event

        state.sink.emit(lifecycle_event("tool_call_judged", request_id=request.scope.get("state", {}).get("request_id"),
                                        tool_name=tool_name[:100], decision=answer, fired_rules=fired or None))
    if not risky:
        return _answer("allow" if safe_answer == "allow" else None, "hrouter: no safety rule fired")
    families = ", ".join(families_of(fired, state.confirmations.safety_rules(router)))
    return _answer(risky_answer, f"hrouter: {families}: {'; '.join(reasons)} (rules: {', '.join(fired)})")


HOOK_ROUTES = [Route(PATH, pre_tool_use, methods=["POST"])]
