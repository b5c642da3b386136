"""Files and includes: from a rules folder or file to the parsed files, in statement order.

`include` is resolved relative to the including file and splices the included file's
statements in at that point. Each file is loaded once (a second include of it is a no-op); an
include that leads back to a file still being loaded is a cycle and is reported with its path.
Paths in the result are relative to the rules root, so artifacts do not depend on where the
rules live on disk.

An include must stay inside the rules root (after following symlinks) or inside a folder listed
in `$HROUTER_RULES_INCLUDE_DIRS` (os.pathsep-separated), and name a regular file of at most
`MAX_FILE_BYTES`: rules are compiled by a proxy that may watch them, and an include of
`/proc/self/environ` or `/dev/zero` must be refused, not read. Refusals never quote the file.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import attrs

from hrouter.compiler import ast
from hrouter.compiler.diagnostics import Diagnostic, SourceLocation, SourceText
from hrouter.compiler.parser import parse

ENTRY_FILE = "main.rules"
INCLUDE_DIRS_ENV = "HROUTER_RULES_INCLUDE_DIRS"
#: One rules file larger than this is refused unread (the packaged rules are well under 1 MB).
MAX_FILE_BYTES = 16 * 1024 * 1024


class _Unreadable(Exception):
    """A rules file that is refused before reading; str() is the reason shown."""


def include_roots(root_abs: Path) -> tuple[Path, ...]:
    extra = [Path(p).expanduser().resolve() for p in os.environ.get(INCLUDE_DIRS_ENV, "").split(os.pathsep) if p]
    return (root_abs, *extra)


def read_rules_file(path: Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; _Unreadable or OSError otherwise."""
    limit = MAX_FILE_BYTES if limit is None else limit
    # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then says what was opened.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with open(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise _Unreadable("not a regular file")
        if st.st_size > limit:
            raise _Unreadable(f"larger than {limit} bytes")
        data = f.read(limit + 1)  # a file that grew since fstat is still capped
    if len(data) > limit:
        raise _Unreadable(f"larger than {limit} bytes")
    return data


@attrs.frozen
class LoadedFile:
    rel: str  # relative to the rules root, with forward slashes
    display: str  # how diagnostics name the file
    text: str
    sha256: str
    tree: ast.RulesFile | None


@attrs.define
class LoadResult:
    root: Path
    files: list[LoadedFile]  # load order: each file before the files it includes
    statements: list  # every statement, includes spliced in
    diagnostics: list[Diagnostic]
    sources: dict[str, SourceText]  # rel -> text, to render diagnostics

    def diag(
        self, code: str, message: str, pos: ast.Pos, notes: tuple[str, ...] = (), severity: str = "error"
    ) -> Diagnostic:
        src = self.sources.get(pos.file)
        if src is None:
            return Diagnostic(code, message, SourceLocation(pos.file, pos.line, pos.column), "", notes, severity)
        return src.diagnostic(code, message, pos.line, pos.column, notes, severity)


def source_hash(files: list[tuple[str, str]]) -> str:
    """The artifact's `source_hash`: sha256 over `"<sha256>  <path>\\n"` lines in load order
    (the format of `sha256sum`), so a changed, added, removed or reordered file changes it."""
    digest = hashlib.sha256()
    for rel, sha in files:
        digest.update(f"{sha}  {rel}\n".encode("utf-8"))
    return digest.hexdigest()


def resolve_entry(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """(rules root, entry file) for a rules folder or a single `.rules` file."""
    p = Path(path)
    if p.is_dir():
        return p, p / ENTRY_FILE
    return p.parent, p


def _display(root_arg: Path, rel: str) -> str:
    return str(root_arg / rel) if str(root_arg) not in ("", ".") else rel


def load(path: str | os.PathLike[str]) -> LoadResult:
    root, entry = resolve_entry(path)
    result = LoadResult(root=root, files=[], statements=[], diagnostics=[], sources={})
    if not entry.is_file():
        if Path(path).is_dir():
            where, what = str(path), f"the rules folder has no entry file {ENTRY_FILE}"
        else:
            where, what = str(path), "no such rules file or folder"
        result.diagnostics.append(Diagnostic("missing-file", what, SourceLocation(where)))
        return result
    root_abs = root.resolve()
    allowed = include_roots(root_abs)
    seen: set[Path] = set()

    def rel_of(p: Path) -> str:
        return Path(os.path.relpath(p, root_abs)).as_posix()

    def visit(file_abs: Path, stack: list[Path], via: ast.Include | None) -> None:
        if file_abs in stack:
            chain = " -> ".join(rel_of(p) for p in stack[stack.index(file_abs):] + [file_abs])
            result.diagnostics.append(result.diag("include-cycle", f"include cycle: {chain}", via.pos))
            return
        if file_abs in seen:
            return
        seen.add(file_abs)
        rel = rel_of(file_abs)
        try:
            if via is not None and not any(file_abs.is_relative_to(r) for r in allowed):
                raise _Unreadable(f"outside the rules folder (list extra folders in ${INCLUDE_DIRS_ENV})")
            raw = read_rules_file(file_abs)
            text = raw.decode("utf-8-sig")  # an editor's byte order mark is not a syntax error
        except (OSError, UnicodeDecodeError, _Unreadable) as exc:
            if isinstance(exc, UnicodeDecodeError):
                reason = "not UTF-8 text"  # the decoder's message would quote the bytes
            else:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            if via is None:
                result.diagnostics.append(Diagnostic("missing-file", f"cannot read {rel}: {reason}", SourceLocation(rel)))
            else:
                result.diagnostics.append(result.diag("missing-file", f"cannot include {via.path!r}: {reason}", via.pos))
            return
        display = _display(root, rel)
        result.sources[rel] = SourceText(display, text)
        tree, diags = parse(text, rel, display)
        result.files.append(LoadedFile(rel, display, text, hashlib.sha256(raw).hexdigest(), tree))
        result.diagnostics.extend(diags)
        if tree is None:
            return
        for statement in tree.statements:
            if isinstance(statement, ast.Include):
                target = (file_abs.parent / statement.path).resolve()
                visit(target, stack + [file_abs], statement)
            else:
                result.statements.append(statement)

    visit(entry.resolve(), [], None)
    return result
