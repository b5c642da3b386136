"""docs/tuning.md's worked example, run as written against the packaged rules: the misroute it
starts from, the edit, `hrouter test`, and the `hrouter diff` output and exit status it shows."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "tuning.md"
HROUTER = [sys.executable, "-m", "hrouter.cli"]


def _example() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text[text.index("## Worked example"):text.index("## Integration")]


def _cli(*args, cwd):
    return subprocess.run([*HROUTER, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=os.environ)


def test_the_worked_example_reproduces(tmp_path):
    example = _example()
    prompt = re.search(r'notices that "([^"]+)" was answered by\s+`(\w+)`', example)
    misrouted, engine = prompt.groups()
    decided = _cli("decide", "--json", misrouted, cwd=tmp_path)
    assert f'"selected_engine": "{engine}"' in decided.stdout, decided.stdout[:300]

    blocks = [b.splitlines() for b in re.findall(r"```\n(.*?)```", example, re.S)]
    edit = next(b for b in blocks if any(line.strip().startswith("cp -r") for line in b))
    new_lines = [line.strip() for line in edit if line.strip().startswith(("feature ", "expect "))]
    feature = new_lines[0].split("=")[0].strip()  # "feature code_work"
    rules = tmp_path / "my-rules"
    shutil.copytree(str(files("hrouter.rules")), rules, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    intents = rules / "intents.rules"
    old = [line for line in intents.read_text(encoding="utf-8").splitlines() if line.startswith(feature + " =")]
    assert len(old) == 1, f"the example edits {feature}, which intents.rules no longer defines once"
    intents.write_text(intents.read_text(encoding="utf-8").replace(old[0], "\n".join(new_lines)), encoding="utf-8")
    tested = _cli("test", str(rules), cwd=tmp_path)
    assert tested.returncode == 0, tested.stdout[-2000:]

    session = next(b for b in blocks if any(line.strip().startswith("$ hrouter diff") for line in b))
    session = [line.strip() for line in session]
    corpus = [line for line in session if line.startswith("{")]
    (tmp_path / "corpus.jsonl").write_text("\n".join(corpus) + "\n", encoding="utf-8")
    at = next(i for i, line in enumerate(session) if line.startswith("$ hrouter diff"))
    echo = session.index("$ echo $?")
    expected_out, expected_rc = session[at + 2:echo], int(session[echo + 1])  # after the "diff ... ->" line
    words = session[at].split()
    assert words[:4] == ["$", "hrouter", "diff", '"$RULES"']
    args = words[4:]
    diffed = _cli("diff", str(files("hrouter.rules")), *args, cwd=tmp_path)
    assert diffed.returncode == expected_rc, diffed.stderr
    assert [line.strip() for line in diffed.stdout.strip().splitlines()[1:]] == expected_out
