"""The compiled artifact: the only thing the compiler hands to the engine.

An artifact is plain JSON data (structured with cattrs, see ``convert.py``). Loading one never
executes code. The compiler (``hrouter.compiler``) produces these classes; the engine only reads
them, so this module is the contract between the two halves and must stay free of front-end
imports.

Expressions (``Expr``) are nested JSON lists, evaluated by ``engine.program``:

    ["true"]                          always true
    ["ref", NAME]                     an atom or a derived feature, by name
    ["not", E]
    ["and", E1, E2, ...]
    ["or", E1, E2, ...]
    ["cmp", SCORE, OP, NUMBER]        OP in "<", "<=", ">", ">=", "==", "!="

Atoms are the bits of the key the decision table is indexed by; their position in
``Artifact.atoms`` is their bit number. Lexical atoms are set by the RE2 pass (one atom per
lexical feature and scope), numeric atoms by prompt measures, builtin atoms by the request
(attachments, hints, conversation shape), request atoms by a field of the request body or the
route the previous user turn takes (``engine/request.py``), call atoms by a field of a proposed
tool call (``engine/tool_call.py``), which only `call` rules read.
"""

from __future__ import annotations

from typing import Any, Literal

from hrouter.engine.model import frozen

FORMAT_VERSION = 9

Expr = list[Any]

# "command", "path", "arguments", "tool_name": the texts of a proposed tool call (engine/tool_call.py)
Scope = Literal["message", "assistant", "history", "system", "command", "path", "arguments", "tool_name"]
AtomKind = Literal["lexical", "numeric", "builtin", "request", "call"]
Measure = Literal["chars", "tokens", "words"]
RuleKind = Literal["safety", "route", "default", "call"]

#: Builtin atoms every artifact may reference; the engine sets them from the request.
BUILTIN_ATOMS = (
    "empty_prompt",  # the latest user message has no non-whitespace text
    "attachment_image",  # an image part in the latest user message, or an `image` hint
    "attachment_pdf",
    "attachment_code",
    "history_image",  # an image part in an earlier user turn within the lookback
    "has_context",  # an assistant reply precedes the latest user message
    "latency_sensitive",  # the latency_sensitive hint
    # The request's shape and the assistant's last turn (engine/conversation.py reads them).
    "has_tools",  # the request offers the model at least one tool
    "context_image",  # an image part anywhere in the conversation, any role, any turn
    "assistant_code",  # the assistant's last reply holds a fenced code block
    "assistant_image",  # the assistant's last turn produced an image (an image part or ![..](..))
    "assistant_question",  # the assistant's last reply ends by asking a question
    "assistant_tool_call",  # the assistant's last turn called a tool
    "assistant_call_pending",  # the assistant's last message is a tool call (its results may follow)
    # Set only while a clause of a system, developer or tool message is judged for safety: such a
    # text describes the agent's tools and reports what ran, so rules may read it as a statement.
    "other_text",
)

#: The only switches that may let a prompt past a safety rule.
OVERRIDE_SWITCHES = (
    "allow_destructive_actions",
    "allow_send_actions",
    "allow_purchase_actions",
    "allow_high_impact_external_actions",
    "allow_ambiguous_high_impact",
)

SCORE_NAMES = ("complexity", "risk", "confidence")

#: The lexical scopes over a proposed tool call's texts, which only `call` rules read
#: (``engine/tool_call.py``): the shell command, the file path, every argument, the tool's name.
CALL_SCOPES = ("command", "path", "arguments", "tool_name")


@frozen
class Location:
    file: str  # path relative to the rules root, e.g. "safety.rules"
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@frozen
class SourceFile:
    path: str  # relative to the rules root
    sha256: str


@frozen
class TokenItem:
    """A listed word or phrase as the token scan reads it (``engine/token_scan.py``): its runs of
    word characters, in order, and what must stand between, before and after them.

    ``seps[i]`` is what separates ``words[i]`` and ``words[i + 1]``: ``(head, gap, tail)`` is the
    text ``head``, then (if ``gap``) one or more spaces or hyphens, then ``tail``; the whole run of
    non-word characters between the two words must be exactly that. ``lead``/``trail`` are
    punctuation the item starts or ends with (``.env``, ``c++``), which must end the run before
    its first word / start the run after its last. ``prefix``: the last word may continue."""

    words: tuple[str, ...]
    seps: tuple[tuple[str, bool, str], ...] = ()
    lead: str = ""
    trail: str = ""
    prefix: bool = False


@frozen
class TokenForm:
    """A word-based pattern in token terms: ``words`` (any item of ``a`` occurs), ``near`` (an
    item of ``a`` and one of ``b`` with at most ``distance - 1`` words between; ``ordered``: ``a``
    first) or ``next_not`` (an item of ``a`` followed, across white space only, by a word that is
    none of ``b``). It means exactly what the pattern's regex means on normalised text without
    ASCII control characters; the engine reads other text with the regex."""

    kind: Literal["words", "near", "next_not"]
    a: tuple[TokenItem, ...]
    b: tuple[TokenItem, ...] = ()
    distance: int = 0
    ordered: bool = False


