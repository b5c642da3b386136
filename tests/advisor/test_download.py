import io
import os
import stat
import sys
from pathlib import Path

import pytest

from hrouter.advisor.catalog import load_catalog
from hrouter.advisor.download import PIP_INSTALL, DownloadError, describe, execute, plan_downloads
from hrouter.advisor.recommend import recommend
from hrouter.advisor.scan import run_scan


def fake_hf(bin_dir: Path, record: Path, name: str = "hf") -> Path:
    """An `hf` that records its arguments and prints progress like the real one."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / name
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{record}"\necho "Fetching 1 files: 100%"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def setup(home, hardware, which=lambda n: None):
    scan = run_scan(home=home, env={}, which=which, hardware=hardware)
    catalog = load_catalog()
    return scan, recommend(scan, catalog), catalog


def test_plan_names_what_where_size_and_command(tmp_path, small_machine):
    scan, rec, catalog = setup(tmp_path, small_machine)
    items = plan_downloads(scan, rec, catalog, route="fast", home=tmp_path)
    assert len(items) == 1
    item = items[0]
    top = rec.route("fast").downloads[0].model
    assert item.repo_id == top.repo_id and item.size_gb == top.size_gb
    assert item.dest == str(tmp_path / "models" / top.repo_id)
    argv = item.command("/x/hf")
    assert argv[:3] == ["/x/hf", "download", top.repo_id]
    assert argv[-2:] == ["--local-dir", item.dest]
    text = describe(items, None)
    assert top.repo_id in text and f"{top.size_gb:g} GB" in text and "pip install huggingface_hub" in text


def test_plan_for_every_missing_route_downloads_shared_models_once(tmp_path, large_machine):
    scan, rec, catalog = setup(tmp_path, large_machine)
    items = plan_downloads(scan, rec, catalog, home=tmp_path)
    repos = [i.repo_id for i in items]
    assert len(repos) == len(set(repos))
    covered = {r.strip() for i in items for r in i.route.split(",")}
    assert covered == {r.route for r in rec.routes if r.downloads}


def test_lmstudio_installs_download_into_its_folder(fake_home, large_machine):
    scan, rec, catalog = setup(fake_home, large_machine)
    items = plan_downloads(scan, rec, catalog, repo_id="lmstudio-community/Qwen3-4B-GGUF", home=fake_home)
    assert items[0].dest == str(fake_home / ".lmstudio/models/lmstudio-community/Qwen3-4B-GGUF")
    assert items[0].include == ("*Q4_K_M.gguf",)
    unknown = plan_downloads(scan, rec, catalog, repo_id="someone/custom-model", home=fake_home)
    assert unknown[0].size_gb is None and unknown[0].include == ()
    assert unknown[0].command("hf") == ["hf", "download", "someone/custom-model", "--local-dir", unknown[0].dest]


def test_huggingface_cli_takes_patterns_after_one_flag(tmp_path, small_machine):
    scan, rec, catalog = setup(tmp_path, small_machine)
    item = plan_downloads(scan, rec, catalog, repo_id="ggml-org/gemma-3-4b-it-GGUF", home=tmp_path)[0]
    assert item.command("/bin/huggingface-cli")[3:6] == ["--include", "*Q4_K_M.gguf", "mmproj*"]
    assert item.command("hf")[3:7] == ["--include", "*Q4_K_M.gguf", "--include", "mmproj*"]


def test_execute_runs_the_real_hf_process_after_confirmation(tmp_path, small_machine, capfd):
    record = tmp_path / "args.txt"
    hf = fake_hf(tmp_path / "bin", record)
    which = lambda n: str(hf) if n == "hf" else None  # noqa: E731
    scan, rec, catalog = setup(tmp_path, small_machine, which)
    items = plan_downloads(scan, rec, catalog, route="coding", home=tmp_path)
    out = io.StringIO()
    assert execute(items, scan, yes=False, ask=lambda p: "n", out=out, which=which) == 1
    assert not record.exists() and "nothing was downloaded" in out.getvalue()
    assert execute(items, scan, yes=False, ask=lambda p: "y", out=out, which=which) == 0
    assert record.read_text().splitlines() == items[0].command(str(hf))[1:]
    assert "Fetching 1 files: 100%" in capfd.readouterr().out  # hf's own progress reaches the terminal
    assert Path(items[0].dest).is_dir()


def test_missing_hf_offers_pip_and_declining_changes_nothing(tmp_path, small_machine):
    scan, rec, catalog = setup(tmp_path, small_machine)
    items = plan_downloads(scan, rec, catalog, route="fast", home=tmp_path)
    ran = []
    out = io.StringIO()
    code = execute(items, scan, yes=False, ask=lambda p: "", out=out, which=lambda n: None, run=lambda argv: ran.append(argv) or 0)
    assert code == 1 and ran == [] and "Not installed" in out.getvalue()
    assert not Path(items[0].dest).exists()


def test_accepting_pip_installs_then_downloads(tmp_path, small_machine):
    scan, rec, catalog = setup(tmp_path, small_machine)
    items = plan_downloads(scan, rec, catalog, route="fast", home=tmp_path)
    installed = {"hf": None}
    ran = []

    def run(argv):
        ran.append(argv)
        if argv == PIP_INSTALL:
            installed["hf"] = "/venv/bin/hf"
        return 0

    code = execute(items, scan, yes=True, ask=lambda p: pytest.fail("--yes must not ask"), out=io.StringIO(), which=lambda n: installed.get(n), run=run)
    assert code == 0
    assert ran[0] == [sys.executable, "-m", "pip", "install", "huggingface_hub"]
    assert ran[1][:2] == ["/venv/bin/hf", "download"]


def test_not_enough_disk_refuses_before_running(tmp_path, small_machine):
    import attrs

    scan, rec, catalog = setup(tmp_path, small_machine, lambda n: "/bin/hf" if n == "hf" else None)
    items = plan_downloads(scan, rec, catalog, route="fast", home=tmp_path)
    tight = attrs.evolve(scan, hardware=attrs.evolve(scan.hardware, disk_free_gb=0.5))
    with pytest.raises(DownloadError, match="not enough disk"):
        execute(items, tight, yes=True, ask=input, out=io.StringIO(), which=lambda n: "/bin/hf", run=lambda a: pytest.fail("ran"))
    assert os.listdir(tmp_path) == []
