"""The hook on the packaged rules: the tool-call scope's `call` rules and the safety families,
through a real server, with the payloads Claude Code posts."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from .conftest import proxy_data, serving
from .test_tool_hook import HOOK, decision, hook_input


@pytest.fixture(scope="module")
def http(standins):
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    del data["rules"]  # the packaged rules, with rules/tool_calls.rules
    with serving(data) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def line_of(text: str) -> int:
    rules = (Path(__file__).resolve().parents[2] / "rules" / "tool_calls.rules").read_text().splitlines()
    return next(i for i, line in enumerate(rules, 1) if line.startswith(text))


def ask(http, tool, args, query=""):
    return decision(http.post(HOOK + query, json=hook_input(tool, args)))


def test_rm_rf_asks_with_the_call_rule_and_the_destructive_family(http):
    answer, reason = ask(http, "Bash", {"command": "rm -rf build/ dist/", "description": "clean the build"})
    assert answer == "ask"
    assert "a destructive shell command (call rule destructive_shell, tool_calls.rules:" in reason
    assert "; destructive" in reason and "(rules: destructive" in reason  # the safety family on the command's text
    assert reason.startswith("hrouter: ")


def test_force_push_asks(http):
    answer, reason = ask(http, "Bash", {"command": "git push --force origin main"})
    assert answer == "ask" and "call rule destructive_shell" in reason


def test_removing_the_whole_disk_is_denied_and_risky_deny_turns_asks_into_denials(http):
    answer, reason = ask(http, "Bash", {"command": "sudo rm -rf /"})
    assert answer == "deny" and "removes the whole file system or home folder (call rule wipe_root" in reason
    assert "call rule destructive_shell" not in reason  # an ask beside a deny gave nothing
    assert ask(http, "Bash", {"command": "git push --force origin main"}, "?risky=deny")[0] == "deny"


def test_a_read_is_allowed_and_its_arguments_are_not_orders(http):
    assert ask(http, "Read", {"file_path": "/repo/src/app.py"}) == (
        "allow", f"hrouter: reads without changing anything (call rule read_only, tool_calls.rules:{line_of('call read_only')})")
    # a search for a destructive statement changes nothing
    assert ask(http, "Grep", {"pattern": "DROP TABLE users", "path": "/repo"})[0] == "allow"
    # but a read of credentials asks
    answer, reason = ask(http, "Read", {"file_path": "/home/dev/.ssh/id_ed25519"})
    assert answer == "ask" and "call rule read_secret" in reason and "read_only" not in reason


def test_a_write_to_dotenv_or_outside_the_project_asks(http):
    answer, reason = ask(http, "Write", {"file_path": "/repo/.env", "content": "STRIPE_KEY=sk_live_x"})
    assert answer == "ask" and "writes a secrets, credentials or login file (call rule write_secret" in reason
    answer, reason = ask(http, "Edit", {"file_path": "/etc/hosts", "old_string": "a", "new_string": "b"})
    assert answer == "ask" and "writes outside the project (call rule write_outside" in reason
    # the project's own files are Claude Code's to ask about
    assert ask(http, "Write", {"file_path": "/repo/src/app.py", "content": "print('hi')"}) == (None, "")


def test_an_mcp_send_asks(http):
    answer, reason = ask(http, "mcp__slack__send_message", {"channel_id": "C123", "text": "the release is out"})
    assert answer == "ask"
    assert "an MCP tool that deletes, sends, pays or publishes (call rule mcp_risky" in reason
    assert ask(http, "mcp__slack__list_channels", {"limit": 20}) == (None, "")


def test_a_harmless_ls_gets_no_decision_unless_safe_allow(http):
    assert ask(http, "Bash", {"command": "ls -la"}) == (None, "")
    assert ask(http, "Bash", {"command": "ls -la"}, "?safe=allow") == ("allow", "hrouter: no rule decided")


def test_the_answer_is_exactly_claude_codes_format(http):
    response = http.post(HOOK, json=hook_input("Bash", {"command": "rm -rf build"}))
    body = response.json()
    assert response.headers["content-type"] == "application/json"
    assert list(body) == ["hookSpecificOutput"]
    assert sorted(body["hookSpecificOutput"]) == ["hookEventName", "permissionDecision", "permissionDecisionReason"]
    assert http.post(HOOK, json=hook_input("Bash", {"command": "ls"})).json() == {}


def test_a_call_the_rules_fail_to_judge_asks(standins, caplog):
    from hrouter.server.app import create_app
    from hrouter.server.config import config_from_data
    from hrouter.server.threaded import ThreadedServer

    app = create_app(config_from_data(proxy_data({n: u for n, (u, _) in standins.items()}), "tests"))
    with ThreadedServer(app) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        decider = app.state.proxy.holder.router.decider

        def broken(*_args):
            raise RuntimeError("scan failed")

        decider.judge_call = broken
        answer, reason = decision(client.post(HOOK, json=hook_input("Bash", {"command": "ls"})))
    assert answer == "ask" and "could not be judged" in reason
    assert "could not judge a Bash call" in caplog.text