@frozen
class Pattern:
    """One lexical pattern; a match sets the atom of ``feature`` in the scanned scope.

    ``literals`` are what the compiler proved the pattern cannot match without: clauses of
    plain strings, and every text the pattern matches contains (ignoring case) one string of
    each clause. The engine finds the literals of all patterns in one pass and runs a
    pattern's own RE2 only where its clauses hold. No clauses: the pattern is always run."""

    regex: str  # RE2 syntax, matched against normalised (lower-cased) text
    feature: str  # the lexical feature this pattern belongs to
    loc: Location
    literals: tuple[tuple[str, ...], ...] = ()
    tokens: TokenForm | None = None  # the same pattern for the token scan, when it has one


@frozen
class Atom:
    name: str  # "destructive_verb" (message scope), "assistant.destructive_verb", "history.x", builtin name
    kind: AtomKind
    loc: Location | None = None
    feature: str | None = None  # lexical: the feature whose patterns set this atom
    scope: Scope = "message"
    measure: Measure | None = None  # numeric only
    op: str | None = None  # numeric only: "<", "<=", ">", ">=", "==", "!="
    value: int | None = None  # numeric only; request: the threshold of a measure field
    # request only: the field ("previous", "tool", "tool_choice", "reasoning", "model",
    # "context_tokens") and the value it is tested for (a target, a tool or model name, ...);
    # call only: the field ("call", "mcp_server", "mcp_tool", "path_in") and its value
    field: str | None = None
    key: str | None = None


@frozen
class Derived:
    name: str
    expr: Expr
    loc: Location


@frozen
class ScoreTerm:
    kind: Literal["add", "floor", "cap"]
    value: int  # weight for "add" (may be negative), bound for "floor"/"cap"
    when: Expr
    reason: str
    loc: Location


@frozen
class Score:
    """value = clamp(base + saturate(sum of positive weights) + sum of negative weights), then floors, then caps."""

    name: str
    base: int
    saturation: int  # 0: no saturation (plain sum); k > 0: 100 * s / (s + k)
    terms: tuple[ScoreTerm, ...]
    loc: Location


@frozen
class Flag:
    name: str  # e.g. "requires_tools"
    expr: Expr
    loc: Location


@frozen
class Rule:
    id: str
    kind: RuleKind
    when: Expr  # ["true"] for the default rule
    target: str  # call rules: the decision, allow, ask or deny
    reason: str
    loc: Location
    override: str | None = None  # safety rules: the catalog switch that disables this rule


@frozen
class Turn:
    role: Literal["user", "assistant"]
    text: str
    attachments: tuple[str, ...] = ()


@frozen
class Expect:
    prompt: str
    target: str
    loc: Location
    negated: bool = False  # `-> not TARGET`
    attachments: tuple[str, ...] = ()
    context: tuple[Turn, ...] = ()  # earlier turns, oldest first; the prompt is the latest user turn


@frozen
class CallExpect:
    """`expect call`: a proposed tool call and the call rules' answer (``none``: no rule held)."""

    tool: str
    arguments: str  # the tool_input, as a JSON object
    decision: str  # allow, ask, deny or none
    loc: Location
    cwd: str = ""
    negated: bool = False

    @property
    def prompt(self) -> str:
        """How a failure report names it (beside a message expect's prompt)."""
        return f"call {self.tool} {self.arguments}" + (f" in {self.cwd}" if self.cwd else "")


@frozen
class Artifact:
    format_version: int
    source_hash: str  # sha256 over the sources, in load order
    sources: tuple[SourceFile, ...]
    lookback: int  # earlier user turns that form the "history" scope
    targets: tuple[str, ...]  # every route target the rules may name
    patterns: tuple[Pattern, ...]
    atoms: tuple[Atom, ...]
    derived: tuple[Derived, ...]  # topologically sorted: each refers only to atoms and earlier entries
    scores: tuple[Score, ...]
    flags: tuple[Flag, ...]
    rules: tuple[Rule, ...]  # safety rules first, then routes in source order, the default last
    expects: tuple[Expect, ...] = ()
    compiler_version: str = ""
    clause_safety: bool = False  # `set clause_safety = 1`: safety rules also judge each clause
    clause_frame: str = ""  # `set clause_frame = NAME`: a sentence with it is not split at commas
    clause_whole: str = ""  # `set clause_whole = NAME`: a sentence with it is not split at all
    # `words(...; typos)`: (misspelling, word), sorted; the scan reads each as its word (engine/spelling.py)
    spellings: tuple[tuple[str, str], ...] = ()
    # `call` rules, in source order: they judge a proposed tool call (engine/tool_call.py), never a message
    call_rules: tuple[Rule, ...] = ()
    call_expects: tuple[CallExpect, ...] = ()
