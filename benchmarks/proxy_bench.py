"""Proxy overhead and throughput, hrouter's proxy side by side with the reference proxy
(hermes-router[proxy]==0.5.1), both in front of the same minimal stand-in model server.

    .venv/bin/python -m benchmarks.proxy_bench [--rounds 3] [--seconds 4] [--json out.json]

Overhead = latency through a proxy minus latency straight to the stand-in (p50 and p99, at
concurrency 1); throughput = completed requests per second at concurrency 32; streams report
the time to the first event. Each proxy runs as one uvicorn process, configured the same way
(same backend, same routing for the prompt, no event logging). Rounds alternate the contenders
so machine noise hits all of them; the medians over rounds are reported. Also checked: a 10 MB
request is refused with 413 without being read into memory, and does not stall other requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks.proxy.loadgen import build_request, run_load

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
PROMPT = "Give me a short, friendly summary of what a routing proxy does."
REFERENCE_ENGINES = ("fast_local", "balanced_local", "reasoning_local", "code_agent", "web_research",
                     "multimodal_vision", "image_generation", "claude_code", "codex", "openai_api", "anthropic_api")
GOALS = {"p50_overhead_ratio_max": 0.5, "throughput_ratio_min": 1.5}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port: int, path: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited: {proc.args} (its log is in the bench folder)")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{proc.args} did not answer on port {port}")


def our_engines() -> list[str]:
    from hrouter.engine.router import load_catalog

    return [e for e in load_catalog(None).engines if e != "human_confirm"]


def write_configs(folder: Path, standin_port: int) -> tuple[Path, Path]:
    backend = {"base_url": f"http://127.0.0.1:{standin_port}/v1", "model": "bench-model", "timeout_seconds": 30}
    ours = {"proxy": {"model_ids": ["hrouter"]}, "observability": {"enabled": False},
            "backends": {"bench": backend}, "engine_backends": {e: "bench" for e in our_engines()}}
    reference = {"proxy": {"model_ids": ["model-router"]}, "observability": {"enabled": False},
                 "backends": {"bench": backend}, "engine_backends": {e: "bench" for e in REFERENCE_ENGINES}}
    (folder / "ours.yaml").write_text(yaml.safe_dump(ours))
    (folder / "reference.yaml").write_text(yaml.safe_dump(reference))
    return folder / "ours.yaml", folder / "reference.yaml"


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return -1


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


#: The same prompt in each API's request; hrouter translates the non-chat ones for the stand-in,
#: which speaks only chat (the costlier path: a backend speaking the API gets the body as is).
API_BODIES = {
    "/v1/chat/completions": lambda model, stream: {"model": model, "stream": stream,
                                                   "messages": [{"role": "user", "content": PROMPT}]},
    "/v1/responses": lambda model, stream: {"model": model, "stream": stream, "input": PROMPT},
    "/v1/messages": lambda model, stream: {"model": model, "stream": stream, "max_tokens": 256,
                                           "messages": [{"role": "user", "content": PROMPT}]},
}


async def measure(port: int, path: str, model: str, *, stream: bool, c1_requests: int, seconds: float) -> dict:
    body = json.dumps(API_BODIES[path](model, stream), separators=(",", ":")).encode()
    request = build_request("127.0.0.1", port, path, body)
    one, errors_1, _ = await run_load("127.0.0.1", port, request, concurrency=1, requests=c1_requests)
    many, errors_32, elapsed = await run_load("127.0.0.1", port, request, concurrency=32, duration=seconds, warmup=0)
    key = "first_byte" if stream else "total"
    lat = [getattr(s, key) * 1000 for s in one]
    lat32 = [getattr(s, key) * 1000 for s in many]
    return {"p50_ms": statistics.median(lat), "p99_ms": pct(lat, 0.99),
            "c32_rps": len(many) / elapsed, "c32_p50_ms": statistics.median(lat32), "c32_p99_ms": pct(lat32, 0.99),
            "errors": len(errors_1) + len(errors_32), "requests": len(one) + len(many)}


async def _status_of(reader: asyncio.StreamReader) -> int | None:
    try:
        line = await asyncio.wait_for(reader.readline(), 5)
    except (ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError):
        line = bytes(reader._buffer).split(b"\r\n", 1)[0]  # noqa: SLF001 - answer read before the reset
    parts = line.split()
    return int(parts[1]) if len(parts) > 1 and line.startswith(b"HTTP/") else None


async def big_body_check(port: int, pid: int, path: str, model: str) -> dict:
    """10 MB bodies (declared and chunked) while a concurrency-1 probe keeps going."""
    small = build_request("127.0.0.1", port, path, json.dumps(
        {"model": model, "messages": [{"role": "user", "content": PROMPT}]}).encode())
    before = peak_rss_kb(pid)
    probe = asyncio.ensure_future(run_load("127.0.0.1", port, small, concurrency=1, duration=3.0, warmup=0))
    await asyncio.sleep(0.3)
    results = {}
    ten_mb = b'{"model":"x","messages":[{"role":"user","content":"' + b"a" * (10 * 1024 * 1024) + b'"}]}'
    for mode in ("content-length", "chunked"):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        if mode == "content-length":
            head = build_request("127.0.0.1", port, path, b"")[:-0 or None].replace(
                b"content-length: 0", f"content-length: {len(ten_mb)}".encode())
            payload = [head, ten_mb]
        else:
            head = (f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n"
                    "transfer-encoding: chunked\r\n\r\n").encode()
            payload = [head] + [f"{65536:x}\r\n".encode() + ten_mb[i:i + 65536] + b"\r\n"
                                for i in range(0, len(ten_mb) - 65536, 65536)]
        started = time.perf_counter()
        sent = 0
        try:
            for part in payload:
                writer.write(part)
                sent += len(part)
                await asyncio.wait_for(writer.drain(), 5)
                if reader.at_eof() or reader._buffer:  # noqa: SLF001 - an early answer stops the upload
                    break
        except (ConnectionError, asyncio.TimeoutError):
            pass  # the proxy answered and closed while we were still sending: expected for 413
        status = await _status_of(reader)
        writer.close()
        results[mode] = {"status": status, "seconds": round(time.perf_counter() - started, 3),
                         "bytes_sent_mb": round(sent / 1048576, 1)}
    samples, errors, _ = await probe
    lat = [s.total * 1000 for s in samples]
    results["probe_during"] = {"requests": len(samples), "errors": len(errors), "p50_ms": statistics.median(lat),
                               "max_ms": max(lat)}
    results["peak_rss_growth_mb"] = round((peak_rss_kb(pid) - before) / 1024, 1)
    return results


def start(args: list[str], log: Path) -> subprocess.Popen:
    # Logs go to a file: a pipe nobody reads would fill up and stall a process that logs per
    # request (the reference proxy does, whatever --log-level says).
    with open(log, "ab") as sink:
        return subprocess.Popen(args, cwd=ROOT, stdout=sink, stderr=sink)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each concurrency-32 run")
    parser.add_argument("--requests", type=int, default=1000, help="requests per concurrency-1 run")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)

    reference_bin = VENV_BIN / "model-router-proxy"
    if not reference_bin.exists():
        print("proxy_bench: the reference proxy is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="hrouter-bench-"))
    procs: list[subprocess.Popen] = []
    # A `timeout` or kill must still stop the servers this run started (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        sp, op, rp = free_port(), free_port(), free_port()
        ours_cfg, ref_cfg = write_configs(folder, sp)
        procs.append(start([sys.executable, "-m", "benchmarks.proxy.standin", "--port", str(sp)], folder / "standin.log"))
        wait_http(sp, "/v1/models", procs[-1])
        ours = start([sys.executable, "-m", "hrouter.cli", "serve", "--config", str(ours_cfg), "--port", str(op),
                      "--log-level", "warning"], folder / "hrouter.log")
        procs.append(ours)
        ref = start([str(reference_bin), "--config", str(ref_cfg), "--port", str(rp), "--log-level", "warning"], folder / "reference.log")
        procs.append(ref)
        wait_http(op, "/v1/models", ours)
        wait_http(rp, "/v1/models", ref)

        contenders = {"direct": (sp, "bench-model"), "hrouter": (op, "hrouter"), "reference": (rp, "model-router")}
        rounds: dict[str, dict[str, list[dict]]] = {k: {"non_stream": [], "stream": []} for k in contenders}
        other_apis = [p for p in API_BODIES if p != "/v1/chat/completions"]
        api_rounds: dict[str, dict[str, list[dict]]] = {p: {"non_stream": [], "stream": []} for p in other_apis}
        for r in range(args.rounds):
            for name, (port, model) in contenders.items():
                for mode in ("non_stream", "stream"):
                    figures = asyncio.run(measure(port, "/v1/chat/completions", model, stream=mode == "stream",
                                                  c1_requests=args.requests, seconds=args.seconds))
                    rounds[name][mode].append(figures)
            for path in other_apis:  # in the same round as chat's, so the same noise hits both
                for mode in ("non_stream", "stream"):
                    api_rounds[path][mode].append(asyncio.run(measure(
                        op, path, "hrouter", stream=mode == "stream", c1_requests=args.requests, seconds=args.seconds)))
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

        def med(name, mode, key):
            return statistics.median(f[key] for f in rounds[name][mode])

        report: dict = {"rounds": args.rounds, "cpu_count": os.cpu_count(), "results": {}}
        for mode in ("non_stream", "stream"):
            block = {}
            for name in contenders:
                block[name] = {k: round(med(name, mode, k), 3) for k in ("p50_ms", "p99_ms", "c32_rps", "c32_p50_ms", "c32_p99_ms")}
                block[name]["errors"] = sum(f["errors"] for f in rounds[name][mode])
                block[name]["requests"] = sum(f["requests"] for f in rounds[name][mode])
                if name != "direct":
                    block[name]["overhead_p50_ms"] = round(med(name, mode, "p50_ms") - med("direct", mode, "p50_ms"), 3)
                    block[name]["overhead_p99_ms"] = round(med(name, mode, "p99_ms") - med("direct", mode, "p99_ms"), 3)
            block["p50_overhead_ratio"] = round(block["hrouter"]["overhead_p50_ms"] / max(block["reference"]["overhead_p50_ms"], 1e-9), 3)
            block["throughput_ratio"] = round(block["hrouter"]["c32_rps"] / block["reference"]["c32_rps"], 3)
            report["results"][mode] = block
        report["other_apis"] = {}
        for path in other_apis:
            report["other_apis"][path] = {}
            for mode in ("non_stream", "stream"):
                figures = {k: round(statistics.median(f[k] for f in api_rounds[path][mode]), 3)
                           for k in ("p50_ms", "p99_ms", "c32_rps")}
                figures["errors"] = sum(f["errors"] for f in api_rounds[path][mode])
                figures["overhead_p50_ms"] = round(figures["p50_ms"] - med("direct", mode, "p50_ms"), 3)
                figures["chat_overhead_p50_ms"] = report["results"][mode]["hrouter"]["overhead_p50_ms"]
                report["other_apis"][path][mode] = figures
        report["big_body"] = {
            "hrouter": asyncio.run(big_body_check(op, ours.pid, "/v1/chat/completions", "hrouter")),
            "reference": asyncio.run(big_body_check(rp, ref.pid, "/v1/chat/completions", "model-router")),
        }
        ns = report["results"]["non_stream"]
        report["goals"] = {
            "p50_overhead_ratio": ns["p50_overhead_ratio"], "p50_overhead_goal_met": ns["p50_overhead_ratio"] <= GOALS["p50_overhead_ratio_max"],
            "throughput_ratio": ns["throughput_ratio"], "throughput_goal_met": ns["throughput_ratio"] >= GOALS["throughput_ratio_min"],
            "zero_errors": all(report["results"][m][n]["errors"] == 0 for m in report["results"] for n in contenders)
            and all(f["errors"] == 0 for api in report["other_apis"].values() for f in api.values()),
        }
        print_report(report)
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=2))
        return 0
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(folder, ignore_errors=True)


def print_report(report: dict) -> None:
    for mode, block in report["results"].items():
        what = "latency" if mode == "non_stream" else "time to first event"
        print(f"\n{mode.replace('_', '-')} ({what}; c1 = concurrency 1, c32 = concurrency 32)")
        print(f"{'':<10} {'c1 p50':>8} {'c1 p99':>8} {'ovh p50':>8} {'ovh p99':>8} {'c32 req/s':>10} {'c32 p50':>8} {'c32 p99':>8} {'errors':>6}")
        for name in ("direct", "hrouter", "reference"):
            f = block[name]
            print(f"{name:<10} {f['p50_ms']:>8.3f} {f['p99_ms']:>8.3f} {f.get('overhead_p50_ms', 0):>8.3f} "
                  f"{f.get('overhead_p99_ms', 0):>8.3f} {f['c32_rps']:>10.0f} {f['c32_p50_ms']:>8.2f} {f['c32_p99_ms']:>8.2f} {f['errors']:>6}")
        print(f"hrouter/reference: p50 overhead x{block['p50_overhead_ratio']}, c32 throughput x{block['throughput_ratio']}")
    print("\nhrouter in other APIs, translated to the chat-only stand-in (overhead over the direct chat request):")
    for path, modes in report["other_apis"].items():
        for mode, f in modes.items():
            print(f"  {path:<15} {mode:<10} p50 {f['p50_ms']:.3f} ms, overhead p50 {f['overhead_p50_ms']:.3f} ms "
                  f"(chat's {f['chat_overhead_p50_ms']:.3f} ms), c32 {f['c32_rps']:.0f} req/s, errors {f['errors']}")
    print("\n10 MB request while a concurrency-1 probe runs:")
    for name, b in report["big_body"].items():
        print(f"  {name:<10} declared length -> {b['content-length']['status']} in {b['content-length']['seconds']}s, "
              f"chunked -> {b['chunked']['status']} in {b['chunked']['seconds']}s "
              f"(sent {b['chunked']['bytes_sent_mb']} MB); probe max {b['probe_during']['max_ms']:.1f} ms, "
              f"errors {b['probe_during']['errors']}; peak RSS +{b['peak_rss_growth_mb']} MB")
    print(f"\ngoals: {json.dumps(report['goals'])}")


if __name__ == "__main__":
    sys.exit(main())
