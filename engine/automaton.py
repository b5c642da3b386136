"""RE2 sets over the lexical patterns, and the bits a scan yields.

Built once from an artifact. A scan of one text reports every pattern that matches (linear in
the text, every pattern at once), followed by OR-ing a precomputed atom mask per matched
pattern. Small artifacts are one ``Set.Match``. Larger ones are scanned by ``GuardedSet``:
prompts by a few small sets whose lazily built DFAs stay cheap on text never seen before,
long texts by one set. Patterns with guards (proximity patterns: "A within N words of B", "A
followed by a word not in a list") are in no set: their guards (the operands' word lists) are,
and such a pattern is searched on its own only when all its guards matched. Whatever the path,
the scan reports exactly what one set over every pattern would. The masks are
per scope, so the same automaton serves the latest message, the assistant's reply and the
history. Numeric atoms on length come from ``len()`` through a precomputed breakpoint table
(one bisect whatever their number). Word counts come from the same RE2 pass: the set also holds
internal anchored patterns "at least t words" whose bits live above the atoms and derived
features in the key, and are turned into word-count atoms (and ``empty_prompt``) only when the
decision for a key is first computed. So the hot path never splits a prompt in Python.
"""

from __future__ import annotations

import operator
from bisect import bisect_right
from functools import reduce

import re2

from hrouter.engine.artifact import BUILTIN_ATOMS, Artifact

# RE2's default 8 MB budget is small for a hundred-odd patterns over long prompts; the DFA
# then resets its state cache more often (slower, never wrong: a set scan that truly runs out
# of memory reports no match, and the "at least one word" canary below turns that into an
# empty-prompt refusal). 64 MB is a ceiling, not an allocation: states are built as visited.
MAX_MEM = 64 << 20

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


#: Holds the set index of a guarded pattern, so indexes stay those of ``Artifact.patterns``.
NEVER = r"[^\x00-\x{10FFFF}]"
_UNANCHORED = re2._re2.RE2.Anchor.UNANCHORED


def _options(max_mem: int | None = None):
    options = re2.Options()
    if max_mem:
        options.max_mem = max_mem
    options.never_capture = True
    return options


