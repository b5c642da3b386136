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


def test_version_is_the_installed_one():
    from importlib.metadata import version

    out = subprocess.run([sys.executable, "-m", "hrouter.cli", "--version"], capture_output=True, text=True, check=True).stdout
    assert out == f"hrouter {hrouter.__version__}\n"
    assert version("hrouter") == hrouter.__version__


def test_help_states_the_file_convention_and_what_config_means():
    out = subprocess.run([sys.executable, "-m", "hrouter.cli", "--help"], capture_output=True, text=True, check=True,
                         env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"}).stdout
    assert "$HROUTER_HOME (default ~/.hrouter)" in out
    assert "a proxy config for    serve, doctor, validate-proxy-config" in out
    assert "an engine catalog for decide, explain, dispatch-plan, validate-config, feedback, replay, diff" in out
