"""Judging a proposed tool call where the risk actually runs: an endpoint in the format of Claude
Code's `PreToolUse` HTTP hook (docs/confirmation.md shows how to wire it).

Input: the hook's JSON (`hook_event_name`, `tool_name`, `tool_input`, `cwd`, ...). Output:
`hookSpecificOutput` with `permissionDecision` allow, ask or deny and the reasons with the rules
that gave them, or `{}` (no decision: Claude Code's own permission flow applies).

Two parts of the same compiled rules judge a call, and the stricter answer wins (deny over ask
over allow):

- the `call` rules (the tool-call scope, engine/tool_call.py, rules/tool_calls.rules), which
  read the call's own fields: the tool, its command, its file path and where that lies, an MCP
  tool's server and name, its arguments' text;
- the safety rules, on the call's text as a message (the shell command, or the tool's name in
  words and its arguments, judged clause by clause) and as a tool call an assistant proposed
  and the user approves (the assistant scope reads one as "name words arguments",
  engine/conversation.py); a safety rule firing asks. When the call rules allow the call (a
  tool that only reads), its arguments are data, not orders, and the safety rules are not
  asked: a Grep for "DROP TABLE" changes nothing.

`?risky=deny` answers deny wherever the rules would ask (an unattended agent has nobody to
ask); `?safe=allow` answers allow where no rule decided.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Mapping

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hrouter.server.body import BodyTooLarge, ClientGone, read_body
from hrouter.engine.model import frozen
from hrouter.engine.tool_call import ARG_CHARS, DECISIONS
from hrouter.server.confirmation import families_of
from hrouter.server.dispatch import CONFIRM
from hrouter.server.errors import error_response

log = logging.getLogger("hrouter.proxy")

PATH = "/v1/hooks/claude-code"
EVENT = "PreToolUse"
#: the user's turn that approves the proposed call, for the assistant-scope view
_APPROVAL = "yes, go ahead"


def _capped(value: Any) -> Any:
    if isinstance(value, str):
        return value[:ARG_CHARS]
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


def safety_verdict(router: Any, tool_name: str, tool_input: Mapping[str, Any]) -> tuple[bool, list[str], list[str]]:
    """(a safety rule fired, reasons, fired rules) over both message views of the call."""
    risky, reasons, fired = False, [], []
    for messages in call_views(tool_name, tool_input):
        decision = router.route(messages, None, include_alternatives=False)  # never raises: fails closed
        if decision.selected_engine == CONFIRM:
            risky = True
            reasons += [r for r in decision.reasons if r not in reasons]
            fired += [f.rule for f in decision.fired_rules if f.rule not in fired]
    return risky, reasons, fired


@frozen
class HookVerdict:
    decision: str | None  # allow, ask, deny, or None: no rule decided
    reason: str
    fired: tuple[str, ...]  # call rules that gave the decision, then the safety rules that fired


def _stricter(a: str | None, b: str | None) -> str | None:
    return max((d for d in (a, b) if d), key=DECISIONS.index, default=None)


def judge(router: Any, safety_rules: Mapping[str, str | None], tool_name: str, tool_input: Mapping[str, Any],
          cwd: Any) -> HookVerdict:
    """The call rules' verdict and the safety rules' on the call's text, the stricter winning."""
    calls = router.decider.judge_call(tool_name, tool_input, cwd)
    risky, reasons, safety_fired = False, [], []
    if calls.decision != "allow":  # an allowed tool only reads: its arguments are data (module docstring)
        risky, reasons, safety_fired = safety_verdict(router, tool_name, tool_input)
    decision = _stricter(calls.decision, "ask" if risky else None)
    # What gave the decision: the call rules at its level (an allow beside an ask explains
    # nothing), and the safety rules whenever one fired.
    hits = [h for h in calls.hits if h.decision == decision]
    parts = [f"{h.reason} (call rule {h.id}, {h.loc})" for h in hits]
    fired = [h.id for h in hits]
    if risky:
        families = ", ".join(families_of(safety_fired, safety_rules))
        parts.append(f"{families}: {'; '.join(reasons)} (rules: {', '.join(safety_fired)})")
        fired += [r for r in safety_fired if r not in fired]
    return HookVerdict(decision, "hrouter: " + "; ".join(parts) if parts else "hrouter: no rule decided", tuple(fired))


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
    args = (router, state.confirmations.safety_rules(router), tool_name, tool_input, data.get("cwd", ""))
    try:
        verdict = await run_in_threadpool(judge, *args) if large else judge(*args)
    except Exception:  # Claude Code runs a call whose hook failed: a failure here must ask instead
        log.exception("tool hook: could not judge a %s call", tool_name[:100])
        verdict = HookVerdict("ask", "hrouter: the tool call could not be judged (see the proxy's log)", ())
    if verdict.decision is None:
        answer = safe_answer
    elif verdict.decision == "ask":
        answer = risky_answer
    else:
        answer = verdict.decision
    state.metrics.observe_tool_hook(answer)
    if state.sink.enabled:  # the tool's name and the verdict, never its arguments
        from hrouter.server.events import lifecycle_event

        state.sink.emit(lifecycle_event("tool_call_judged", request_id=request.scope.get("state", {}).get("request_id"),
                                        tool_name=tool_name[:100], decision=answer, fired_rules=list(verdict.fired) or None))
    if answer == "defer":
        return _answer(None, "")
    return _answer(answer, verdict.reason)


HOOK_ROUTES = [Route(PATH, pre_tool_use, methods=["POST"])]
