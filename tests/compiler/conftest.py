"""Fixtures: small rule sets written to a temporary folder."""

from __future__ import annotations

import textwrap

import pytest

HEADER = "targets simple, balanced, coding, vision, confirmation\n"
FOOTER = '\ndefault -> balanced "ordinary request"\n'


@pytest.fixture
def write_rules(tmp_path):
    """write_rules(main_text, **other_files) -> the rules folder. Text is dedented."""

    def write(main: str, **files: str):
        (tmp_path / "main.rules").write_text(textwrap.dedent(main), encoding="utf-8")
        for name, text in files.items():
            path = tmp_path / name.replace("__", "/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return tmp_path

    return write


@pytest.fixture
def compile_text(write_rules):
    """compile_text(body) compiles HEADER + body + FOOTER without running expects."""
    from hrouter.compiler.compile import compile_rules

    def run(body: str, *, header: str = HEADER, footer: str = FOOTER, check_expects: bool = False):
        return compile_rules(write_rules(header + textwrap.dedent(body) + footer), check_expects=check_expects)

    return run


@pytest.fixture
def errors_of(write_rules):
    """errors_of(body) -> the RulesError's diagnostics for HEADER + body + FOOTER."""
    from hrouter.compiler import RulesError
    from hrouter.compiler.compile import compile_rules

    def run(body: str, *, header: str = HEADER, footer: str = FOOTER, check_expects: bool = False):
        with pytest.raises(RulesError) as info:
            compile_rules(write_rules(header + textwrap.dedent(body) + footer), check_expects=check_expects)
        return info.value.diagnostics

    return run
