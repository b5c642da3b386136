"""The tool-call scope in the language: `call` rules, their fields and text scopes, and the
errors for a test that cannot exist where its rule runs."""

from __future__ import annotations

from hrouter.engine.decision import Decider


def test_call_rules_lower_to_their_own_table_with_call_atoms(compile_text):
    artifact = compile_text("""
        feature destroy = words("rm -rf")
        feature secret = words(".env")
        call shell: call.bash and command.destroy -> ask "a destructive shell command"
        call secret_write: call.write and (path.secret or path_in.outside_project) -> deny
        call reads: call.read -> allow "reads only"
    """)
    assert [(r.id, r.kind, r.target) for r in artifact.call_rules] == [
        ("shell", "call", "ask"), ("secret_write", "call", "deny"), ("reads", "call", "allow")]
    # The decision table never sees them: the routes are the default alone.
    assert [r.id for r in artifact.rules] == ["default"]
    assert artifact.call_rules[1].reason == "call rule secret_write"
    atoms = {a.name: a for a in artifact.atoms}
    assert (atoms["call.bash"].kind, atoms["call.bash"].field, atoms["call.bash"].key) == ("call", "call", "bash")
    assert atoms["path_in.outside_project"].field == "path_in"
    assert (atoms["command.destroy"].kind, atoms["command.destroy"].scope) == ("lexical", "command")
    assert atoms["path.secret"].scope == "path"


def test_the_strictest_rule_that_holds_decides(compile_text):
    decider = Decider(compile_text("""
        feature secret = words(".env", ".ssh")
        feature reader = call.read or call.grep
        call reads: reader -> allow "reads only"
        call secret_read: reader and path.secret -> ask "reads a secret"
        call outside: call.write and path_in.outside_project -> deny "writes outside"
        call sends: call.mcp and tool_name.send -> ask "sends"
        feature send = words(send)
    """))
    plain = decider.judge_call("Read", {"file_path": "src/app.py"}, "/repo")
    assert (plain.decision, [h.id for h in plain.hits]) == ("allow", ["reads"])
    secret = decider.judge_call("Read", {"file_path": "/home/me/.ssh/id_rsa"}, "/repo")
    assert secret.decision == "ask"
    assert [h.id for h in secret.deciding] == ["secret_read"]  # the allow beside it explains nothing
    assert decider.judge_call("Write", {"file_path": "/etc/hosts", "content": "x"}, "/repo").decision == "deny"
    assert decider.judge_call("Write", {"file_path": "/repo/src/a.py", "content": "x"}, "/repo").decision is None
    assert decider.judge_call("mcp__slack__send_message", {"text": "hi"}, "/repo").decision == "ask"
    assert decider.judge_call("mcp__slack__list_channels", {}, "/repo").decision is None
    # The message path is untouched: a prompt naming the same things routes as before.
    assert decider.decide("read the .env file").target == "balanced"


def test_mcp_server_and_tool_fields(compile_text):
    decider = Decider(compile_text("""
        call stripe: mcp_server.stripe and not mcp_tool.list_charges -> ask "stripe"
    """))
    assert decider.judge_call("mcp__stripe__create_refund", {"charge": "ch_1"}).decision == "ask"
    assert decider.judge_call("mcp__stripe__list_charges", {}).decision is None
    assert decider.judge_call("stripe", {}).decision is None  # not an MCP tool


def test_a_call_field_in_a_message_rule_is_an_error_at_the_field(errors_of):
    diags = errors_of("""
        feature destroy = words("rm -rf")
        safety shell: call.bash and destroy -> confirmation "shell"
        route cmd: command.destroy -> coding
    """)
    assert [d.code for d in diags] == ["bad-scope", "bad-scope"]
    first, second = diags
    assert (first.location.line, first.location.column) == (4, 15)
    assert "'call.bash' is a tool-call field" in first.message
    assert "safety rule 'shell' (main.rules:4) judges a message" in first.message
    assert second.location.line == 5 and "'command.destroy'" in second.message
    assert first.render().splitlines()[0].endswith("main.rules:4:15: " + first.message)


def test_a_message_feature_in_a_call_rule_is_an_error_through_derived_features(errors_of):
    diags = errors_of("""
        feature destroy = words("rm -rf")
        feature risky = call.bash and (destroy or has_tools)
        call shell: risky -> ask
        call sized: call.bash and chars > 100 -> ask
        call asked: call.bash and previous.coding -> ask
    """)
    assert [d.code for d in diags] == ["bad-scope"] * 4
    by_line = {(d.location.line, d.location.column): d.message for d in diags}
    assert "'destroy' reads the message or the request" in by_line[(4, 32)]
    assert "call rule 'shell' (main.rules:5) judges a tool call, and reaches it through risky" in by_line[(4, 32)]
    assert "'has_tools'" in by_line[(4, 43)]
    assert "'chars > 100'" in by_line[(6, 27)]
    assert "'previous.coding'" in by_line[(7, 27)]