def _tokens(chars: int) -> int:
    return -(-chars // 4)


# Exactly the characters str.isspace() (and so str.split()) treats as white space.
_WS = r"\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
#: Texts longer than this (in bytes) with more than DIVERSE_WORDS distinct words in their first
#: DIVERSITY_WINDOW characters are scanned through a FilteredRE2 (see Automaton.long_match).
LONG_TEXT = 2048
DIVERSE_WORDS = 128
DIVERSITY_WINDOW = 16384
#: Word thresholds up to this are counted by RE2; a rule set with a larger one counts in Python.
MAX_RE2_WORDS = 200


def at_least_words(t: int) -> str:
    """RE2 for "the text has at least t (>= 1) white-space separated words".

    "At least one word" doubles as a canary: RE2 reports a failed set match (its DFA out of
    memory) as no match at all. Then this fact is missing too, the key reads as an empty
    prompt, and the empty-prompt safety rule sends the request to confirmation: a failed scan
    fails closed instead of looking like a harmless prompt."""
    body = f"(?:[^{_WS}]+[{_WS}]+){{{t - 1}}}" if t > 1 else ""
    return f"\\A[{_WS}]*{body}[^{_WS}]"


#: Texts up to this size are scanned in parts and remembered (GuardedSet); the memo holds
#: MEMO_SIZE of them and is emptied when full.
MEMO_BYTES = 2048
MEMO_SIZE = 4096
#: Patterns per part of the main scan (see GuardedSet).
PART_SIZE = 12


def _lazy_search(pattern):
    """The pattern's own RE2 search, compiled on first use: a process that routes one prompt
    (`hrouter decide`) compiles only the few guarded patterns whose operands occurred, instead
    of all of them at load. The compiler validated every pattern; should a damaged artifact
    hold one RE2 rejects, the scan raises and the router fails closed for that prompt."""
    compiled = None

    def search(anchor, data, start, end):
        nonlocal compiled
        if compiled is None:
            try:
                compiled = re2.compile(pattern.regex, _options())._regexp.Match
            except Exception as exc:
                raise AutomatonError(f"{pattern.loc}: RE2 rejects pattern {pattern.regex!r}: {exc}") from None
        return compiled(anchor, data, start, end)

    return search


class GuardedSet:
    """Several set scans and a verification: ``Match(data)`` returns what one RE2 set over
    every pattern would (the same indexes; their order may differ).

    Index i is pattern i (a guarded pattern's index is never reported by a set: its place
    holds a regex that never matches), then come the internal patterns, then the guards that
    are not already a pattern. They are scanned in parts, each an RE2 set: the patterns in
    round-robin parts of about PART_SIZE, and the guards in one more. A DFA state of a set
    combines the positions of all its members, so a new text builds states for which the
    cost grows with the set: the guards' word lists in the main set made new states several
    times costlier, and a few smaller sets do the same work for less than one large one.
    Each guarded pattern whose guards all matched is then searched alone, with its own RE2
    (which, unlike a set, falls back to a slower exact method rather than fail when out of
    memory). The result for a short text is remembered: a repeated prompt costs a lookup.
    Longer texts (repetitive ones; varied ones go to a FilteredRE2 first, see
    ``Automaton.long_match``) are scanned by one set over every pattern, built on first use:
    there the number of passes matters more than the cost of new states.

    RE2 reports a set that ran out of memory as no match. Every part ends with the canary
    "the text has a word": a pattern part without it while another has it makes the whole
    scan report nothing (as one failed set would: the key then reads as an empty prompt,
    which the safety rules refuse); a guard part without it counts every guard as matched."""

    __slots__ = ("Match", "parts", "guard_part", "members", "first_guard", "checks", "memo", "_whole")

    def __init__(self, parts, guard_part, members: int, first_guard: int, checks: dict[int, tuple], whole) -> None:
        """``parts``: (match, global index of each member) per pattern part, the canary last;
        ``guard_part`` likewise for the guards, or None; ``whole()`` builds the one set."""
        self.parts, self.guard_part = parts, guard_part
        self.members, self.first_guard, self.checks = members, first_guard, checks
        watched = frozenset(checks) | frozenset(range(first_guard, members))
        is_clear = watched.isdisjoint
        get = checks.get
        memo: dict[bytes, tuple[int, ...]] = {}
        self.memo = memo
        remembered = memo.get
        scans = tuple((match, indexes, len(indexes) - 1) for match, indexes in parts)
        if guard_part is not None:
            guard_match, guard_indexes = guard_part
            guard_canary = len(guard_indexes) - 1

        def match(data: bytes) -> list[int]:
            if len(data) > MEMO_BYTES:
                return self._long(data)
            known = remembered(data)
            if known is not None:
                return list(known)
            hits: list[int] = []
            words = 0
            for part_match, indexes, canary in scans:
                found = part_match(data) or ()
                for j in found:
                    if j == canary:
                        words += 1
                    else:
                        hits.append(indexes[j])
            if 0 < words < len(scans):
                return []  # a part failed: fail closed, never report a partial scan
            if guard_part is not None:
                found = guard_match(data) or []
                if guard_canary in found:
                    hits.extend(guard_indexes[j] for j in found if j != guard_canary)
                elif words:
                    hits.extend(range(first_guard, members))
            if hits and not is_clear(hits):
                seen = set(hits)
                out = [k for k in hits if k < first_guard]
                for k in hits:
                    for index, others, search in get(k, ()):
                        if others <= seen and search(_UNANCHORED, data, 0, len(data))[0][0] >= 0:
                            out.append(index)
                hits = out
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            memo[data] = tuple(hits)
            return hits

        self.Match = match
        self._whole = whole

    def _long(self, data: bytes) -> list[int]:
        if callable(self._whole):
            self._whole = self._whole()
        return self._whole.Match(data) or []


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
        # Internal "at least t words" facts, above every atom and derived feature bit.
        self._shift = len(artifact.atoms) + len(artifact.derived)
        self._atom_mask = (1 << self._shift) - 1
        points = {1}  # "at least one word" is the opposite of empty_prompt
        for _, _, value, _ in word_atoms:
            points.update(p for p in (value, value + 1) if p >= 1)
        self._thresholds = sorted(points)
        self._python_words = self._thresholds[-1] > MAX_RE2_WORDS
        if self._python_words:
            self._thresholds = [1]  # RE2 only decides empty; counts are taken in Python
            self._word_atoms = tuple(word_atoms)
            self._word_cap = max(value for _, _, value, _ in word_atoms) + 1
        self._word_bits = tuple(
            self._count_bits(word_atoms, (self._thresholds[b - 1] if b else 0)) | (0 if b else self.empty_bit)
            for b in range(len(self._thresholds) + 1)
        )
        internal = [at_least_words(t) for t in self._thresholds]
        self._regexes = tuple(p.regex for p in artifact.patterns) + tuple(internal)
        self._set = self._build_set(artifact, internal)  # .Match(bytes) -> pattern indexes
        self._filter = None  # built on the first long, varied text (see long_match)
        n = len(artifact.patterns)
        masks = {scope: [0] * (n + len(internal)) for scope in ("message", "assistant", "history")}
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
        self._message_mask_of = self.message_masks.__getitem__
        self.scans_assistant = any(self.assistant_masks)
        self.scans_history = any(self.history_masks)

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
    def _build_set(artifact: Artifact, internal: list[str]):
        members = [NEVER if p.guards else p.regex for p in artifact.patterns] + internal
        first_guard = len(members)
        # A guard identical to an unguarded pattern (an operand that is a feature of its own)
        # is that pattern's member; the others are added once each.
        member_of = {}
        for index, pattern in enumerate(artifact.patterns):
            if not pattern.guards:
                member_of.setdefault(pattern.regex, index)
        checks: dict[int, list] = {}
        for index, pattern in enumerate(artifact.patterns):
            if not pattern.guards:
                continue
            ids = []
            for guard in dict.fromkeys(pattern.guards):
                if guard not in member_of:
                    member_of[guard] = len(members)
                    members.append(guard)
                ids.append(member_of[guard])
            checks.setdefault(ids[0], []).append((index, frozenset(ids[1:]), _lazy_search(pattern)))
        patterns = artifact.patterns

        def compiled(regexes, what):
            regex_set = re2.Set.SearchSet(_options(MAX_MEM))
            for regex in regexes:
                try:
                    regex_set.Add(regex)
                except Exception as exc:
                    where = next((f"{p.loc}: RE2 rejects pattern" for p in patterns if p.regex == regex), f"RE2 rejects {what}")
                    raise AutomatonError(f"{where} {regex!r}: {exc}") from None
            try:
                regex_set.Compile()
            except Exception as exc:
                raise AutomatonError(f"the {what} set does not compile: {exc}") from None
            # The wrapper's Match encodes and converts; the inner object takes bytes directly.
            return getattr(regex_set, "_set", None) or regex_set

        count = -(-first_guard // PART_SIZE)
        if count <= 1 and not checks:
            return compiled(members, "pattern")
        canary = at_least_words(1)
        parts = []
        for start in range(count):
            indexes = list(range(start, first_guard, count))
            parts.append((compiled([members[k] for k in indexes] + [canary], "pattern").Match, tuple(indexes) + (-1,)))
        guard_part = None
        if len(members) > first_guard:
            indexes = tuple(range(first_guard, len(members))) + (-1,)
            guard_part = (compiled(members[first_guard:] + [canary], "guard").Match, indexes)
        by_member = {k: tuple(v) for k, v in checks.items()}
        whole = [p.regex for p in patterns] + internal
        return GuardedSet(parts, guard_part, len(members), first_guard, by_member, lambda: compiled(whole, "pattern"))

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
            return self._set.Match(data) or []
        flt = self._filter
        if flt is None:
            flt = re2.Filter()
            options = re2.Options()
            options.never_capture = True
            for regex in self._regexes:
                flt.Add(regex, options)
            flt.Compile()
            self._filter = flt
        return flt.Match(data) or []

    def _match(self, text: str) -> list[int]:
        data = text.encode("utf-8")
        if len(data) > LONG_TEXT:
            return self.long_match(data, text)
        return self._set.Match(data) or []

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
        if self._python_words:
            cap = self._word_cap
            matched.append(min(len(text.split(None, cap)), cap))
        return tuple(matched)

    def key_bits(self, key: tuple[int, ...]) -> int:
        if self._python_words:
            *matched, bucket, words = key
            extra = words << (self._shift + 1)
        else:
            *matched, bucket = key
            extra = 0
        bits = self._bucket_bits[bucket] | extra
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
        atoms = key & self._atom_mask
        if self._python_words:
            words = facts >> 1
            empty = self.empty_bit if not facts & 1 else 0
            return atoms | empty | self._count_bits(self._word_atoms, words)
        return atoms | self._word_bits[facts.bit_count()]
