"""The wizard driven directly (the pseudo-terminal tests are in tests/cli/test_setup_wizard.py)."""

import io

import pytest
import yaml

from hrouter.advisor.catalog import load_catalog
from hrouter.advisor.download import PIP_INSTALL
from hrouter.advisor.scan import run_scan
from hrouter.advisor.wizard import Wizard


class Script:
    """Answers prompts in order and records them."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.prompts = []

    def __call__(self, prompt):
        self.prompts.append(prompt)
        if not self.answers:
            raise EOFError
        return self.answers.pop(0)


def wizard(home, hardware, tmp_path, ask, run=None, env=None, which=lambda n: None):
    scan = run_scan(home=home, env=env or {}, which=which, hardware=hardware)
    out = io.StringIO()
    w = Wizard(scan, load_catalog(), output=str(tmp_path / "out/r.yaml"), ask=ask, out=out, run=run, home=home)
    return w, out


def test_hosted_mode_offers_only_apis_and_writes_their_keys(tmp_path, small_machine):
    ran = []
    ask = Script("y", "2", "", "2", "", "", "", "", "y")
    w, out = wizard(tmp_path, small_machine, tmp_path, ask, run=lambda argv: ran.append(argv) or 0)
    assert w.run() == 0
    assert ran == [PIP_INSTALL]  # accepted the offer to install huggingface_hub
    screen = out.getvalue()
    assert "Installed." in screen and "download " not in screen.split("Mode [1]")[-1]
    catalog = yaml.safe_load((tmp_path / "out/r.yaml").read_text())
    assert catalog["engines"]["balanced_local"]["provider"] == "anthropic"  # second option chosen
    assert catalog["engines"]["fast_local"]["availability"]["required_env"] == ["OPENAI_API_KEY"]
    assert catalog["engines"]["image_generation"]["enabled"] is False  # only "skip" for hosted images
    proxy = yaml.safe_load((tmp_path / "out/routing_proxy.yaml").read_text())
    assert proxy["backends"]["balanced"]["api_key_env"] == "ANTHROPIC_API_KEY"


def test_enter_suggests_a_download_over_a_model_that_does_not_fit(fake_home, small_machine, tmp_path):
    ask = Script("n", "1", "", "", "", "", "", "", "y")
    w, out = wizard(fake_home, small_machine, tmp_path, ask)
    assert w.run() == 0
    reasoning_prompt = ask.prompts[4]
    assert reasoning_prompt != "Choice [1]: "  # the 32B model on disk is listed first, not suggested
    catalog = yaml.safe_load((tmp_path / "out/r.yaml").read_text())
    assert "DeepSeek-R1-Distill-Qwen-32B" not in catalog["engines"]["reasoning_local"]["model"]
    assert "may not fit in memory" in out.getvalue()


def test_bad_answers_are_asked_again_and_end_of_input_writes_nothing(tmp_path, small_machine):
    ask = Script("maybe", "n", "0", "local", "1", "")
    w, out = wizard(tmp_path, small_machine, tmp_path, ask)
    assert w.run() == 1
    screen = out.getvalue()
    assert "Please answer y or n." in screen and "Please enter a number from 1 to 3." in screen
    assert "nothing was written" in screen
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("answer", ["n", ""])
def test_declining_the_final_question_writes_nothing(tmp_path, small_machine, answer):
    ask = Script("n", "1", "", "", "", "", "", "", answer)
    w, out = wizard(tmp_path, small_machine, tmp_path, ask)
    assert w.run() == 1
    assert "Nothing was written." in out.getvalue()
    assert not (tmp_path / "out").exists()


def test_mixed_mode_lists_apis_beside_local_models_and_enables_agent_tools(fake_home, large_machine, tmp_path):
    ask = Script("3", "", "", "", "", "", "", "y")  # hf is on PATH here, so no install question
    which = {"hf": "/bin/hf", "claude": "/bin/claude"}.get
    w, out = wizard(fake_home, large_machine, tmp_path, ask, env={"OPENAI_API_KEY": "x"}, which=which)
    assert w.run() == 0
    screen = out.getvalue()
    assert "Install huggingface_hub" not in screen
    coding = screen.split("Route coding:")[1].split("\nRoute ")[0]
    lines = [line.strip() for line in coding.splitlines() if line.strip()[:2].rstrip(".").isdigit()]
    assert lines[0].startswith("1. lmstudio-community/Qwen2.5-Coder-7B")  # found on disk first
    kinds = ["api" if " API: " in line else "download" if ". download " in line else "skip" if "skip this" in line else "disk" for line in lines]
    assert kinds == sorted(kinds, key=["disk", "api", "download", "skip"].index), lines  # disk, APIs, downloads, skip
    assert kinds.count("disk") >= 2 and kinds.count("api") == 2 and kinds.count("download") >= 1
    assert any(line.endswith("openai API: gpt-4.1 (OPENAI_API_KEY set)") for line in lines)
    assert lines[-1].endswith("skip this route (its requests fall back)")
    assert "Agent tools on PATH: claude (engine claude_code); enabled" in screen
    catalog = yaml.safe_load((tmp_path / "out/r.yaml").read_text())
    assert catalog["engines"]["claude_code"]["enabled"] is True
    assert catalog["engines"]["claude_code"]["availability"]["required_commands"] == ["claude"]
