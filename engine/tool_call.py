"""The tool-call scope: a proposed tool call (a shell command, a file write, an MCP tool) as the
rules see it, and the `call` rules that judge it.

An agent's risk runs in its tool calls, which are not messages: they have a tool name, a
command, a file path and arguments, and what a rule says about them is allow, ask or deny, not
a route. So a `call` rule reads fields and texts of the call only, never the conversation
(the compiler rejects a message feature in a `call` rule and a call field elsewhere):

- fields, tested as ``FIELD.VALUE`` like the request's: ``call.NAME`` (the tool called, named as
  ``field_name`` names tools: ``Bash`` -> ``call.bash``, ``MultiEdit`` -> ``call.multi_edit``;
  ``call.mcp`` holds for every MCP tool), ``mcp_server.NAME`` and ``mcp_tool.NAME`` (the two halves
  of ``mcp__server__tool``), ``path_in.project`` / ``path_in.outside_project`` (where the call's
  file path resolves, against the hook's ``cwd``);
- texts, scanned by the same automaton as a scope prefix on a lexical feature: ``command.X`` (a
  shell command), ``path.X`` (the file path), ``arguments.X`` (every argument's text) and
  ``tool_name.X`` (the tool's name in words: ``mcp__slack__send_message`` reads "mcp slack send
  message").

Every `call` rule that holds is reported; the strictest decision wins (deny over ask over
allow), so a broad `allow` can never hide a later `ask`: the same way Claude Code combines
several hooks' answers.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from hrouter.engine.artifact import CALL_SCOPES
from hrouter.engine.model import frozen
from hrouter.engine.normalize import normalize
from hrouter.engine.program import compile_expr
from hrouter.engine.request import field_name

#: field -> its values (None: any name)
CALL_FIELDS: dict[str, tuple[str, ...] | None] = {
    "call": None,  # the tool called; `call.mcp`: any MCP tool
    "mcp_server": None,
    "mcp_tool": None,
    "path_in": ("project", "outside_project"),
}
#: the answers a `call` rule gives, mildest first
DECISIONS = ("allow", "ask", "deny")
#: each string argument is read up to this many characters (a Write's whole file is data; its
#: head shows what it is), and at most this many values of a list or mapping
ARG_CHARS = 4000
_ARG_ITEMS = 50
#: the argument keys that name a file, in the order Claude Code's tools use them
_PATH_KEYS = ("file_path", "notebook_path", "path")


def _strings(value: Any, out: list[str], depth: int = 0) -> None:
    if depth > 8:
        return
    if isinstance(value, str):
        out.append(value[:ARG_CHARS])
    elif isinstance(value, Mapping):
        for v in list(value.values())[:_ARG_ITEMS]:
            _strings(v, out, depth + 1)
    elif isinstance(value, (list, tuple)):
        for v in value[:_ARG_ITEMS]:
            _strings(v, out, depth + 1)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out.append(str(value))


def place(path: str, cwd: str) -> str:
    """``project`` when ``path`` resolves inside ``cwd``, else ``outside_project``. A path
    under ``~`` and an absolute path with no ``cwd`` to compare are outside: a rule that asks
    for writes outside the project then asks, rather than guessing where home is."""
    path = path.replace("\\", "/")
    if path.startswith("~"):
        return "outside_project"
    cwd = cwd.replace("\\", "/").rstrip("/")
    if not posixpath.isabs(path):
        if not cwd:
            inside = not posixpath.normpath(path).startswith("..")
            return "project" if inside else "outside_project"
        path = posixpath.join(cwd, path)
    if not cwd:
        return "outside_project"
    path = posixpath.normpath(path)
    return "project" if path == cwd or path.startswith(cwd + "/") else "outside_project"


@frozen
class ToolCall:
    """What a `call` rule can read of one proposed call; built by ``read_call``."""

    name: str  # field_name of the tool ("bash", "mcp_slack_send_message")
    mcp: bool = False
    mcp_server: str = ""
    mcp_tool: str = ""
    path_place: str = ""  # "project", "outside_project", or "" without a file path
    command: str = ""
    path: str = ""
    arguments: str = ""
    tool_name: str = ""  # the name in words

    def text(self, scope: str) -> str:
        return getattr(self, scope) if scope in CALL_SCOPES else ""

    def holds(self, field: str, key: str) -> bool:
        if field == "call":
            return self.name == key or (key == "mcp" and self.mcp)
        if field == "mcp_server":
            return self.mcp and self.mcp_server == key
        if field == "mcp_tool":
            return self.mcp and self.mcp_tool == key
        if field == "path_in":
            return self.path_place == key
        return False


def read_call(tool_name: object, tool_input: object, cwd: object = "") -> ToolCall:
    """A Claude Code ``PreToolUse`` call (``tool_name``, ``tool_input``, ``cwd``) as the rules
    read it. What cannot be read is left empty; this never raises."""
    name = tool_name if isinstance(tool_name, str) else ""
    args = tool_input if isinstance(tool_input, Mapping) else {}
    cwd = cwd if isinstance(cwd, str) else ""
    server = tool = ""
    mcp = name.startswith("mcp__")
    if mcp:
        parts = name[len("mcp__"):].split("__", 1)
        server, tool = field_name(parts[0]), field_name(parts[1]) if len(parts) > 1 else ""
    command = args.get("command")
    path = next((args[k] for k in _PATH_KEYS if isinstance(args.get(k), str) and args[k]), "")
    values: list[str] = []
    _strings(args, values)
    return ToolCall(
        name=field_name(name),
        mcp=mcp,
        mcp_server=server,
        mcp_tool=tool,
        path_place=place(path, cwd) if path else "",
        command=command[:ARG_CHARS] if isinstance(command, str) else "",
        path=path[:ARG_CHARS],
        arguments="\n".join(values),
        tool_name=field_name(name).replace("_", " "),
    )


@frozen
class CallRuleHit:
    id: str
    decision: str
    reason: str
    loc: str


@frozen
class CallVerdict:
    """The strictest decision of the `call` rules that held (None: none held), and every hit."""

    decision: str | None
    hits: tuple[CallRuleHit, ...] = ()

    @property
    def deciding(self) -> tuple[CallRuleHit, ...]:
        """The hits that gave the decision (an `allow` beside an `ask` explains nothing)."""
        return tuple(h for h in self.hits if h.decision == self.decision)


class CallJudge:
    """The `call` rules of an artifact over the automaton and program a Decider already built:
    one scan per text the rules read, the derived features, then each rule's condition."""

    def __init__(self, artifact, automaton, program) -> None:
        self.automaton = automaton
        self.program = program
        bit_of = dict(program.names)
        self._fields = tuple((bit_of[a.name], a.field, a.key) for a in artifact.atoms if a.kind == "call")
        self._scans = tuple((scope, masks) for scope, masks in automaton.call_masks.items() if any(masks))
        self._rules = tuple((rule, compile_expr(rule.when, bit_of, frozenset())) for rule in artifact.call_rules)

    @property
    def has_rules(self) -> bool:
        return bool(self._rules)

    def bits(self, call: ToolCall) -> int:
        bits = 0
        for scope, masks in self._scans:
            text = call.text(scope)
            if text.strip():
                bits |= self.automaton.scan(normalize(text), masks)
        for bit, field, key in self._fields:
            if call.holds(field, key):
                bits |= bit
        return bits

    def judge(self, call: ToolCall) -> CallVerdict:
        expanded = self.program.expand(self.bits(call))
        hits = tuple(CallRuleHit(rule.id, rule.target, rule.reason, str(rule.loc))
                     for rule, cond in self._rules if cond(expanded, {}))
        if not hits:
            return CallVerdict(None)
        return CallVerdict(max((h.decision for h in hits), key=DECISIONS.index), hits)