def test_a_call_feature_in_a_score_or_flag_is_an_error(errors_of):
    diags = errors_of("""
        flag requires_tools = call.bash
        score risk { + 10 when path_in.project "in the project" }
    """)
    assert [d.code for d in diags] == ["bad-scope", "bad-scope"]
    assert "flag 'requires_tools'" in diags[0].message
    assert "score 'risk'" in diags[1].message


def test_call_field_values_and_decisions_are_checked(errors_of):
    diags = errors_of("""
        feature secret = words(".env")
        feature both = call.bash and call.read
        call a: path_in.outsde_project -> ask
        call b: call.write -> block
        call c: commnd.secret -> ask
        call d: path.both -> ask
    """)
    codes = {d.location.line: (d.code, d.message) for d in diags}
    assert codes[5][0] == "bad-field" and "did you mean 'outside_project'" in codes[5][1]
    assert codes[6][0] == "bad-decision" and "allow, ask, deny" in codes[6][1]
    assert codes[7][0] == "unknown-scope" and "did you mean 'command'" in codes[7][1]
    assert codes[8][0] == "bad-scope" and "only to lexical features" in codes[8][1]


def test_call_field_and_scope_names_are_reserved(errors_of):
    (d,) = errors_of("""
        feature command = words(ls)
        route r: command -> coding
    """)
    assert d.code == "reserved-name" and "'command'" in d.message


def test_the_reference_example_compiles_and_judges(compile_text):
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "rules-language.md").read_text(encoding="utf-8")
    section = doc[doc.index("#### The tool-call scope"):doc.index("When the rule that decides reads")]
    (example,) = [b for b in re.findall(r"```\n(.*?)```", section, re.S) if b.startswith("feature")]
    decider = Decider(compile_text(example))
    assert decider.judge_call("Bash", {"command": "git push -f origin main"}).decision == "ask"
    assert decider.judge_call("Edit", {"file_path": "/srv/app/.env"}, "/srv/app").decision == "ask"
    assert decider.judge_call("Glob", {"pattern": "*.py"}).decision == "allow"
    assert decider.judge_call("mcp__stripe__create_refund", {}).decision == "ask"
    assert decider.judge_call("Bash", {"command": "ls"}).decision is None


def test_expect_call_lines_run_through_the_call_rules(write_rules):
    import pytest

    from hrouter.compiler import RulesError
    from hrouter.compiler.compile import compile_rules
    from hrouter.compiler.expect import run_expects

    body = '''targets balanced, confirmation
feature destroy = words("rm -rf")
call shell: command.destroy -> ask "destructive"
expect call "Bash" command "rm -rf build" -> ask
expect call "Bash" command "ls" -> none
expect call "Write" path "/etc/hosts" in "/repo" -> not deny
expect call "Bash" command "ls" -> ask
default -> balanced
'''
    with pytest.raises(RulesError) as info:
        compile_rules(write_rules(body))
    (failure,) = info.value.diagnostics
    assert failure.code == "expect-failed" and failure.location.line == 7
    assert failure.message == "expect failed: expected ask, got none"
    assert 'call:     Bash {"command": "ls"}' in failure.render()
    results = run_expects(compile_rules(write_rules(body), check_expects=False))
    assert [r.passed for r in results] == [True, True, True, False]
    assert results[0].fired == ("shell -> ask (main.rules:3)",) and results[0].rule_id == "shell"


def test_expect_call_errors(errors_of):
    diags = errors_of('''
        expect call "Bash" command "ls" -> maybe
        expect call "Grep" arguments "[1, 2]" -> allow
        expect call "Bash" command "a" command "b" -> none
    ''')
    assert [(d.code, d.location.line) for d in diags] == [("bad-decision", 3), ("bad-expect", 4), ("duplicate", 5)]
    assert "allow, ask, deny, none" in diags[0].message


def test_the_reference_expect_call_lines_hold_on_the_reference_example(compile_text):
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "rules-language.md").read_text(encoding="utf-8")
    section = doc[doc.index("#### The tool-call scope"):doc.index("When the rule that decides reads")]
    (example,) = [b for b in re.findall(r"```\n(.*?)```", section, re.S) if b.startswith("feature")]
    expects = doc[doc.index("A tool call has its own expectation"):doc.index("## Recipes")]
    lines = re.findall(r"```\n(.*?)```", expects, re.S)[0]
    assert lines.startswith("expect call")
    artifact = compile_text(example + lines, check_expects=True)  # raises if one fails
    assert len(artifact.call_expects) == 5
