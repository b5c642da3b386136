"""The lexical scan of an artifact, and the bits it yields.

Built once from an artifact. A scan of one text reports every pattern that matches, exactly
what one RE2 set over every pattern would: a text up to 2 KB has its word-based patterns read
on its words (``token_scan.py``) and the rest literal-first through RE2 (``literal_scan.py``);
a longer one (or one with a control character) takes one set over every pattern, or a
FilteredRE2 when varied. Then a precomputed atom mask is OR-ed in per matched pattern. The masks are
per scope, so the same automaton serves the latest message, the assistant's reply and the
history. Numeric atoms on length come from ``len()`` through a precomputed breakpoint table
(one bisect whatever their number). Word counts are ``str.split()`` counts, bucketed by the
thresholds the rules test (one bisect), and live in the key above the atoms and derived features;
they are turned into word-count atoms only when the decision for a key is first computed. (RE2
once counted them too, with "at least t words" patterns in the literal set: their counted
repetitions multiplied the set's DFA states, and a first-seen prompt paid ~180 us for them.)
The one internal pattern left, "the text has a word", is the canary of a failed set pass.
"""

from __future__ import annotations

import operator
from bisect import bisect_right
from functools import reduce

import re2

from hrouter.engine.artifact import BUILTIN_ATOMS, CALL_SCOPES, Artifact
from hrouter.engine.literal_scan import LiteralScan, ScanError, compile_set, options
from hrouter.engine.spelling import Speller
from hrouter.engine.token_scan import TokenScan, tokenize

# RE2's default 8 MB budget is small for a hundred-odd patterns over long prompts; the DFA
# then resets its state cache more often (slower, never wrong: a set scan that truly runs out
# of memory reports no match, and the "at least one word" canary below turns that into an
# empty-prompt refusal). 96 MB is a ceiling, not an allocation: states are built as visited.
# It was 64 MB until the clause-scoped negations and comparisons of other languages (near() over
# long word lists) grew the one set past it; the compiler refuses rules that outgrow it.
MAX_MEM = 96 << 20

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


# Exactly the characters str.isspace() (and so str.split()) treats as white space.
_WS = r"\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
#: Texts longer than this (in bytes) with more than DIVERSE_WORDS distinct words in their first
#: DIVERSITY_WINDOW characters are scanned through a FilteredRE2 (see Automaton.long_match).
LONG_TEXT = 2048
#: Scanned texts remembered (see Automaton._match); the memo is emptied when full.
MEMO_SIZE = 4096
DIVERSE_WORDS = 128
DIVERSITY_WINDOW = 16384


def at_least_words(t: int) -> str:
    """RE2 for "the text has at least t (>= 1) white-space separated words".

    "At least one word" doubles as a canary: RE2 reports a failed set match (its DFA out of
    memory) as no match at all. Then this fact is missing too, the key reads as an empty
    prompt, and the empty-prompt safety rule sends the request to confirmation: a failed scan
    fails closed instead of looking like a harmless prompt."""
    body = f"(?:[^{_WS}]+[{_WS}]+){{{t - 1}}}" if t > 1 else ""
    return f"\\A[{_WS}]*{body}[^{_WS}]"


