"""README.md as a new user reads it: what it says works as written."""

from __future__ import annotations

import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def first_screen() -> str:
    return "\n".join(README.read_text(encoding="utf-8").splitlines()[:24])


def test_the_first_screen_says_how_hrouter_gets_on_path():
    screen = first_screen()
    assert ". .venv/bin/activate" in screen
    assert "pipx install ." in screen and "pip install ." in screen
    # and the path it names is where `make` puts the command
    assert ".venv/bin/hrouter" in screen
    assert (Path(sys.executable).parent / "hrouter").is_file()
