"""The decider: an artifact made executable. Input -> feature bits -> memoised ``Outcome``.

This is the routing core without the engine catalog: the compiler's ``expect`` checks and
``hrouter test`` use it directly, and ``ModelRouter`` builds on the same bits and table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from hrouter.engine.artifact import Artifact, Expect
from hrouter.engine.automaton import Automaton
from hrouter.engine.normalize import normalize
from hrouter.engine.program import Outcome, Program
from hrouter.engine.table import DEFAULT_SIZE, BoundedTable

if TYPE_CHECKING:  # imported where used: a string prompt needs neither
    from hrouter.engine.conversation import Conversation
    from hrouter.engine.explanation import Explanation

_ATTACHMENT_ATOMS = {"image": "attachment_image", "pdf": "attachment_pdf", "code": "attachment_code"}


class Decider:
    def __init__(self, artifact: Artifact, overrides: Mapping[str, bool] | None = None, table_size: int = DEFAULT_SIZE):
        self.artifact = artifact
        self.automaton = Automaton(artifact)
        self.program = Program(artifact, overrides)
        self.table: BoundedTable[Outcome] = BoundedTable(table_size)
        self.lookback = max(0, artifact.lookback)
        b = self.automaton.builtin
        self._attachment_bits = {kind: b[atom] for kind, atom in _ATTACHMENT_ATOMS.items()}
        self._latency_bit = b["latency_sensitive"]
        self._context_bit = b["has_context"]
        self._history_image_bit = b["history_image"]

    @classmethod
    def from_artifact(cls, artifact: Artifact, overrides: Mapping[str, bool] | None = None) -> "Decider":
        return cls(artifact, overrides)

    # -- bits ---------------------------------------------------------------------------------

    def conversation(self, prompt: object) -> Conversation:
        from hrouter.engine.conversation import extract

        return extract(prompt, self.lookback)

    def request_bits(self, attachments: Iterable[str] = (), latency_sensitive: bool = False) -> int:
        """Builtin bits set by the request rather than by the text."""
        bits = self._latency_bit if latency_sensitive else 0
        for kind in attachments:
            bits |= self._attachment_bits.get(kind, 0)
        return bits

    def conversation_bits(self, conv: Conversation) -> int:
        automaton = self.automaton
        bits = automaton.message_bits(normalize(conv.message))
        if conv.assistant and automaton.scans_assistant:
            bits |= automaton.scan(normalize(conv.assistant), automaton.assistant_masks)
        if conv.history and automaton.scans_history:
            bits |= automaton.scan(normalize("\n".join(conv.history)), automaton.history_masks)
        if conv.attachments:
            bits |= self.request_bits(conv.attachments)
        if conv.history_image:
            bits |= self._history_image_bit
        if conv.has_context:
            bits |= self._context_bit
        return bits

    def bits(self, prompt: object, attachments: Iterable[str] = (), latency_sensitive: bool = False) -> int:
        if type(prompt) is str:
            text = prompt.lower() if prompt.isascii() else normalize(prompt)
            bits = self.automaton.message_bits(text)
        else:
            bits = self.conversation_bits(self.conversation(prompt))
        return bits | self.request_bits(attachments, latency_sensitive)

    # -- decisions ----------------------------------------------------------------------------

    def outcome(self, bits: int) -> Outcome:
        found = self.table.get(bits)
        if found is None:
            found = self.table.put(bits, self.program.run(self.automaton.atom_bits(bits)))
        return found

    def decide(self, prompt: object, attachments: Iterable[str] = (), latency_sensitive: bool = False) -> Outcome:
        return self.outcome(self.bits(prompt, attachments, latency_sensitive))

    def check_expect(self, expect: Expect) -> tuple[bool, Outcome]:
        outcome = self.decide(expect_messages(expect), expect.attachments)
        return (outcome.target == expect.target) != expect.negated, outcome

    def explain(self, prompt: object, attachments: Iterable[str] = (), latency_sensitive: bool = False) -> Explanation:
        from hrouter.engine.explanation import Explanation, PatternHit, term_row

        conv = self.conversation(prompt)
        texts = [("message", conv.message)]
        if conv.assistant and self.automaton.scans_assistant:
            texts.append(("assistant", conv.assistant))
        if conv.history and self.automaton.scans_history:
            texts.append(("history", "\n".join(conv.history)))
        masks = {
            "message": self.automaton.message_masks,
            "assistant": self.automaton.assistant_masks,
            "history": self.automaton.history_masks,
        }
        hits: list[PatternHit] = []
        for scope, text in texts:
            for index in sorted(self.automaton.match(normalize(text))):
                if masks[scope][index]:  # a pattern only counts where its feature is tested
                    p = self.automaton.patterns[index]
                    hits.append(PatternHit(p.feature, scope, p.regex, str(p.loc)))
        bits = self.conversation_bits(conv) | self.request_bits(attachments, latency_sensitive)
        outcome = self.outcome(bits)
        atom_names = {a.name for a in self.artifact.atoms}
        overridden = []
        expanded = self.program.expand(self.automaton.atom_bits(bits))
        for rule, cond in self.program.rules:
            if rule.kind == "safety" and rule.override and self.program.overrides[rule.override]:
                if cond(expanded, dict(outcome.scores)):
                    overridden.append((rule.id, str(rule.loc)))
        return Explanation(
            outcome=outcome,
            patterns=tuple(hits),
            atoms=tuple(n for n in outcome.features if n in atom_names),
            derived=tuple(n for n in outcome.features if n not in atom_names),
            terms=tuple(term_row(score, term) for score, term in outcome.applied_terms),
            overridden=tuple(overridden),
        )


def expect_messages(expect: Expect) -> list[dict]:
    """The chat an ``expect`` line describes: its ``after`` turns, then the prompt."""
    messages: list[dict] = []
    for turn in expect.context:
        if turn.role == "user" and "image" in turn.attachments:
            content: object = [{"type": "text", "text": turn.text}, {"type": "image_url", "image_url": {"url": "data:,"}}]
        else:
            content = turn.text
        messages.append({"role": turn.role, "content": content})
    messages.append({"role": "user", "content": expect.prompt})
    return messages
