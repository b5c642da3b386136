"""`hrouter compile` as a user runs it: a real subprocess of the installed entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hrouter.engine.artifact import FORMAT_VERSION

HROUTER = [sys.executable, "-m", "hrouter.cli"]

GOOD = """targets balanced, coding, confirmation
feature code_words = words(code, repo)
feature wipe = words(delete, wipe)
safety wipe: wipe -> confirmation "destructive action"
route coding: code_words -> coding "coding"
default -> balanced "ordinary request"
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*HROUTER, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_compile_writes_artifact_and_summary(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "main.rules").write_text(GOOD)
    proc = run("compile", "rules", "-o", "hrouter-artifact.json", "--no-expects", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "hrouter-artifact.json").read_text())
    assert [r["id"] for r in data["rules"]] == ["wipe", "coding", "default"]
    line = proc.stdout.strip()
    assert "2 patterns" in line and "3 rules" in line and data["source_hash"][:12] in line


def test_compile_output_option(tmp_path):
    (tmp_path / "main.rules").write_text(GOOD)
    proc = run("compile", str(tmp_path / "main.rules"), "-o", "out.json", "--no-expects", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "out.json").read_text())["format_version"] == FORMAT_VERSION


def test_compile_error_is_rendered_on_stderr(tmp_path):
    (tmp_path / "main.rules").write_text(GOOD.replace("route coding: code_words", "route coding: code_wrds"))
    proc = run("compile", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == ""
    first = proc.stderr.splitlines()
    assert first[0].endswith("main.rules:5:15: unknown feature 'code_wrds' (did you mean 'code_words'?)")
    assert first[1].strip() == 'route coding: code_wrds -> coding "coding"'
    assert first[2] == "    " + " " * 14 + "^"
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "hrouter-artifact.json").exists()


def test_compile_missing_folder(tmp_path):
    proc = run("compile", str(tmp_path / "nope"), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"{tmp_path / 'nope'}: no such rules file or folder"


def test_warnings_go_to_stderr_and_do_not_fail(tmp_path):
    (tmp_path / "main.rules").write_text(GOOD + "feature spare = words(spare)\n")
    proc = run("compile", str(tmp_path), "--no-expects", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "main.rules:7:9: warning: feature 'spare' is never used" in proc.stderr
    assert proc.stdout.rstrip().endswith(", 1 warning")


def test_default_rules_and_default_output(tmp_path, private_home):
    proc = run("compile", "--no-expects", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads((private_home / "hrouter-artifact.json").read_text())
    assert data["rules"][-1]["kind"] == "default"
    assert "main.rules" in [s["path"] for s in data["sources"]]
    assert proc.stdout.startswith("compiled ") and f"-> {private_home / 'hrouter-artifact.json'}" in proc.stdout
    assert list(tmp_path.iterdir()) == []  # nothing in the current folder (a checkout, say)


def test_unwritable_output(tmp_path):
    (tmp_path / "main.rules").write_text(GOOD)
    proc = run("compile", str(tmp_path), "--no-expects", "-o", str(tmp_path / "missing" / "a.json"), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("hrouter compile: cannot write") and "Traceback" not in proc.stderr


def test_two_processes_write_identical_bytes(tmp_path):
    import os
    import shutil
    from importlib.resources import files

    # A private copy of the packaged rules, so both runs read the same sources.
    rules = tmp_path / "rules"
    shutil.copytree(str(files("hrouter.rules")), rules, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    # Separate interpreters with different hash seeds: no shared cache, different set orders.
    outputs = []
    for seed, name in (("1", "a.json"), ("12345", "b.json")):
        proc = subprocess.run([*HROUTER, "compile", "rules", "--no-expects", "-o", name], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONHASHSEED": seed})
        assert proc.returncode == 0, proc.stderr
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
