import subprocess
import sys

import hrouter
from hrouter.cli.main import COMMANDS


def test_cli_help_lists_every_command():
    out = subprocess.run(
        [sys.executable, "-m", "hrouter.cli", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for name in COMMANDS:
        assert name in out


def test_unknown_attribute_is_an_attribute_error():
    try:
        hrouter.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
