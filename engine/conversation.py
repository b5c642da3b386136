"""What gets scanned: the latest user message and, when the rules ask for it, its context.

Input is either a prompt string or a list of OpenAI-style chat messages. System and tool
messages never influence routing (a system prompt is the agent's, not the user's request), but
a risky instruction carried in one is judged like the user's (``safety_texts``), and none of
them can approve anything. The assistant's last turn is read from its text and from its tool
calls (function name and arguments), so an approval of a proposed ``delete_branch`` call is an
approval of a deletion.
Malformed input never raises: whatever cannot be read counts as empty text, and an empty latest
message fails closed through the ``empty_prompt`` builtin.

A whole request body (a Mapping with ``messages``) is read the same way, and its other fields
(tools, tool_choice, reasoning parameters, model) become its ``RequestShape``
(engine/request.py). The conversation also keeps, for follow-up features, the shape of the
assistant's last turn (``marks``) and the request up to the previous user turn (``earlier``),
which the decider routes to learn the route a follow-up may inherit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


from hrouter.engine.model import frozen
from hrouter.engine.request import NO_REQUEST, RequestShape, read_shape

_IMAGE_PART_TYPES = frozenset({"image_url", "input_image", "image"})
_TEXT_PART_TYPES = frozenset({"text", "input_text"})
#: The content-part types read as text and as images; the event log keeps exactly these.
TEXT_PART_TYPES, IMAGE_PART_TYPES = _TEXT_PART_TYPES, _IMAGE_PART_TYPES


@frozen
class Conversation:
    message: str  # the latest user message's text
    assistant: str = ""  # the assistant's last reply before it
    history: tuple[str, ...] = ()  # earlier user turns within the lookback, oldest first
    attachments: tuple[str, ...] = ()  # "image" when the latest user message has an image part
    history_image: bool = False  # an image part in an earlier user turn within the lookback
    has_context: bool = False  # an assistant reply precedes the latest user message
    # Texts the safety rules judge clause by clause like the message: system, developer and
    # tool messages (with the `other_text` atom set), and the message's text parts joined
    # without a separator when it has several ("del" + "ete all files").
    safety_texts: tuple[str, ...] = ()
    parts_view: str = ""
    system: str = ""  # the system and developer messages' text, for the `system` scope
    shape: RequestShape = NO_REQUEST  # the request body's fields other than its messages
    # Builtin atoms the conversation's shape sets: has_tools, context_image and the
    # assistant_* marks of the assistant's last turn (engine/artifact.py lists them).
    marks: frozenset[str] = frozenset()
    context_tokens: int = 0  # estimated tokens of every message, ceil(chars / 4)
    # The request up to and including the previous user turn (a message list, or a body with
    # its messages cut there); None when the latest user message is the first.
    earlier: object = None


EMPTY = Conversation(message="")


def extract(prompt: object, lookback: int) -> Conversation:
    if isinstance(prompt, str):
        return Conversation(message=prompt)
    try:
        if isinstance(prompt, Mapping):
            messages = prompt.get("messages")
            if isinstance(messages, Sequence) and not isinstance(messages, (str, bytes, bytearray)):
                return _from_messages(messages, lookback, prompt)
            return EMPTY
        if isinstance(prompt, Sequence) and not isinstance(prompt, (bytes, bytearray)):
            return _from_messages(prompt, lookback)
    except Exception:  # a hostile Sequence or Mapping subclass: fail closed, never raise
        return EMPTY
    return EMPTY


_INSTRUCTING_ROLES = frozenset({"system", "developer", "tool", "function"})


def _from_messages(messages: Sequence[object], lookback: int, body: Mapping | None = None) -> Conversation:
    kept = [m for m in messages if isinstance(m, Mapping)]
    turns = [(m.get("role"), _content_of(m)) for m in kept]
    latest = None
    for i in range(len(turns) - 1, -1, -1):
        if turns[i][0] == "user":
            latest = i
            break
    if latest is None:
        return EMPTY
    text, images = _read_content(turns[latest][1])
    assistant = whole_reply = ""
    has_context = False
    history: list[str] = []
    history_image = False
    for role, content in reversed(turns[:latest]):
        if role == "assistant" and not has_context:
            reply, _ = _read_content(content)
            if reply.strip():
                whole_reply, has_context = reply, True
                assistant = _chosen_option(reply, text)
        elif role == "user" and len(history) < lookback:
            earlier, earlier_images = _read_content(content)
            history.append(earlier)
            history_image = history_image or earlier_images
    history.reverse()
    safety_texts = []
    for role, content in turns:
        if role in _INSTRUCTING_ROLES:
            instruction, _ = _read_content(content)
            if instruction.strip():
                safety_texts.append(instruction)
    parts = _text_parts(turns[latest][1])
    parts_view = "".join(parts) if len(parts) > 1 else ""
    system = [_read_content(c)[0] for r, c in turns if r in ("system", "developer")]
    if body is not None and body.get("system") is not None:  # Anthropic's top-level system
        system.insert(0, _read_content(body.get("system"))[0])
    previous = next((i for i in range(latest - 1, -1, -1) if turns[i][0] == "user"), None)
    earlier = None
    if previous is not None:
        cut = kept[: previous + 1]
        earlier = cut if body is None else {**body, "messages": cut}
    return Conversation(
        message=text,
        assistant=assistant,
        history=tuple(history),
        attachments=("image",) if images else (),
        history_image=history_image,
        has_context=has_context,
        safety_texts=tuple(safety_texts),
        parts_view=parts_view,
        system="\n".join(t for t in system if t.strip()),
        shape=read_shape(body) if body is not None else NO_REQUEST,
        marks=_marks(kept, turns, latest, previous, whole_reply, body),
        context_tokens=-(-sum(len(_read_content(c)[0]) for _, c in turns) // 4),
        earlier=earlier,
    )


# How a question ends in the scripts of rules/languages.rules: "?", the full-width and Arabic
# marks, the Greek question mark (also typed as ";" after Greek), and the question endings of Japanese, Chinese and Korean that
# often go without one ("送信しますか", "发给客户吗", "보낼까요").
_QUESTION_ENDS = ("?", "？", "؟", "\u037e", "か", "吗", "嗎", "까요", "나요", "습니까", "ですか")


def _chosen_option(reply: str, answer: str) -> str:
    """The line of the assistant's reply that a bare pick names ("A", "option 2", "b)") when the
    reply lists labelled options ("A) dry run ...", "B) run it for real ..."), else the whole
    reply: what the user approved is that option, not the others."""
    pick = answer.strip().lower().removeprefix("option").strip(" .)!:")
    if len(pick) != 1 or not pick.isalnum():
        return reply
    for line in reply.splitlines():
        head = line.lstrip(" -*(").lower()
        if head[:1] == pick and head[1:2] in (")", ".", ":"):
            return line
    return reply


def _marks(kept: list[Mapping], turns: list, latest: int, previous: int | None, assistant: str,
           body: Mapping | None) -> frozenset[str]:
    """The builtin atoms the conversation's shape sets. The assistant's last turn is every
    assistant and tool message between the previous user turn and the latest one."""
    marks = set()
    tools = body.get("tools") if body is not None else None
    if isinstance(tools, Sequence) and not isinstance(tools, (str, bytes)) and tools:
        marks.add("has_tools")
    if any(_read_content(m.get("content"))[1] for m in kept):
        marks.add("context_image")
    start = 0 if previous is None else previous + 1
    last_assistant = None
    for m, (role, content) in zip(kept[start:latest], turns[start:latest]):
        if role == "assistant":
            last_assistant = m
        if role == "assistant" and m.get("tool_calls"):
            marks.add("assistant_tool_call")
        if role in ("assistant", "tool") and _read_content(m.get("content"))[1]:
            marks.add("assistant_image")
    if last_assistant is not None and last_assistant.get("tool_calls"):
        # no reply of its own came after the call: the call is what awaits the user
        marks.add("assistant_call_pending")
    if "```" in assistant:
        marks.add("assistant_code")
    if "![" in assistant and "](" in assistant:
        marks.add("assistant_image")
    last_line = next((line for line in reversed(assistant.splitlines()) if line.strip()), "")
    ending = last_line.rstrip().rstrip(")\"'*_")
    if ending.endswith(_QUESTION_ENDS) or ending.endswith(";") and any("\u0370" <= c <= "\u03ff" for c in ending):
        marks.add("assistant_question")
    return frozenset(marks)


def _content_of(message: Mapping) -> object:
    """A message's content; an assistant's tool calls join it as text, each call read as
    "name words arguments" ("delete_branch" -> "delete branch")."""
    content = message.get("content")
    calls = message.get("tool_calls")
    if not isinstance(calls, Sequence) or isinstance(calls, (str, bytes)) or not calls:
        return content
    texts = [content] if isinstance(content, str) and content else []
    if isinstance(content, Sequence) and not isinstance(content, (str, bytes)):
        texts.append(_read_content(content)[0])
    for call in calls:
        function = call.get("function") if isinstance(call, Mapping) else None
        if isinstance(function, Mapping):
            name, arguments = function.get("name"), function.get("arguments")
            texts.append(f"{_words_of(name)} {arguments if isinstance(arguments, str) else ''}")
    return "\n".join(texts)


def _words_of(name: object) -> str:
    """``deleteBranch``, ``delete_branch`` and ``delete-branch`` as "delete branch"."""
    if not isinstance(name, str):
        return ""
    out = []
    for i, ch in enumerate(name):
        if ch in "_-.":
            out.append(" ")
        elif ch.isupper() and i and not name[i - 1].isupper():
            out.append(" " + ch.lower())
        else:
            out.append(ch)
    return "".join(out)


def _text_parts(content: object) -> list[str]:
    if not isinstance(content, Sequence) or isinstance(content, (str, bytes, bytearray)):
        return []
    return [p.get("text") for p in content if isinstance(p, Mapping) and p.get("type") in _TEXT_PART_TYPES and isinstance(p.get("text"), str)]


def _read_content(content: object) -> tuple[str, bool]:
    """Return (text, has an image part) for a message's content of any accepted shape."""
    if isinstance(content, str):
        return content, False
    if not isinstance(content, Sequence) or isinstance(content, (bytes, bytearray)):
        return "", False
    texts: list[str] = []
    image = False
    for part in content:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, Mapping):
            kind = part.get("type")
            if kind in _TEXT_PART_TYPES:
                value = part.get("text")
                if isinstance(value, str):
                    texts.append(value)
            elif kind in _IMAGE_PART_TYPES:
                image = True
    return "\n".join(texts), image
