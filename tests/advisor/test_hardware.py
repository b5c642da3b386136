import pytest

from hrouter.advisor.hardware import GIB, Gpu, Hardware, HostOps, load_hardware, scan_hardware

MEMINFO = "MemTotal:       16303412 kB\nMemFree:         1000000 kB\nMemAvailable:    9000000 kB\n"


def linux_ops(**changes):
    base = dict(
        system=lambda: "Linux",
        machine=lambda: "x86_64",
        cpu_count=lambda: 8,
        read_text=lambda path: MEMINFO if path == "/proc/meminfo" else None,
        run=lambda argv: None,
        which=lambda name: None,
        disk_free_gb=lambda path: 321.0,
    )
    base.update(changes)
    return HostOps(**base)


def test_linux_memory_cores_and_disk_come_from_the_sources():
    hw = scan_hardware("/data", linux_ops())
    assert hw.os == "Linux" and hw.arch == "x86_64" and hw.cpu_cores == 8
    assert hw.ram_total_gb == round(16303412 * 1024 / GIB, 1)
    assert hw.ram_available_gb == round(9000000 * 1024 / GIB, 1)
    assert hw.disk_free_gb == 321.0 and hw.disk_path == "/data"
    assert not hw.apple_silicon and hw.gpus == ()


def test_apple_silicon_memory_from_sysctl_and_vm_stat():
    outputs = {
        "sysctl": f"{64 * GIB}\n",
        "vm_stat": "Mach Virtual Memory Statistics: (page size of 16384 bytes)\nPages free: 262144.\nPages inactive: 262144.\nPages speculative: 0.\nPages active: 5.\n",
    }
    ops = linux_ops(system=lambda: "Darwin", machine=lambda: "arm64", run=lambda argv: outputs.get(argv[0]))
    hw = scan_hardware("~", ops)
    assert hw.apple_silicon
    assert hw.ram_total_gb == 64.0
    assert hw.ram_available_gb == 8.0  # (262144 + 262144) pages of 16 KiB
    assert hw.memory_budget_gb == pytest.approx(44.8)


def test_rosetta_python_still_sees_apple_silicon():
    outputs = {("sysctl", "-n", "hw.memsize"): f"{16 * GIB}", ("sysctl", "-n", "sysctl.proc_translated"): "1\n"}
    ops = linux_ops(system=lambda: "Darwin", machine=lambda: "x86_64", run=lambda argv: outputs.get(tuple(argv)))
    assert scan_hardware("~", ops).apple_silicon
    intel = linux_ops(system=lambda: "Darwin", machine=lambda: "x86_64", run=lambda argv: "0\n" if "sysctl.proc_translated" in argv else None)
    assert not scan_hardware("~", intel).apple_silicon


def test_nvidia_gpus_are_read_only_when_nvidia_smi_exists():
    calls = []

    def run(argv):
        calls.append(argv[0])
        return "NVIDIA GeForce RTX 4090, 24564\nbroken line\n"

    without = scan_hardware("~", linux_ops(run=run))
    assert without.gpus == () and "nvidia-smi" not in calls
    with_gpu = scan_hardware("~", linux_ops(run=run, which=lambda n: "/usr/bin/nvidia-smi" if n == "nvidia-smi" else None))
    assert with_gpu.gpus == (Gpu("NVIDIA GeForce RTX 4090", 24.0),)


def test_budget_uses_vram_when_it_is_larger_and_is_small_when_memory_is_unknown():
    gpu_box = Hardware(os="Linux", arch="x86_64", cpu_cores=8, ram_total_gb=16, ram_available_gb=8, gpus=(Gpu("a", 48.0),))
    assert gpu_box.memory_budget_gb == pytest.approx(43.2)
    unknown = Hardware(os="Linux", arch="x86_64", cpu_cores=1, ram_total_gb=None, ram_available_gb=None)
    assert unknown.memory_budget_gb == 4.0


def test_load_hardware_accepts_scan_output_and_names_bad_keys(tmp_path, small_machine):
    import json

    good = tmp_path / "hw.json"
    good.write_text(json.dumps(small_machine.to_dict()))
    assert load_hardware(str(good)) == small_machine
    bad = tmp_path / "bad.yaml"
    bad.write_text("os: Linux\narch: x86_64\ncpu_cores: 4\nram_total_gb: 8\nram_available_gb: 4\nram_speed: 9\n")
    with pytest.raises(ValueError, match="ram_speed"):
        load_hardware(str(bad))
    with pytest.raises(ValueError, match="cannot read"):
        load_hardware(str(tmp_path / "missing.yaml"))
