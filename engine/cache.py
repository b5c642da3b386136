"""Rules to artifact: compiled artifacts are cached like bytecode, keyed by their sources.

A rules folder (or its ``main.rules``) is compiled once; later runs read the cached artifact
while every source file it lists still has the recorded sha256 and the format version matches.
Then neither the compiler nor lark (nor cattrs: the cache holds the validated objects, see
``pickle_cache``) is imported: ``hrouter decide`` stays light. A cache that
cannot be written (read-only home, sandbox) only costs a compile per run.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from hrouter.engine import pickle_cache
from hrouter.engine.artifact import FORMAT_VERSION, Artifact
from hrouter.engine.sha256 import sha256


class RulesLoadError(ValueError):
    """Rules that cannot be compiled or an artifact that cannot be used; str() says where and why."""


_COMPILER_DIR = Path(__file__).resolve().parent.parent / "compiler"


def compiler_fingerprint() -> str:
    """Size and mtime of every compiler source, read without importing the compiler: its
    modules, its grammar and the word files it reads (``common_words.txt`` decides which typos
    a list gets).

    An edited compiler (a development checkout, or an upgrade that keeps the version number)
    may lower the same rules differently, so its artifacts must not be served from the cache."""
    try:
        entries = sorted(
            (entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
            for entry in os.scandir(_COMPILER_DIR)
            if entry.is_file() and entry.name.endswith((".py", ".lark", ".txt"))
        )
    except OSError:
        return "unknown"
    return repr(entries)


def cache_file(rules_path: Path) -> Path:
    # Named by the rules' absolute path and the compiler that lowers them; a new hrouter
    # version gets its own entry too.
    return pickle_cache.cache_dir() / pickle_cache.versioned_name(
        "rules", f"{rules_path.resolve()}\0{FORMAT_VERSION}\0{compiler_fingerprint()}", "hrouter.engine.artifact"
    )


def _sha256(path: Path) -> str | None:
    try:
        return sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def changed_sources(artifact: Artifact, root: Path) -> list[str]:
    """Sources under ``root`` whose content differs from the artifact's record (missing counts)."""
    return [s.path for s in artifact.sources if _sha256(root / s.path) != s.sha256]


def rules_root(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def load_rules(path: str | os.PathLike[str]) -> Artifact:
    """Compile a rules folder or ``.rules`` file through the cache.

    The artifact comes without its ``expect`` lines: they are tests (``hrouter test`` runs
    them from the sources), routing never reads them, and unpickling them was a third of
    loading the cached default rules."""
    path = Path(path).expanduser()
    if not path.exists():
        raise RulesLoadError(f"{path}: no such rules folder or file")
    root = rules_root(path)
    cached = cache_file(path)
    artifact = pickle_cache.load(cached, "hrouter.engine.artifact", Artifact)
    if (
        isinstance(artifact, Artifact)
        and artifact.format_version == FORMAT_VERSION
        and artifact.sources
        and not changed_sources(artifact, root)
    ):
        return artifact
    artifact = compile_rules(path)  # no cache yet, a damaged one, or changed sources
    artifact = attrs.evolve(artifact, expects=())
    pickle_cache.store(cached, artifact)
    return artifact


def compile_rules(path: Path) -> Artifact:
    try:
        from hrouter.compiler import RulesError, compile_rules as compile_
    except ImportError as exc:
        raise RulesLoadError(f"{path}: the rules compiler is not available ({exc})") from None
    try:
        # Expectations are tests (`hrouter test`, `hrouter compile`); a failing one must not take
        # routing down, so the router compiles without running them.
        return compile_(path, check_expects=False)
    except RulesError as exc:
        raise RulesLoadError(str(exc)) from None


def load_artifact_file(path: str | os.PathLike[str]) -> Artifact:
    """Read a compiled artifact; refuse it when it is damaged or its sources changed since."""
    from hrouter.engine.artifact_io import ArtifactError, load_artifact

    path = Path(path).expanduser()
    try:
        artifact = load_artifact(path, strict=True)
    except ArtifactError as exc:
        raise RulesLoadError(str(exc)) from None
    # The artifact does not record where its sources were; look beside it and in ./rules.
    for root in (path.parent, path.parent / "rules"):
        if artifact.sources and (root / artifact.sources[0].path).is_file():
            changed = changed_sources(artifact, root)
            if changed:
                raise RulesLoadError(
                    f"{path}: stale artifact: {', '.join(changed)} changed since it was compiled; recompile the rules"
                )
            break
    return artifact


def load_any(rules: str | os.PathLike[str]) -> Artifact:
    """A rules folder, a ``.rules`` file, or a compiled artifact (any other file)."""
    path = Path(rules).expanduser()
    if path.is_dir() or path.suffix == ".rules":
        return load_rules(path)
    if not path.exists():
        raise RulesLoadError(f"{path}: no such rules folder, rules file or artifact")
    return load_artifact_file(path)
