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


def test_packaging_lists_every_shipped_folder_so_a_clean_install_is_quiet():
    """setuptools warns (about a screenful each) for a data folder that is not a listed package,
    and for the deprecated license table; `make test` on a fresh clone showed them all."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert isinstance(project["project"]["license"], str)  # an SPDX expression, not {text = ...}
    packages = set(project["tool"]["setuptools"]["packages"])
    data = project["tool"]["setuptools"]["package-data"]
    for package in packages:
        folder = root.joinpath(*package.split(".")[1:])
        for sub in folder.iterdir():
            if sub.is_dir() and sub.name != "__pycache__" and any(f.is_file() for f in sub.iterdir()):
                name = f"{package}.{sub.name}"
                shipped = any(p.startswith(f"{sub.name}/") for p in data.get(package, ()))
                assert name in packages or not shipped, f"{name} ships data but is not in packages"
                if sub.name not in ("golden",) and any(f.suffix in (".yaml", ".lark", ".rules") for f in sub.iterdir()):
                    assert name in packages, f"{name} holds data files but is not a listed package"
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "hrouter.__version__"}
