import pytest

from hrouter.engine.conversation import EMPTY, extract

IMG = {"type": "image_url", "image_url": {"url": "data:,"}}


def test_a_string_is_the_latest_message():
    conv = extract("rewrite this", 3)
    assert conv.message == "rewrite this" and not conv.has_context and conv.history == ()


def test_latest_user_message_assistant_reply_and_history():
    messages = [
        {"role": "system", "content": "you are helpful; delete nothing"},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "old reply"},
        {"role": "user", "content": [{"type": "text", "text": "second"}, IMG]},
        {"role": "assistant", "content": "I can delete the backups. Proceed?"},
        {"role": "tool", "content": "tool output mentioning drop table"},
        {"role": "user", "content": [{"type": "text", "text": "yes"}, {"type": "text", "text": "do it"}]},
    ]
    conv = extract(messages, 3)
    assert conv.message == "yes\ndo it"
    assert conv.assistant == "I can delete the backups. Proceed?"
    assert conv.history == ("first", "second")
    assert conv.history_image is True
    assert conv.attachments == ()
    assert conv.has_context is True


def test_lookback_limits_history():
    messages = [{"role": "user", "content": [{"type": "text", "text": "old"}, IMG]}]
    messages += [{"role": "user", "content": f"turn {i}"} for i in range(3)]
    conv = extract(messages, 2)
    assert conv.history == ("turn 0", "turn 1")
    assert conv.history_image is False  # the image is beyond the lookback
    assert conv.message == "turn 2"


def test_image_in_latest_message_is_an_attachment():
    conv = extract([{"role": "user", "content": [{"type": "input_image", "image_url": "x"}, {"type": "text", "text": "what is this"}]}], 3)
    assert conv.attachments == ("image",) and conv.message == "what is this"


def test_trailing_tool_message_keeps_the_last_user_turn():
    messages = [{"role": "user", "content": "fix the repo"}, {"role": "assistant", "content": None}, {"role": "tool", "content": "ok"}]
    conv = extract(messages, 3)
    assert conv.message == "fix the repo" and conv.has_context is False


@pytest.mark.parametrize(
    "bad",
    [None, 42, b"bytes", {"role": "user"}, [], [1, 2, "x"], [{"role": "assistant", "content": "hi"}],
     [{"role": "user", "content": 5}], [{"role": "user", "content": [None, 3, {"type": "text", "text": 9}]}],
     [{"role": "user", "content": [{"type": ["unhashable"]}]}]],
)
def test_malformed_input_is_empty_and_never_raises(bad):
    conv = extract(bad, 3)
    assert conv.message.strip() == ""
    if not isinstance(bad, list) or not any(isinstance(m, dict) and m.get("role") == "user" for m in bad):
        assert conv == EMPTY
