"""Plain-text views of scans and recommendations for people at a terminal."""

from __future__ import annotations

from hrouter.advisor.commands import COMMANDS
from hrouter.advisor.hardware import Hardware
from hrouter.advisor.recommend import Recommendation
from hrouter.advisor.routes import ROUTE_TITLE
from hrouter.advisor.scan import SetupScan


def _gb(value: float | None) -> str:
    return "unknown" if value is None else f"{value:g} GB"


def hardware_lines(hw: Hardware) -> list[str]:
    chip = "Apple Silicon" if hw.apple_silicon else hw.arch
    lines = [
        f"  system:  {hw.os} on {chip}, {hw.cpu_cores} cores",
        f"  memory:  {_gb(hw.ram_total_gb)} total, {_gb(hw.ram_available_gb)} available "
        f"(budget for one model: {hw.memory_budget_gb:g} GB)",
        f"  disk:    {_gb(hw.disk_free_gb)} free at {hw.disk_path}",
    ]
    for gpu in hw.gpus:
        lines.append(f"  gpu:     {gpu.name}, {gpu.memory_gb:g} GB")
    return lines


def scan_text(scan: SetupScan) -> str:
    lines = ["Hardware", *hardware_lines(scan.hardware), "", "Model stores"]
    for store in scan.stores:
        if not store.exists:
            continue
        bound = f" (incomplete: {store.limit_hit})" if store.limit_hit else ""
        lines.append(f"  {store.source:<12} {store.root}: {store.models} model(s){bound}")
    if not any(s.exists for s in scan.stores):
        lines.append("  none found (LM Studio, Ollama, Hugging Face cache, ~/models)")
    lines += ["", f"Models on disk ({len(scan.models)})"]
    for m in scan.models:
        lines.append(f"  {m.name:<48} {m.size_gb:>7g} GB  {m.source}, served by {m.runtime} as {m.model_id}")
    lines += ["", "Commands"]
    for name, path in scan.commands.items():
        lines.append(f"  {name:<16} {path or 'not found'}  ({COMMANDS[name]})")
    lines += ["", "API keys in the environment"]
    lines += [f"  {k:<18} {'set' if v else 'not set'}" for k, v in scan.api_keys.items()]
    if scan.servers:
        lines += ["", "Servers on loopback"]
        for s in scan.servers:
            state = f"{len(s.models)} model(s): {', '.join(s.models[:5])}" if s.reachable and not s.error else (s.error or "no answer")
            lines.append(f"  {s.port:<6} {s.runtime:<13} {state}")
    return "\n".join(lines) + "\n"


def recommend_text(rec: Recommendation) -> str:
    lines = [f"Recommendations (model catalog {rec.catalog_version})", *hardware_lines(rec.hardware), ""]
    for advice in rec.routes:
        lines.append(f"{advice.route} -> {advice.engine}: {ROUTE_TITLE[advice.route]}")
        if advice.local:
            best = advice.local[0]
            warn = "" if best.fits_memory else "  (may not fit in memory)"
            lines.append(f"  on disk:  {best.model.name} ({best.model.source}, {best.model.size_gb:g} GB){warn}")
            for other in advice.local[1:3]:
                lines.append(f"            also {other.model.name}")
        for pick in advice.downloads[:3]:
            m = pick.model
            mark = "" if pick.comfortable else ", tight"
            lines.append(f"  download: {m.repo_id} ({m.size_gb:g} GB, needs {m.ram_gb:g} GB RAM{mark}, {m.licence})")
        if advice.ollama_pull:
            lines.append(f"  ollama:   ollama pull {advice.ollama_pull}")
        else:
            lines.append("  ollama:   no Ollama model that fits this machine does this route"
                         + (" (Ollama generates no images)" if advice.route == "image_generation" else ""))
        if not advice.local and not advice.downloads:
            lines.append("  nothing fits this machine: the route falls back (see `hrouter setup write`)")
        if advice.excluded:
            lines.append(f"  ({len(advice.excluded)} larger catalog model(s) left out: too big for this machine)")
        lines.append("")
    lines += [f"Note: {n}" for n in rec.notes]
    return "\n".join(lines).rstrip() + "\n"
