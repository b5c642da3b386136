"""Hardware facts that decide which models fit: memory, CPU, Apple Silicon, disk, NVIDIA GPUs.

Every source (files, commands, platform) is injectable through `HostOps`, so tests can describe a
small or a large machine without touching the real one; `load_hardware` reads the same facts from
a YAML/JSON file for the CLI's `--hardware` flag (planning for another machine).
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import attrs

from hrouter.advisor.convert import converter, describe_error_line, read_yaml

GIB = 1024**3


@attrs.frozen
class Gpu:
    name: str
    memory_gb: float


@attrs.frozen
class Hardware:
    os: str
    arch: str
    cpu_cores: int
    ram_total_gb: float | None
    ram_available_gb: float | None
    apple_silicon: bool = False
    disk_path: str = "~"
    disk_free_gb: float | None = None
    gpus: tuple[Gpu, ...] = ()

    @property
    def memory_budget_gb(self) -> float:
        """Memory one loaded model may use, leaving room for the OS and other apps."""
        if self.ram_total_gb is None:
            return 4.0  # unknown machine: plan for a small one rather than over-promise
        # macOS caps GPU-wired unified memory near two thirds to three quarters of RAM.
        share = 0.70 if self.apple_silicon else 0.75
        budget = self.ram_total_gb * share
        vram = sum(gpu.memory_gb for gpu in self.gpus) * 0.9
        return round(max(budget, vram), 1)

    def to_dict(self) -> dict:
        data = converter.unstructure(self)
        data["memory_budget_gb"] = self.memory_budget_gb
        return data


def _read_text(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _run(argv: list[str]) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _disk_free(path: str) -> float | None:
    probe = Path(path).expanduser()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent  # the model folder may not exist yet: measure where it would go
    try:
        return round(shutil.disk_usage(probe).free / GIB, 1)
    except OSError:
        return None


@attrs.frozen
class HostOps:
    """Where hardware facts come from; replace any field in tests."""

    system: Callable[[], str] = platform.system
    machine: Callable[[], str] = platform.machine
    cpu_count: Callable[[], int | None] = os.cpu_count
    read_text: Callable[[str], str | None] = _read_text
    run: Callable[[list[str]], str | None] = _run
    which: Callable[[str], str | None] = shutil.which
    disk_free_gb: Callable[[str], float | None] = _disk_free


def _meminfo(text: str) -> tuple[float | None, float | None]:
    fields: dict[str, float] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            fields[key.strip()] = int(parts[0]) * 1024 / GIB  # values are kB
    total = fields.get("MemTotal")
    available = fields.get("MemAvailable", fields.get("MemFree"))
    return (round(total, 1) if total else None, round(available, 1) if available else None)


def _darwin_memory(ops: HostOps) -> tuple[float | None, float | None]:
    raw = ops.run(["sysctl", "-n", "hw.memsize"])
    total = round(int(raw.strip()) / GIB, 1) if raw and raw.strip().isdigit() else None
    available = None
    stat = ops.run(["vm_stat"])
    if stat:
        page = 16384 if "16384" in stat.splitlines()[0] else 4096
        pages = 0
        for line in stat.splitlines():
            if line.startswith(("Pages free", "Pages inactive", "Pages speculative")):
                pages += int(line.rsplit(":", 1)[1].strip().rstrip("."))
        available = round(pages * page / GIB, 1)
    return total, available


def _nvidia(ops: HostOps) -> tuple[Gpu, ...]:
    if not ops.which("nvidia-smi"):
        return ()
    out = ops.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"])
    gpus = []
    for line in (out or "").splitlines():
        name, _, mem = line.rpartition(",")
        try:
            gpus.append(Gpu(name=name.strip(), memory_gb=round(float(mem) / 1024, 1)))  # MiB
        except ValueError:
            continue
    return tuple(gpus)


def scan_hardware(disk_path: str = "~", ops: HostOps | None = None) -> Hardware:
    ops = ops or HostOps()
    system = ops.system() or "unknown"
    arch = ops.machine() or "unknown"
    apple_silicon = False
    if system == "Darwin":
        total, available = _darwin_memory(ops)
        # An x86_64 Python under Rosetta still runs on Apple Silicon; sysctl tells.
        translated = (ops.run(["sysctl", "-n", "sysctl.proc_translated"]) or "").strip() == "1"
        apple_silicon = arch in ("arm64", "aarch64") or translated
    else:
        total, available = _meminfo(ops.read_text("/proc/meminfo") or "")
    return Hardware(
        os=system,
        arch=arch,
        cpu_cores=ops.cpu_count() or 1,
        ram_total_gb=total,
        ram_available_gb=available,
        apple_silicon=apple_silicon,
        disk_path=disk_path,
        disk_free_gb=ops.disk_free_gb(disk_path),
        gpus=_nvidia(ops),
    )


def load_hardware(path: str) -> Hardware:
    """Hardware facts from a YAML/JSON file (JSON is YAML); raises ValueError with the key path."""
    data = read_yaml(Path(path), "hardware file", path, kind="YAML/JSON")
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of hardware facts")
    data.pop("memory_budget_gb", None)  # accept `scan --json` hardware output as-is
    try:
        return converter.structure(data, Hardware)
    except Exception as exc:  # cattrs raises several types; all mean bad input
        raise ValueError(f"{path}: {describe_error_line(exc)}") from None
