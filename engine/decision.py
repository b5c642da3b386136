"""The decider: an artifact made executable. Input -> feature bits -> memoised ``Outcome``.

This is the routing core without the engine catalog: the compiler's ``expect`` checks and
``hrouter test`` use it directly, and ``ModelRouter`` builds on the same bits and table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from hrouter.engine.artifact import Artifact, Expect
from hrouter.engine.automaton import Automaton
from hrouter.engine.clauses import clauses
from hrouter.engine.normalize import normalize
from hrouter.engine.program import COMPARE, Outcome, Program
from hrouter.engine.table import DEFAULT_SIZE, BoundedTable

if TYPE_CHECKING:  # imported where used: a string prompt needs neither
    from hrouter.engine.conversation import Conversation
    from hrouter.engine.explanation import Explanation
    from hrouter.engine.tool_call import CallVerdict

_ATTACHMENT_ATOMS = {"image": "attachment_image", "pdf": "attachment_pdf", "code": "attachment_code"}
#: builtins a conversation's shape sets (Conversation.marks)
_MARK_ATOMS = ("has_tools", "context_image", "assistant_code", "assistant_image", "assistant_question",
               "assistant_tool_call", "assistant_call_pending")


class Decider:
    def __init__(self, artifact: Artifact, overrides: Mapping[str, bool] | None = None, table_size: int = DEFAULT_SIZE):
        self.artifact = artifact
        self.automaton = Automaton(artifact)
        self.program = Program(artifact, overrides)
        self.table: BoundedTable[Outcome] = BoundedTable(table_size)
        # Per clause only two things are asked, each memoised on the clause's bits: which safety
        # rule holds (clause_verdict), and which frame covers a sentence (the split).
        self._verdicts: BoundedTable[int] = BoundedTable(table_size)
        self._expansions: BoundedTable[int] = BoundedTable(table_size)
        self.lookback = max(0, artifact.lookback)
        b = self.automaton.builtin
        self._attachment_bits = {kind: b[atom] for kind, atom in _ATTACHMENT_ATOMS.items()}
        self._latency_bit = b["latency_sensitive"]
        self._context_bit = b["has_context"]
        self._history_image_bit = b["history_image"]
        # Which safety rule a clause of the message satisfied (0: none), above every other bit.
        self.clause_safety = artifact.clause_safety
        self.clause_shift = self.automaton.clause_shift
        self._below_clause = (1 << self.clause_shift) - 1
        self._safety_index = self.program.safety_index
        names = dict(self.program.names)
        self._frame_bit = names.get(artifact.clause_frame, 0)
        self._whole_bit = names.get(artifact.clause_whole, 0)
        self._mark_bits = {name: b[name] for name in _MARK_ATOMS}
        self._request_atoms = tuple(
            (self.automaton.bit[a.name], a.field, a.key, a.op, a.value) for a in artifact.atoms if a.kind == "request"
        )
        self._previous_bits = {a.key: self.automaton.bit[a.name] for a in artifact.atoms
                               if a.kind == "request" and a.field == "previous"}
        from hrouter.engine.request import previous_refs

        self._previous: BoundedTable[Outcome] = BoundedTable(table_size)

        self._call_judge = None  # built by judge_call, which only the tool-call hook asks
        self._inheriting = {rule: sum(self.automaton.bit[n] for n in refs)
                            for rule, refs in previous_refs(artifact).items()}

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

    def conversation_bits(self, conv: Conversation, depth: int = 0) -> int:
        automaton = self.automaton
        context = self.context_bits(conv, depth)
        bits = automaton.message_bits(normalize(conv.message)) | context
        if self.clause_safety:
            bits |= self.clause_verdict(conv.message, context, conv.safety_texts, conv.parts_view)
        return bits

    def context_bits(self, conv: Conversation, depth: int = 0) -> int:
        """Bits of everything but the latest message's own text: scoped scans, attachments,
        the conversation's and the request's shape, and the route of the previous user turn.
        A clause is judged with these, as if it were the message."""
        automaton = self.automaton
        bits = 0
        if conv.system and automaton.scans_system:
            bits |= automaton.scan(normalize(conv.system), automaton.system_masks)
        for mark in conv.marks:
            bits |= self._mark_bits[mark]
        if self._request_atoms:
            bits |= self._request_bits(conv, depth)
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

    def _request_bits(self, conv: Conversation, depth: int) -> int:
        from hrouter.engine.request import holds

        bits = 0
        for bit, field, key, op, value in self._request_atoms:
            if field == "context_tokens":
                if COMPARE[op](conv.context_tokens, value):
                    bits |= bit
            elif field != "previous" and holds(conv.shape, field, key):
                bits |= bit
        previous = self.previous_outcome(conv, depth)
        if previous is not None:
            bits |= self._previous_bits.get(previous.target, 0)
        return bits

    def previous_outcome(self, conv: Conversation, depth: int = 0) -> Outcome | None:
        """How the previous user turn is routed: the conversation up to it, through the same
        automaton and program (its own previous turn included, up to `lookback` turns back).
        None when there is none, the rules never ask, or the lookback is used up."""
        if not self._previous_bits or conv.earlier is None or depth >= self.lookback:
            return None
        # An agent re-sends the whole conversation with every turn: the earlier turns are
        # routed once, memoised on their raw content (far cheaper than scanning and splitting
        # them into clauses again).
        key = (depth, _request_key(conv.earlier))
        found = self._previous.get(key)
        if found is None:
            earlier = self.conversation(conv.earlier)
            found = self._previous.put(key, self.outcome(self.conversation_bits(earlier, depth + 1)))
        return found

    def inherited(self, outcome: Outcome) -> str | None:
        """The target the winning rule inherited from the previous user turn, if it read one."""
        mask = self._inheriting.get(outcome.rule_id, 0) & outcome.bits
        if not mask:
            return None
        return next((t for t, bit in self._previous_bits.items() if bit & mask), None)

    def clause_verdict(self, message: str, context: int = 0, extra: tuple[str, ...] = (),
                       parts_view: str = "") -> int:
        """The clause field of the bits: 1 + the position of the first safety rule (in rule
        order) that holds on some clause of ``message``, of its letters view, of its joined
        parts, or of ``extra`` texts (system, developer and tool messages, judged with the
        `other_text` atom set)."""
        best = 0
        other = self.automaton.builtin["other_text"]
        framed = self._framed(context) if self._frame_bit or self._whole_bit else None
        framed_other = framed
        if extra and framed is not None and other:  # only other roles' texts read `other_text`
            framed_other = self._framed(context | other)
        for text, is_other in _judged_texts(message, extra, parts_view):
            marks = context | other if is_other else context
            for clause in clauses(text, framed_other if is_other else framed) or ((text,) if text is not message else ()):
                bits = self.automaton.message_bits(normalize(clause))
                if bits & self.automaton.empty_bit or not bits:
                    continue
                index = self._clause_index(bits | marks)
                if index and (not best or index < best):
                    best = index
                    if best == 1:
                        break
        return best << self.clause_shift

    def _framed(self, context: int):
        frame_bit, whole_bit = self._frame_bit, self._whole_bit

        def framed(sentence: str) -> int:
            expanded = self._expanded(self.automaton.message_bits(normalize(sentence)) | context)
            return 2 if expanded & whole_bit else 1 if expanded & frame_bit else 0

        return framed

    def _expanded(self, bits: int) -> int:
        found = self._expansions.get(bits)
        if found is None:
            found = self._expansions.put(bits, self.program.expand(self.automaton.atom_bits(bits & self._below_clause)))
        return found

    def _clause_index(self, bits: int) -> int:
        """The position of the safety rule that decides a clause with these bits (0: none)."""
        found = self._verdicts.get(bits)
        if found is None:
            found = self.program.first_safety(self._expanded(bits))
            if found is None:  # a safety condition reads a score: the full program decides
                found = self._safety_index.get(self.outcome(bits).rule_id, 0)
            self._verdicts.put(bits, found)
        return found

    def bits(self, prompt: object, attachments: Iterable[str] = (), latency_sensitive: bool = False) -> int:
        if type(prompt) is str:
            text = prompt.lower() if prompt.isascii() else normalize(prompt)
            bits = self.automaton.message_bits(text)
            if self.clause_safety:
                bits |= self.clause_verdict(prompt)
        else:
            bits = self.conversation_bits(self.conversation(prompt))
        return bits | self.request_bits(attachments, latency_sensitive)

    # -- decisions ----------------------------------------------------------------------------

    def outcome(self, bits: int) -> Outcome:
        found = self.table.get(bits)
        if found is None:
            atoms = self.automaton.atom_bits(bits & self._below_clause)
            found = self.table.put(bits, self.program.run(atoms, bits >> self.clause_shift))
        return found

    def target(self, bits: int) -> tuple[str, bool]:
        """(target, requires_tools) of ``outcome(bits)``, without building the outcome."""
        return self.program.target(self.automaton.atom_bits(bits & self._below_clause), bits >> self.clause_shift)

    def decide(self, prompt: object, attachments: Iterable[str] = (), latency_sensitive: bool = False) -> Outcome:
        return self.outcome(self.bits(prompt, attachments, latency_sensitive))

    def judge_call(self, tool_name: object, tool_input: object, cwd: object = "") -> CallVerdict:
        """The `call` rules' verdict on a proposed tool call (engine/tool_call.py), over this
        decider's automaton and program; the judge is built on the first call."""
        from hrouter.engine.tool_call import CallJudge, read_call

        if self._call_judge is None:
            self._call_judge = CallJudge(self.artifact, self.automaton, self.program)
        return self._call_judge.judge(read_call(tool_name, tool_input, cwd))

    def check_expect(self, expect: Expect) -> tuple[bool, Outcome]:
        outcome = self.decide(expect_messages(expect), expect.attachments)
        return (outcome.target == expect.target) != expect.negated, outcome

    def explain(self, prompt: object, attachments: Iterable[str] = (), latency_sensitive: bool = False) -> Explanation:
        from hrouter.engine.explanation import Explanation, PatternHit, term_row

        conv = self.conversation(prompt)
        texts = [("message", conv.message)]
        if conv.system and self.automaton.scans_system:
            texts.append(("system", conv.system))
        if conv.assistant and self.automaton.scans_assistant:
            texts.append(("assistant", conv.assistant))
        if conv.history and self.automaton.scans_history:
            texts.append(("history", "\n".join(conv.history)))
        masks = {
            "message": self.automaton.message_masks,
            "assistant": self.automaton.assistant_masks,
            "history": self.automaton.history_masks,
            "system": self.automaton.system_masks,
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
        expanded = self.program.expand(self.automaton.atom_bits(bits & self._below_clause))
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
            previous=self._previous_turns(conv),
            inherited_from=self.inherited(outcome),
        )

    def _previous_turns(self, conv: Conversation) -> tuple:
        """The chain of earlier turns `previous.TARGET` reads, each as routing saw it."""
        from hrouter.engine.explanation import PreviousTurn

        chain = []
        depth = 0
        while (found := self.previous_outcome(conv, depth)) is not None:
            earlier = conv.earlier
            messages = earlier.get("messages") if isinstance(earlier, Mapping) else earlier
            turn = sum(1 for m in messages if isinstance(m, Mapping) and m.get("role") == "user")
            chain.append(PreviousTurn(turn, found.target, found.rule_id, found.rule_loc, self.inherited(found)))
            conv, depth = self.conversation(earlier), depth + 1
        return tuple(chain)


def _request_key(request: object) -> tuple:
    """A memo key for a message list or request body: every message's role, content and tool
    calls, and the body's other fields, as text."""
    body = request if isinstance(request, Mapping) else None
    messages = body.get("messages") if body is not None else request
    key = tuple((m.get("role"), str(m.get("content")), str(m.get("tool_calls"))) if isinstance(m, Mapping) else str(m)
                for m in messages)
    if body is None:
        return key
    return key + tuple(sorted((k, str(v)) for k, v in body.items() if k != "messages"))


def _judged_texts(message: str, extra: tuple[str, ...], parts_view: str = ""):
    """(text, is another role's) for the message, its joined parts, their letters views, and
    the extra texts (with theirs)."""
    from hrouter.engine.views import letters_view

    own = (message, parts_view) if parts_view else (message,)
    for i, text in enumerate((*own, *extra)):
        is_other = i >= len(own)
        yield text, is_other
        view = letters_view(text)
        if view is not None:
            yield view, is_other


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
