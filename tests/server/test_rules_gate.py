"""The gate: rules, sources or a compiled artifact, are served only when every expect passes."""

from __future__ import annotations

import re
import shutil

import pytest

from hrouter.compiler import compile_rules
from hrouter.engine import RouterConfigError
from hrouter.engine.artifact_io import write_artifact
from hrouter.server.diagnose import check_config
from hrouter.server.rules_gate import ExpectsFailed, checked_artifact

from .conftest import RULES


@pytest.fixture
def broken(tmp_path):
    """The test rules without their destructive-action safety rule: they compile, expects fail."""
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    main = rules / "main.rules"
    text, removed = re.subn(r"^safety destructive:.*\n", "", main.read_text(), flags=re.M)
    assert removed == 1
    main.write_text(text)
    return rules


def test_sources_whose_expects_fail_are_refused_with_each_failure_located(broken):
    with pytest.raises(ExpectsFailed) as caught:
        checked_artifact(broken)
    exc = caught.value
    assert exc.summary == f"{broken}: 2 expect lines fail"
    assert exc.errors[0].startswith("main.rules:20: expect 'please delete the staging logs' -> confirmation, got ")
    assert exc.errors[1].startswith("main.rules:24: expect 'yes, do it' -> confirmation, got ")
    assert str(exc) == exc.summary + ": " + "; ".join(exc.errors)  # one line for the log and /health


def test_a_compiled_artifact_is_checked_too(broken, tmp_path):
    # `hrouter compile --no-expects` writes such a file; the expects travel inside it
    artifact = tmp_path / "out" / "artifact.json"
    artifact.parent.mkdir()
    write_artifact(compile_rules(broken, check_expects=False), artifact)
    with pytest.raises(ExpectsFailed) as caught:
        checked_artifact(artifact)
    assert "main.rules:20: expect 'please delete the staging logs'" in str(caught.value)

    write_artifact(compile_rules(RULES), artifact)
    good = checked_artifact(artifact)
    assert good.expects == () and good.source_hash == compile_rules(RULES).source_hash


def test_rules_that_do_not_compile_keep_their_compiler_message(broken):
    (broken / "main.rules").write_text("route broken: nonexistent_feature -> coding \"oops\"\n")
    with pytest.raises(RouterConfigError) as caught:
        checked_artifact(broken)
    assert not isinstance(caught.value, ExpectsFailed)
    assert "nonexistent_feature" in str(caught.value)


def test_validate_proxy_config_lists_the_failing_expects(broken, tmp_path):
    config = tmp_path / "proxy.yaml"
    config.write_text(f"rules: {broken}\nbackends: {{a: {{base_url: 'http://127.0.0.1:9/v1', model: m}}}}\n"
                      "engine_backends: {balanced_local: a}\n")
    report = check_config(str(config))
    assert not report.ok
    assert [e.split(":")[:2] for e in report.errors] == [["main.rules", "20"], ["main.rules", "24"]]
