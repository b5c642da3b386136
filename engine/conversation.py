"""What gets scanned: the latest user message and, when the rules ask for it, its context.

Input is either a prompt string or a list of OpenAI-style chat messages. System and tool
messages never influence routing (a system prompt is the agent's, not the user's request).
Malformed input never raises: whatever cannot be read counts as empty text, and an empty latest
message fails closed through the ``empty_prompt`` builtin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


from hrouter.engine.model import frozen

_IMAGE_PART_TYPES = frozenset({"image_url", "input_image", "image"})
_TEXT_PART_TYPES = frozenset({"text", "input_text"})


@frozen
class Conversation:
    message: str  # the latest user message's text
    assistant: str = ""  # the assistant's last reply before it
    history: tuple[str, ...] = ()  # earlier user turns within the lookback, oldest first
    attachments: tuple[str, ...] = ()  # "image" when the latest user message has an image part
    history_image: bool = False  # an image part in an earlier user turn within the lookback
    has_context: bool = False  # an assistant reply precedes the latest user message


EMPTY = Conversation(message="")


def extract(prompt: object, lookback: int) -> Conversation:
    if isinstance(prompt, str):
        return Conversation(message=prompt)
    if isinstance(prompt, Sequence) and not isinstance(prompt, (bytes, bytearray)):
        try:
            return _from_messages(prompt, lookback)
        except Exception:  # a hostile Sequence or Mapping subclass: fail closed, never raise
            return EMPTY
    return EMPTY


def _from_messages(messages: Sequence[object], lookback: int) -> Conversation:
    turns = [(m.get("role"), m.get("content")) for m in messages if isinstance(m, Mapping)]
    latest = None
    for i in range(len(turns) - 1, -1, -1):
        if turns[i][0] == "user":
            latest = i
            break
    if latest is None:
        return EMPTY
    text, images = _read_content(turns[latest][1])
    assistant = ""
    has_context = False
    history: list[str] = []
    history_image = False
    for role, content in reversed(turns[:latest]):
        if role == "assistant" and not has_context:
            reply, _ = _read_content(content)
            if reply.strip():
                assistant, has_context = reply, True
        elif role == "user" and len(history) < lookback:
            earlier, earlier_images = _read_content(content)
            history.append(earlier)
            history_image = history_image or earlier_images
    history.reverse()
    return Conversation(
        message=text,
        assistant=assistant,
        history=tuple(history),
        attachments=("image",) if images else (),
        history_image=history_image,
        has_context=has_context,
    )


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
