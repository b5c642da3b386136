"""docs/tuning.md's worked example, run as written: a real `hrouter serve --demo` logs the
prompt, then every `$ ` command of the section runs in one bash session and prints what the
page shows.

How the page's output is compared: a line `...` stands for any number of lines, `...` inside a
line for any text on it (ids, paths, counts), and the line number of a `file.rules:N` location
is not compared (it moves with every edit above it; the feature, file and rule still must be
the ones shown). Everything else must match exactly, so the example cannot drift away from the
rules again: if the packaged rules route the example's prompt right one day, this fails, and the
page needs a prompt they get wrong.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import attrs
import httpx

DOC = Path(__file__).resolve().parents[2] / "docs" / "tuning.md"
SECTION = "## Worked example"
#: how the page says the logged traffic was produced; the test starts exactly this
SERVE = "HROUTER_LOG_PROMPTS=1 hrouter serve --demo"
#: the proxy's address in the page's commands, replaced by the test proxy's
ADDRESS = "127.0.0.1:8082"
MARK = "@@hrouter-doc-command"


@attrs.frozen
class Command:
    text: str
    expected: tuple[str, ...]


def section(doc: str) -> str:
    start = doc.index(SECTION)
    end = doc.find("\n## ", start + len(SECTION))
    return doc[start:end if end != -1 else None]


def blocks(text: str) -> list[list[str]]:
    """The fenced blocks of a Markdown text, each without the fence's own indentation."""
    found, current, indent = [], None, 0
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        if stripped.startswith("```"):
            if current is None:
                current, indent = [], len(line) - len(stripped)
            else:
                found.append(current)
                current = None
            continue
        if current is not None:
            assert not line[:indent].strip(), f"a block line outside its fence's indentation: {line!r}"
            current.append(line[indent:])
    assert current is None, "an unclosed fence"
    return found


def commands(block: list[str]) -> list[Command]:
    """`$ ` lines are commands (a here-document's lines belong to its command); the lines
    after a command, up to the next one, are its output."""
    assert block and block[0].startswith("$ "), f"a block of the worked example that is not a session: {block}"
    found: list[Command] = []
    lines = iter(block)
    text, expected = None, []
    for line in lines:
        if line.startswith("$ "):
            if text is not None:
                found.append(Command(text, tuple(expected)))
            text, expected = line[2:], []
            if m := re.search(r"<<'(\w+)'$", text):
                body = []
                for more in lines:
                    body.append(more)
                    if more == m.group(1):
                        break
                text = "\n".join([text, *body])
        else:
            expected.append(line)
    found.append(Command(text, tuple(expected)))
    return found


def pattern(expected: tuple[str, ...]) -> re.Pattern:
    parts = []
    for line in expected:
        if line == "...":
            parts.append(r"(?:[^\n]*\n)*?")
            continue
        escaped = re.escape(line.rstrip())
        escaped = escaped.replace(re.escape("..."), r"[^\n]*")
        escaped = re.sub(r"\\\.rules:\d+", r"\\.rules:\\d+", escaped)
        parts.append(escaped + r"\n")
    return re.compile("".join(parts))


def matches(expected: tuple[str, ...], output: str) -> bool:
    text = "".join(line.rstrip() + "\n" for line in output.splitlines())
    return pattern(expected).fullmatch(text) is not None


def session(cmds: list[Command], port: int) -> str:
    """One bash script; before each command a marker with the previous command's exit status
    (and that status given back, so the page's `echo $?` sees the command it follows)."""
    lines = ["exec 2>&1"]
    for i, cmd in enumerate(cmds):
        lines.append(f'__rc=$?; echo "{MARK} {i} $__rc"; (exit $__rc)')
        lines.append(cmd.text.replace(ADDRESS, f"127.0.0.1:{port}"))
    lines.append(f'__rc=$?; echo "{MARK} {len(cmds)} $__rc"')
    return "\n".join(lines) + "\n"


def run_session(cmds: list[Command], port: int, env: dict, cwd: Path) -> list[tuple[str, int]]:
    """Each command's output and exit status."""
    proc = subprocess.run(["bash", "-c", session(cmds, port)], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=300)
    pieces = re.split(rf"^{MARK} (\d+) (\d+)\n", proc.stdout, flags=re.M)
    assert pieces[0] == "", pieces[0]
    numbers, statuses, outputs = pieces[1::3], pieces[2::3], pieces[3::3]
    assert [int(n) for n in numbers] == list(range(len(cmds) + 1)), proc.stdout
    # the status printed before command i+1 is command i's
    return [(outputs[i], int(statuses[i + 1])) for i in range(len(cmds))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_worked_example_reproduces(tmp_path):
    text = section(DOC.read_text(encoding="utf-8"))
    assert f"`{SERVE}`" in text
    cmds = [c for block in blocks(text) for c in commands(block)]
    assert len(cmds) >= 10 and shutil.which("bash") and shutil.which("curl")
    # The commands that talk to the proxy come first; after them it stops, which writes every
    # queued event, and the rest read the log.
    last_online = max(i for i, c in enumerate(cmds) if ADDRESS in c.text)
    assert all(ADDRESS not in c.text for c in cmds[last_online + 1:])

    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    bindir = str(Path(sys.executable).parent)  # hrouter and python of this checkout's venv
    env = {k: v for k, v in os.environ.items() if k != "HROUTER_HOME"}
    env.update(HOME=str(home), PATH=f"{bindir}:{env.get('PATH', '/usr/bin:/bin')}")
    port = free_port()
    serve_args = SERVE.split()
    variable, value = serve_args[0].split("=")
    serve = subprocess.Popen([*serve_args[1:], "--port", str(port), "--log-level", "warning"],
                             env={**env, variable: value}, cwd=work, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert serve.poll() is None, serve.stderr.read()
            assert time.monotonic() < deadline, "the demo proxy did not come up"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        results = run_session(cmds[:last_online + 1], port, env, work)
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            _, err = serve.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()
            _, err = serve.communicate()
    assert serve.returncode == 0, err
    results += run_session(cmds[last_online + 1:], port, env, work)

    for i, (cmd, (output, status)) in enumerate(zip(cmds, results)):
        followed_by_status = i + 1 < len(cmds) and cmds[i + 1].text == "echo $?"
        assert status == 0 or followed_by_status, f"$ {cmd.text}\nexit status {status}:\n{output}"
        assert matches(cmd.expected, output), (
            f"$ {cmd.text}\n--- the page shows:\n" + "\n".join(cmd.expected) + f"\n--- it prints:\n{output}")


def test_the_comparison_could_fail():
    """The matcher itself: wildcards stand for what they say, and nothing more."""
    shown = ("a ... b", "...", "rules whose condition held:", "  default  (routes.rules:115)")
    assert matches(shown, "a 123 b\nx\ny\nrules whose condition held:\n  default  (routes.rules:120)\n")
    assert matches(shown, "a  b\nrules whose condition held:\n  default  (routes.rules:115)\n")
    assert not matches(shown, "a 123 c\nrules whose condition held:\n  default  (routes.rules:115)\n")
    assert not matches(shown, "a 1 b\nrules whose condition held:\n  coding  (routes.rules:75)\n")
    assert not matches(shown, "a 1 b\nrules whose condition held:\n  default  (intents.rules:115)\n")
    assert not matches(("x",), "x\ny\n")  # an unshown extra line is a difference
    assert matches((), "")
    assert not matches((), "something\n")
