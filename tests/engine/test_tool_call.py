"""Reading a proposed tool call: what each field and text scope of engine/tool_call.py holds."""

from __future__ import annotations

import pytest

from hrouter.engine.tool_call import ARG_CHARS, place, read_call


def test_a_shell_call():
    call = read_call("Bash", {"command": "rm -rf build", "description": "clean", "timeout": 5000}, "/repo")
    assert (call.name, call.mcp, call.command, call.path, call.path_place) == ("bash", False, "rm -rf build", "", "")
    assert call.arguments == "rm -rf build\nclean\n5000"
    assert call.holds("call", "bash") and not call.holds("call", "mcp")
    assert call.tool_name == "bash"


def test_an_mcp_call_splits_server_and_tool():
    call = read_call("mcp__slack__send_message", {"channel": "#general", "blocks": [{"text": "hi"}]})
    assert (call.name, call.mcp_server, call.mcp_tool) == ("mcp_slack_send_message", "slack", "send_message")
    assert call.tool_name == "mcp slack send message"
    assert call.arguments == "#general\nhi"
    assert call.holds("call", "mcp") and call.holds("mcp_server", "slack") and call.holds("mcp_tool", "send_message")
    assert not read_call("slack_send", {}).holds("mcp_server", "slack")


def test_camel_case_tool_names():
    assert read_call("MultiEdit", {}).name == "multi_edit"
    assert read_call("NotebookEdit", {"notebook_path": "a.ipynb"}).path == "a.ipynb"


@pytest.mark.parametrize(("path", "cwd", "where"), [
    ("src/app.py", "/repo", "project"),
    ("/repo/src/app.py", "/repo/", "project"),
    ("/repo", "/repo", "project"),
    ("/repository/x", "/repo", "outside_project"),  # a prefix of the name is not inside
    ("../other/a.py", "/repo", "outside_project"),
    ("/repo/../etc/passwd", "/repo", "outside_project"),
    ("~/.ssh/config", "/repo", "outside_project"),
    ("/etc/hosts", "", "outside_project"),  # no cwd to compare: outside
    ("src/a.py", "", "project"),
    ("C:\\repo\\src\\a.py", "C:\\repo", "project"),
])
def test_where_a_path_resolves(path, cwd, where):
    assert place(path, cwd) == where
    assert read_call("Write", {"file_path": path, "content": ""}, cwd).holds("path_in", where)


def test_malformed_calls_read_as_empty_and_long_arguments_are_capped():
    call = read_call(None, "not a mapping", 7)
    assert (call.name, call.command, call.arguments, call.path_place) == ("", "", "", "")
    big = read_call("Write", {"file_path": "a", "content": "x" * (ARG_CHARS * 3)})
    assert len(big.arguments) == len("a\n") + ARG_CHARS
