"""`include` stays inside the rules folder (or an allowed folder), reads regular files only, and
is size-capped; refusals never quote the refused file."""

from __future__ import annotations

import os
import time

import pytest

from hrouter.compiler import RulesError
from hrouter.compiler import loader
from hrouter.compiler.compile import compile_rules

BASE = "targets a, confirmation\ndefault -> a\n"


def refusal(folder) -> str:
    with pytest.raises(RulesError) as info:
        compile_rules(folder, check_expects=False)
    return str(info.value)


def test_absolute_and_escaping_includes_are_refused_without_reading(write_rules, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("HROUTER_CANARY", "canary-value-42")
    outside = tmp_path_factory.mktemp("outside")
    secret = outside / "secret.rules"
    secret.write_text("feature leaked = words(canary-value-43)\n")
    for target in ("/proc/self/environ", str(secret), f"../{outside.name}/secret.rules", "/etc/passwd"):
        folder = write_rules(f'include "{target}"\n' + BASE)
        message = refusal(folder)
        assert "outside the rules folder" in message, message
        assert "canary-value" not in message and "root:" not in message


def test_device_files_and_symlinks_out_are_refused(write_rules, tmp_path):
    folder = write_rules('include "zero.rules"\n' + BASE)
    os.symlink("/dev/zero", folder / "zero.rules")
    started = time.monotonic()
    assert "outside the rules folder" in refusal(folder)
    assert time.monotonic() - started < 5
    os.remove(folder / "zero.rules")
    os.mkfifo(folder / "zero.rules")  # inside the folder, but not a regular file
    assert "not a regular file" in refusal(folder)


def test_an_allowed_folder_may_be_included(write_rules, tmp_path_factory, monkeypatch):
    shared = tmp_path_factory.mktemp("shared")
    (shared / "words.rules").write_text("feature wipe = words(wipe)\nsafety wipe: wipe -> confirmation\n")
    folder = write_rules(f'include "{shared / "words.rules"}"\n' + BASE)
    assert "outside the rules folder" in refusal(folder)
    monkeypatch.setenv(loader.INCLUDE_DIRS_ENV, str(shared))
    artifact = compile_rules(folder, check_expects=False)
    assert [r.id for r in artifact.rules][0] == "wipe"


def test_oversized_rules_files_are_refused(write_rules, monkeypatch):
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 1000)
    folder = write_rules('include "big.rules"\n' + BASE, **{"big.rules": "# filler\n" * 200})
    assert "larger than 1000 bytes" in refusal(folder)
