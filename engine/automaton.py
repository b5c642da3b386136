"""The one RE2 set over every lexical pattern, and the bits a scan yields.

Built once from an artifact. A scan of one text is one ``Set.Match`` (linear in the text, every
pattern at once) followed by OR-ing a precomputed atom mask per matched pattern; the masks are
per scope, so the same automaton serves the latest message, the assistant's reply and the
history. Numeric atoms (prompt length buckets) come from ``len()`` through a precomputed
breakpoint table, so they cost one bisect whatever their number.
"""

from __future__ import annotations

import operator
from bisect import bisect_right

import re2

from hrouter.engine.artifact import BUILTIN_ATOMS, Artifact

# 1 MB prompts run through the set's DFA; with RE2's default 8 MB budget a large rule set can
# exhaust it and Set.Match then reports no match at all, which must never happen to a safety
# pattern. 256 MB is a ceiling, not an allocation: the DFA grows only as states are visited.
MAX_MEM = 256 << 20

_OPS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


class AutomatonError(ValueError):
    """An artifact whose patterns or atoms cannot be turned into an automaton."""


def _tokens(chars: int) -> int:
    return -(-chars // 4)


class Automaton:
    def __init__(self, artifact: Artifact) -> None:
        self.bit = {atom.name: 1 << i for i, atom in enumerate(artifact.atoms)}
        if len(self.bit) != len(artifact.atoms):
            raise AutomatonError("artifact lists an atom twice")
        self.patterns = artifact.patterns
        self._set = self._build_set(artifact)
        masks = {scope: [0] * len(artifact.patterns) for scope in ("message", "assistant", "history")}
        feature_patterns: dict[str, list[int]] = {}
        for index, pattern in enumerate(artifact.patterns):
            feature_patterns.setdefault(pattern.feature, []).append(index)
        for atom in artifact.atoms:
            if atom.kind != "lexical":
                continue
            indexes = feature_patterns.get(atom.feature or "")
            if not indexes:
                raise AutomatonError(f"lexical atom {atom.name!r} has no pattern for feature {atom.feature!r}")
            for index in indexes:
                masks[atom.scope][index] |= self.bit[atom.name]
        self.message_masks = tuple(masks["message"])
        self.assistant_masks = tuple(masks["assistant"])
        self.history_masks = tuple(masks["history"])
        self.scans_assistant = any(self.assistant_masks)
        self.scans_history = any(self.history_masks)
        self.builtin = {name: self.bit.get(name, 0) for name in BUILTIN_ATOMS}
        self.empty_bit = self.builtin["empty_prompt"]
        self._build_measures(artifact)

    @staticmethod
    def _build_set(artifact: Artifact):
        if not artifact.patterns:
            return None
        options = re2.Options()
        options.max_mem = MAX_MEM
        options.never_capture = True
        regex_set = re2.Set.SearchSet(options)
        for pattern in artifact.patterns:
            try:
                regex_set.Add(pattern.regex)
            except Exception as exc:
                raise AutomatonError(f"{pattern.loc}: RE2 rejects pattern {pattern.regex!r}: {exc}") from None
        try:
            regex_set.Compile()
        except Exception as exc:
            raise AutomatonError(f"the pattern set does not compile: {exc}") from None
        # The wrapper's Match encodes and converts; the inner object takes bytes directly.
        return getattr(regex_set, "_set", None) or regex_set

    def _build_measures(self, artifact: Artifact) -> None:
        length_atoms = []  # (measure, compare, value, bit) for chars and tokens
        word_atoms = []
        for atom in artifact.atoms:
            if atom.kind != "numeric":
                continue
            compare = _OPS.get(atom.op or "")
            if compare is None or atom.measure not in ("chars", "tokens", "words") or atom.value is None:
                raise AutomatonError(f"numeric atom {atom.name!r} is malformed")
            entry = (atom.measure, compare, atom.value, self.bit[atom.name])
            (word_atoms if atom.measure == "words" else length_atoms).append(entry)
        # Every predicate on chars or tokens = ceil(chars / 4) is constant between breakpoints,
        # so the bits for any length are found with one bisect.
        points = {0}
        for measure, _, value, _ in length_atoms:
            if measure == "chars":
                points.update((value, value + 1))
            else:
                points.update((4 * (value - 1) + 1, 4 * value + 1))
        self._breaks = sorted(p for p in points if p >= 0)
        self._bucket_bits = tuple(self._length_bits(length_atoms, p) for p in self._breaks)
        self._word_atoms = tuple(word_atoms)

    @staticmethod
    def _length_bits(atoms, chars: int) -> int:
        bits = 0
        for measure, compare, value, bit in atoms:
            if compare(chars if measure == "chars" else _tokens(chars), value):
                bits |= bit
        return bits

    def match(self, text: str) -> list[int]:
        """Indexes of the patterns that match ``text`` (already normalised)."""
        if self._set is None:
            return []
        return self._set.Match(text.encode("utf-8")) or []

    def scan(self, text: str, masks: tuple[int, ...]) -> int:
        bits = 0
        if self._set is not None:
            for index in self._set.Match(text.encode("utf-8")) or ():
                bits |= masks[index]
        return bits

    def measure_bits(self, text: str) -> int:
        """Numeric atoms and ``empty_prompt`` for the latest user message."""
        chars = len(text)
        bits = self._bucket_bits[bisect_right(self._breaks, chars) - 1]
        if self._word_atoms:
            words = len(text.split())
            for _, compare, value, bit in self._word_atoms:
                if compare(words, value):
                    bits |= bit
        if not text or text.isspace():
            bits |= self.empty_bit
        return bits

    def message_bits(self, text: str) -> int:
        return self.scan(text, self.message_masks) | self.measure_bits(text)
