"""The Claude Code PreToolUse hook endpoint: a proposed tool call judged by the same compiled
rules, answered in the hook's own output format."""

from __future__ import annotations

import json

import httpx
import pytest

from hrouter.server.app import create_app
from hrouter.server.config import config_from_data
from hrouter.server.threaded import ThreadedServer

from .conftest import proxy_data, serving

HOOK = "/v1/hooks/claude-code"


def hook_input(tool_name: str, tool_input: dict, event: str = "PreToolUse") -> dict:
    """What Claude Code POSTs to an HTTP hook."""
    return {"session_id": "s-1", "transcript_path": "/tmp/t.jsonl", "cwd": "/repo", "permission_mode": "default",
            "hook_event_name": event, "tool_name": tool_name, "tool_input": tool_input, "tool_use_id": "toolu_1"}


def decision(response) -> tuple[str | None, str]:
    assert response.status_code == 200, response.text
    out = response.json().get("hookSpecificOutput")
    if out is None:
        return None, ""
    assert out["hookEventName"] == "PreToolUse"
    return out["permissionDecision"], out["permissionDecisionReason"]


def test_a_risky_call_asks_with_its_reasons_and_a_safe_one_defers(client, behaviours):
    answer, reason = decision(client.post(HOOK, json=hook_input("Bash", {"command": "rm -rf build/", "description": "x"})))
    assert answer == "ask" and "destructive" in reason and "destructive action" in reason
    assert decision(client.post(HOOK, json=hook_input("Bash", {"command": "ls -la"}))) == (None, "")
    assert decision(client.post(HOOK + "?safe=allow", json=hook_input("Bash", {"command": "ls -la"})))[0] == "allow"
    assert decision(client.post(HOOK + "?risky=deny", json=hook_input("Bash", {"command": "rm -rf build/"})))[0] == "deny"
    # an MCP tool: its name read as words, its arguments judged too
    answer, reason = decision(client.post(HOOK, json=hook_input("mcp__github__delete_branch",
                                                                {"owner": "me", "repo": "x", "branch": "old"})))
    assert answer == "ask" and "rules: destructive" in reason
    assert decision(client.post(HOOK, json=hook_input("mcp__github__get_issue", {"number": 3}))) == (None, "")
    answer, _ = decision(client.post(HOOK, json=hook_input("Write", {"file_path": "/repo/wipe.sh",
                                                                      "content": "wipe the backups"})))
    assert answer == "ask"
    assert all(b.received == [] for b in behaviours.values())  # judging never forwards anything


def test_unreadable_calls_fail_closed_and_other_events_get_no_decision(client):
    for body in (b"not json", b"[]", b'{"tool_input": {}}', b'{"tool_name": "Bash", "tool_input": "rm"}'):
        answer, reason = decision(client.post(HOOK, content=body, headers={"content-type": "application/json"}))
        assert answer == "ask" and "could not read" in reason
    assert decision(client.post(HOOK, json=hook_input("Bash", {"command": "rm -rf /"}, event="PostToolUse"))) == (None, "")
    bad = client.post(HOOK + "?risky=allow", json=hook_input("Bash", {"command": "ls"}))
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"
    metrics = client.get("/metrics").text
    assert 'hrouter_tool_hook_decisions_total{decision="ask"}' in metrics


RISKY_CALLS = [
    ("Bash", {"command": "rm -rf ~/projects/app"}),
    ("Bash", {"command": "git push --force origin main"}),
    ("Bash", {"command": "kubectl delete namespace prod"}),
    ("Bash", {"command": "psql -c 'DROP TABLE users'"}),
    ("mcp__github__delete_branch", {"owner": "me", "repo": "x", "branch": "main"}),
    ("mcp__gmail__send_email", {"to": "boss@example.com", "subject": "hi", "body": "see you"}),
    ("mcp__calendar__create_event", {"title": "standup", "start": "2026-12-03T09:00"}),
]
SAFE_CALLS = [
    ("Bash", {"command": "ls -la"}),
    ("Bash", {"command": "pytest -q tests"}),
    ("Edit", {"file_path": "/repo/src/app.py", "old_string": "a = 1", "new_string": "a = 2"}),
    ("mcp__github__get_issue", {"owner": "me", "repo": "x", "number": 3}),
]


@pytest.fixture(scope="module")
def packaged(standins):
    """A proxy on the packaged rules: the hook is for real tool calls."""
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    del data["rules"]
    with serving(data) as server:
        yield server


def test_the_packaged_rules_ask_for_risky_tool_calls_only(packaged):
    with httpx.Client(base_url=packaged.url, timeout=10) as http:
        for tool, args in RISKY_CALLS:
            assert decision(http.post(HOOK, json=hook_input(tool, args)))[0] == "ask", (tool, args)
        for tool, args in SAFE_CALLS:
            assert decision(http.post(HOOK, json=hook_input(tool, args)))[0] is None, (tool, args)
        # a tool that only reads is allowed by a call rule (rules/tool_calls.rules)
        assert decision(http.post(HOOK, json=hook_input("Read", {"file_path": "/repo/README.md"})))[0] == "allow"


def test_each_judged_call_is_an_event_without_its_arguments(standins, behaviours, tmp_path):
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    data["observability"] = {"enabled": True, "log_path": str(tmp_path / "events.jsonl")}
    app = create_app(config_from_data(data, "tests"))
    with ThreadedServer(app) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        http.post(HOOK, json=hook_input("Bash", {"command": "rm -rf /srv/secret-project"}))
        http.post(HOOK, json=hook_input("Bash", {"command": "ls"}))
        assert app.state.proxy.sink.flush(5)
    text = (tmp_path / "events.jsonl").read_text()
    assert "secret-project" not in text
    rows = [json.loads(line) for line in text.splitlines()]
    assert [(r["event"], r["tool_name"], r["decision"]) for r in rows] == [
        ("tool_call_judged", "Bash", "ask"), ("tool_call_judged", "Bash", "defer")]
    assert rows[0]["fired_rules"] == ["destructive"] and "fired_rules" not in rows[1]
