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
from functools import reduce

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
        self._message_mask_of = self.message_masks.__getitem__
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
        # Word counts only matter up to one past the largest threshold, and split(None, k)
        # stops after k words: a 1 MB prompt is not split into 150,000 strings. A count of 0
        # is exactly "empty or whitespace only", so empty_prompt rides on the same lookup.
        # split(None, k) returns min(words, k + 1) items: exact up to the largest threshold
        # plus one, and a single "more than that" bucket after it.
        self._word_k = max(0, max((value for _, _, value, _ in word_atoms), default=-1) + 1)
        self._word_bits = tuple(
            self._count_bits(word_atoms, count) | (self.empty_bit if count == 0 else 0)
            for count in range(self._word_k + 2)
        )

    @staticmethod
    def _count_bits(atoms, words: int) -> int:
        bits = 0
        for _, compare, value, bit in atoms:
            if compare(words, value):
                bits |= bit
        return bits

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
        if self._set is None:
            return 0
        matched = self._set.Match(text.encode("utf-8"))
        return reduce(operator.or_, map(masks.__getitem__, matched)) if matched else 0

    def word_bucket(self, text: str) -> int:
        """min(word count, k + 1), looking at a short prefix first: a prefix that already holds
        k + 1 words settles it without copying the rest of a long prompt."""
        k = self._word_k
        if len(text) > 4096:
            head = text[:4096].split(None, k)
            if len(head) > k:
                return k + 1
        return len(text.split(None, k))

    def measure_bits(self, text: str) -> int:
        """Numeric atoms and ``empty_prompt`` for the latest user message."""
        return self._bucket_bits[bisect_right(self._breaks, len(text)) - 1] | self._word_bits[self.word_bucket(text)]

    def message_bits(self, text: str) -> int:
        """Everything the latest user message sets: lexical, numeric and empty_prompt bits."""
        if len(text) <= 4096:  # the common case, without a call
            words = len(text.split(None, self._word_k))
        else:
            words = self.word_bucket(text)
        bits = self._bucket_bits[bisect_right(self._breaks, len(text)) - 1] | self._word_bits[words]
        if self._set is not None:
            matched = self._set.Match(text.encode("utf-8"))
            if matched:
                bits |= reduce(operator.or_, map(self._message_mask_of, matched))
        return bits