class Automaton:
    def __init__(self, artifact: Artifact) -> None:
        self.bit = {atom.name: 1 << i for i, atom in enumerate(artifact.atoms)}
        if len(self.bit) != len(artifact.atoms):
            raise AutomatonError("artifact lists an atom twice")
        self.patterns = artifact.patterns
        self.builtin = {name: self.bit.get(name, 0) for name in BUILTIN_ATOMS}
        self.empty_bit = self.builtin["empty_prompt"]
        length_atoms, word_atoms = self._numeric_atoms(artifact)
        self._build_length_table(length_atoms)
        # The internal "the text has a word" fact, above every atom and derived feature bit;
        # word counts themselves are taken in Python (see message_key).
        self._shift = len(artifact.atoms) + len(artifact.derived)
        self._atom_mask = (1 << self._shift) - 1
        self._thresholds = [1]
        # Every word-count predicate is constant between these points, so a count's bucket
        # (one bisect) is all the key needs, and prompts of one bucket share a decision.
        points = {0}
        for _, _, value, _ in word_atoms:
            points.update(p for p in (value, value + 1) if p >= 0)
        self._word_points = sorted(points)
        self._word_cap = self._word_points[-1]
        self._word_bucket_bits = tuple(self._count_bits(word_atoms, p) for p in self._word_points)
        # The clause field (engine.decision) sits above the word-bucket field.
        self.clause_shift = self._shift + 1 + max(127, len(self._word_points).bit_length())
        internal = [at_least_words(t) for t in self._thresholds]
        self._regexes = tuple(p.regex for p in artifact.patterns) + tuple(internal)
        n = len(artifact.patterns)
        self._tokens = TokenScan(artifact.patterns)
        self._speller = Speller(artifact.spellings)
        # The patterns the token scan does not read, and the internal ones, through RE2; the
        # index each reports there -> its index here.
        rest = [i for i in range(n) if i not in self._tokens.indexes]
        self._rest_index = tuple(rest) + tuple(range(n, n + len(internal)))
        self._set = self._build_set(artifact, [artifact.patterns[i] for i in rest], internal)
        self._memo: dict[str, tuple[int, ...]] = {}
        self._memo_get = self._memo.get
        self._whole = None  # one set over every pattern, built on the first long text
        self._filter = None  # built on the first long, varied text (see long_match)
        masks = {scope: [0] * (n + len(internal)) for scope in ("message", "assistant", "history", "system", *CALL_SCOPES)}
        for j in range(len(internal)):
            masks["message"][n + j] = 1 << (self._shift + j)
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
        self.system_masks = tuple(masks["system"])
        # The texts of a proposed tool call, which only `call` rules read (engine/tool_call.py).
        self.call_masks = {scope: tuple(masks[scope]) for scope in CALL_SCOPES}
        self._message_mask_of = self.message_masks.__getitem__
        self.scans_assistant = any(self.assistant_masks)
        self.scans_history = any(self.history_masks)
        self.scans_system = any(self.system_masks)

    @staticmethod
    def _numeric_atoms(artifact: Artifact):
        length_atoms, word_atoms = [], []
        for position, atom in enumerate(artifact.atoms):
            if atom.kind != "numeric":
                continue
            compare = _OPS.get(atom.op or "")
            if compare is None or atom.measure not in ("chars", "tokens", "words") or type(atom.value) is not int:
                raise AutomatonError(f"numeric atom {atom.name!r} is malformed")
            entry = (atom.measure, compare, atom.value, 1 << position)
            (word_atoms if atom.measure == "words" else length_atoms).append(entry)
        return length_atoms, word_atoms

    @staticmethod
    def _build_set(artifact: Artifact, patterns, internal: list[str]) -> LiteralScan:
        try:
            return LiteralScan(patterns, internal, MAX_MEM)
        except ScanError as exc:
            raise AutomatonError(str(exc)) from None

    def _whole_set(self):
        whole = self._whole
        if whole is None:
            patterns = self.patterns

            def where(regex: str) -> str:
                return next((f"{p.loc}: RE2 rejects pattern" for p in patterns if p.regex == regex), "RE2 rejects pattern")

            whole = self._whole = compile_set(self._regexes, "pattern", MAX_MEM, where)
        return whole

    def _build_length_table(self, length_atoms) -> None:
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

    # -- scanning ------------------------------------------------------------------------------

    def long_match(self, data: bytes, text: str) -> list[int]:
        """Exactly what the set reports for a text longer than LONG_TEXT, found the fastest way.

        RE2 builds the set's DFA lazily, a state per new combination of live positions across
        all patterns. Repetitive text reuses a few states (a 1 MB prompt scans in a few ms),
        but long varied text (a pasted document, a log) makes new ones at nearly every byte:
        the first scan of 50 KB of prose took seconds. For such text a FilteredRE2 is used:
        a literal prefilter picks the patterns that can match and each runs on its own, with
        its own small DFA (tens of ms for the same 50 KB). Both are exact, so which one runs
        changes the time, never the answer; the choice depends only on the text."""
        if len(set(text[:DIVERSITY_WINDOW].split())) <= DIVERSE_WORDS:
            return self._whole_set().Match(data) or []
        return self._long_filter().Match(data) or []

    def _long_filter(self):
        flt = self._filter
        if flt is None:
            flt = re2.Filter()
            opts = options()
            for regex in self._regexes:
                flt.Add(regex, opts)
            flt.Compile()
            self._filter = flt
        return flt

    def warm(self) -> None:
        """Compile now what is otherwise compiled on first use (see LiteralScan.warm). Raises
        ScanError for a pattern RE2 rejects (only a damaged artifact holds one: the compiler
        checks every pattern); unwarmed, such a pattern fails closed the prompts it is tried on."""
        self._set.warm()
        try:
            self._whole_set()
            self._long_filter()
        except re2.error as exc:  # a pattern past RE2's budget: a RouterConfigError, not a traceback
            raise ScanError(f"the rules' patterns cannot be compiled for long prompts: {exc}") from None

    def _match(self, text: str) -> list[int]:
        """The one memo of the scan: a text up to LONG_TEXT characters (a message, each of its
        clauses and sentences) is scanned once while remembered, whichever part asks."""
        known = self._memo_get(text)
        if known is not None:
            return list(known)
        found = self._scan_text(text)
        if len(text) > LONG_TEXT:  # a long text is rarely repeated and would hold memory
            return found
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        self._memo[text] = tuple(found)
        return found

    def _scan_text(self, text: str) -> list[int]:
        speller = self._speller
        long = len(text) > LONG_TEXT // 4 and len(text.encode("utf-8")) > LONG_TEXT
        parts = None if long else tokenize(text)
        if speller and speller.found(speller.pieces(text) if parts is None else parts[0]):
            text = speller.correct(text)
            parts = None if long else tokenize(text)
        data = text.encode("utf-8")
        if long:
            return self.long_match(data, text)
        if parts is None:  # a control character: the regexes read it (see token_scan.py)
            return self._whole_set().Match(data) or []
        hits = self._tokens.read(parts)
        rest = self._rest_index
        hits.extend(rest[i] for i in self._set.Match(data))
        return hits

    def match(self, text: str) -> list[int]:
        """Indexes of the rule patterns that match ``text`` (already normalised)."""
        n = len(self.patterns)
        return [i for i in self._match(text) if i < n]

    def scan(self, text: str, masks: tuple[int, ...]) -> int:
        matched = self._match(text)
        return reduce(operator.or_, map(masks.__getitem__, matched)) if matched else 0

    def message_key(self, text: str) -> tuple[int, ...]:
        """The cheapest exact key for the latest user message: the matched pattern indexes
        followed by the length bucket (and, for huge word thresholds, the capped word count).
        OR-ing masks into big integers costs more than the scan itself on short prompts, so
        ``route_fast`` memoises on this tuple and builds bits (``key_bits``) only on a miss."""
        matched = self._match(text)
        matched.append(bisect_right(self._breaks, len(text)) - 1)
        matched.append(bisect_right(self._word_points, len(text.split(None, self._word_cap))) - 1)
        return tuple(matched)

    def key_bits(self, key: tuple[int, ...]) -> int:
        *matched, bucket, words = key
        bits = self._bucket_bits[bucket] | words << (self._shift + 1)  # words: a word bucket
        for index in matched:
            bits |= self.message_masks[index]
        return bits

    def message_bits(self, text: str) -> int:
        """Lexical and length bits of the latest user message, plus internal word-count facts
        (``atom_bits`` turns those into atoms)."""
        return self.key_bits(self.message_key(text))

    def atom_bits(self, key: int) -> int:
        """The atoms a memo key stands for (run once per distinct key, off the hot path)."""
        facts = key >> self._shift
        empty = self.empty_bit if not facts & 1 else 0
        return key & self._atom_mask | empty | self._word_bucket_bits[facts >> 1]
