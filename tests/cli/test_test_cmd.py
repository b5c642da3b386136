"""`hrouter test` as a user runs it: a real subprocess."""

from __future__ import annotations

import subprocess
import sys

HROUTER = [sys.executable, "-m", "hrouter.cli"]

RULES = """targets balanced, coding, confirmation
feature code_words = words(code, repo)
feature wipe = words(delete, wipe)
safety wipe: wipe -> confirmation "destructive action"
route coding: code_words -> coding "coding"
default -> balanced "ordinary request"
expect "wipe the disk" -> confirmation
expect "fix the repo" -> coding
expect "hello there" -> balanced
"""


def run(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([*HROUTER, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_all_pass(tmp_path):
    (tmp_path / "main.rules").write_text(RULES)
    proc = run("test", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "3 passed, 0 failed"


def test_failures_are_shown_with_what_fired(tmp_path):
    (tmp_path / "main.rules").write_text(RULES + 'expect "delete the repo" -> coding\nexpect "hi" -> not balanced\n')
    proc = run("test", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 1
    out = proc.stdout
    assert out.strip().endswith("3 passed, 2 failed")
    assert "main.rules:10:1: expect failed: expected coding, got confirmation" in out
    assert "prompt:   'delete the repo'" in out
    assert "got:      confirmation by rule 'wipe' (main.rules:4)" in out
    assert "fired:    wipe (main.rules:4), coding (main.rules:5)" in out
    assert "features: " in out and "code_words" in out
    assert "main.rules:11:1: expect failed: expected not balanced, got balanced" in out
    quiet = run("test", str(tmp_path), "-q", cwd=tmp_path)
    assert quiet.returncode == 1 and quiet.stdout.strip() == "3 passed, 2 failed"


def test_rules_that_do_not_compile(tmp_path):
    (tmp_path / "main.rules").write_text(RULES.replace("route coding: code_words", "route coding: code_wrds"))
    proc = run("test", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 1
    assert "unknown feature 'code_wrds'" in proc.stderr and "Traceback" not in proc.stderr

