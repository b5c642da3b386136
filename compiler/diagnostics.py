"""Located errors: every stage of the compiler reports problems as `Diagnostic`s.

A diagnostic is data (a stable code, a message, a location, the source line), so stages can
report several problems at once and the caller sorts and renders them together.
"""

from __future__ import annotations

import difflib

import attrs


@attrs.frozen(order=True)
class SourceLocation:
    """Where a diagnostic points. `file` is the path shown to the user; line and column are 1-based."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column or 1}"


@attrs.frozen
class Diagnostic:
    code: str  # stable, e.g. "unknown-feature"; tests and tools match on it
    message: str
    location: SourceLocation
    source_line: str = ""
    notes: tuple[str, ...] = ()  # extra lines shown under the caret (e.g. an expect's details)
    severity: str = "error"  # or "warning": reported, but the rule set still compiles

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.file, loc.line, loc.column, self.code, self.message)

    def render(self) -> str:
        label = "warning: " if self.severity == "warning" else ""
        parts = [f"{self.location}: {label}{self.message}"]
        if self.source_line:
            text = self.source_line.rstrip("\n").expandtabs(1)
            parts.append(f"    {text}")
            col = max(1, self.location.column)
            parts.append("    " + " " * (col - 1) + "^")
        parts.extend(f"    {note}" for note in self.notes)
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.render()


class RulesError(Exception):
    """A rule set that cannot be compiled; carries every diagnostic found, sorted by location."""

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]):
        self.diagnostics: tuple[Diagnostic, ...] = tuple(sorted(diagnostics, key=Diagnostic.sort_key))
        super().__init__(self.render())

    def render(self) -> str:
        n = len(self.diagnostics)
        body = "\n".join(d.render() for d in self.diagnostics)
        if n > 1:
            body += f"\n{n} errors"
        return body

    def __str__(self) -> str:
        return self.render()


class SourceText:
    """One source file's text, to fetch the line a diagnostic points at."""

    def __init__(self, display_path: str, text: str):
        self.display_path = display_path
        self.lines = text.splitlines()

    def line(self, lineno: int) -> str:
        if 1 <= lineno <= len(self.lines):
            return self.lines[lineno - 1]
        return ""

    def diagnostic(
        self, code: str, message: str, line: int, column: int, notes: tuple[str, ...] = (), severity: str = "error"
    ) -> Diagnostic:
        return Diagnostic(code, message, SourceLocation(self.display_path, line, column), self.line(line), notes, severity)


def did_you_mean(name: str, candidates) -> str:
    """" (did you mean 'X'?)" for the closest candidate, or "" when none is close."""
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""
