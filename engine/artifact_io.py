"""Reading and writing artifacts as canonical JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hrouter.engine.artifact import FORMAT_VERSION, Artifact
from hrouter.engine.convert import converter, describe_error


class ArtifactError(ValueError):
    """An artifact that cannot be used: damaged, of another format version, or stale."""


def artifact_to_json(artifact: Artifact) -> str:
    # Sorted keys and fixed separators: compiling the same sources twice gives identical bytes.
    return json.dumps(converter.unstructure(artifact), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def artifact_from_json(text: str, origin: str = "<artifact>", *, strict: bool = False) -> Artifact:
    """``strict``: accept only values of the declared types (no coercion), for files from outside."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{origin}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise ArtifactError(f"{origin}: an artifact is a JSON object")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise ArtifactError(
            f"{origin}: artifact format {version!r}, this hrouter reads format {FORMAT_VERSION}; recompile the rules"
        )
    try:
        if strict:
            from hrouter.engine.convert import strict_converter

            return strict_converter.structure(data, Artifact)
        return converter.structure(data, Artifact)
    except Exception as exc:  # cattrs raises several error types; all mean a damaged artifact
        detail = "; ".join(describe_error(exc)[:5])
        raise ArtifactError(f"{origin}: damaged artifact: {detail}") from None


def load_artifact(path: str | os.PathLike[str], *, strict: bool = False) -> Artifact:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{p}: cannot read artifact: {exc}") from None
    return artifact_from_json(text, str(p), strict=strict)


def write_artifact(artifact: Artifact, path: str | os.PathLike[str]) -> None:
    """Write atomically, so a reader (the proxy's hot reload) never sees half a file."""
    p = Path(path)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    tmp.write_text(artifact_to_json(artifact), encoding="utf-8")
    os.replace(tmp, p)
