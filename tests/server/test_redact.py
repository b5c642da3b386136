import hashlib

import pytest

from hrouter.server import redact
from hrouter.server.redact import (
    CAPTURE_FULL,
    CAPTURE_OFF,
    CAPTURE_REDACTED,
    capture_mode,
    latest_user_text,
    preview,
    prompt_fields,
    replayable_input,
)

SECRETS = {
    "email": ("write to jane.doe+ops@example.co.uk today", "jane.doe+ops@example.co.uk"),
    "query": ("open https://api.example.com/v1/items?access=XYZZY42&page=3 now", "XYZZY42"),
    "url_credentials": ("clone https://bob:hunter2pass@git.example.com/r.git", "hunter2pass"),
    "openai_key": ("use sk-proj-Ab3dEf6hIj9kLmNoPqRs to call it", "sk-proj-Ab3dEf6hIj9kLmNoPqRs"),
    "github_token": ("token ghp_A1b2C3d4E5f6G7h8I9j0KLMN here", "ghp_A1b2C3d4E5f6G7h8I9j0KLMN"),
    "aws_key": ("aws AKIAIOSFODNN7EXAMPLE configured", "AKIAIOSFODNN7EXAMPLE"),
    "password_assignment": ("login with password=Tr0ub4dor&3 please", "Tr0ub4dor&3"),
    "json_secret": ('config {"client_secret": "shh-very-quiet"} ok', "shh-very-quiet"),
    "bearer": ("curl -H 'Authorization: Bearer abc.def-ghi' x", "abc.def-ghi"),
    "jwt": ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sIgNaTuRe1 fine", "eyJhbGciOiJIUzI1NiJ9"),
    "card_number": ("card 4111 1111 1111 1111 exp", "4111 1111 1111 1111"),
    "phone": ("call +1 415-555-0199 tomorrow", "415-555-0199"),
    "hex_token": ("id 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b", "9f86d081884c7d659a2feaa0c55ad015"),
    "private_key": ("key -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA"),
    "mixed_token": ("session Zx9QmW2vLp7RtY4uKs8N used", "Zx9QmW2vLp7RtY4uKs8N"),
}


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_redact_masks_each_kind_of_secret(name):
    text, secret = SECRETS[name]
    out = redact.redact(text)
    assert secret not in out
    assert "[" in out  # a visible mask marker replaced it
    # the words around the secret survive, so the preview stays useful
    assert text.split()[0] in out


def test_redact_keeps_ordinary_text_readable():
    text = "Refactor the parser in src/app.py for gpt4 and v2 of the API, 3 files"
    assert redact.redact(text) == text


def test_url_keeps_host_and_path_but_not_query():
    out = redact.redact("see https://docs.example.com/guide/intro?ref=mail#top")
    assert "https://docs.example.com/guide/intro" in out
    assert "ref=mail" not in out and "#top" not in out


def test_preview_is_short_single_line_and_redacted():
    text = "line one\nmail me: a@b.io\n" + "word " * 200
    out = preview(text)
    assert len(out) <= redact.PREVIEW_CHARS
    assert "\n" not in out
    assert "a@b.io" not in out
    assert out.endswith("…")


def test_a_secret_cut_by_the_preview_end_leaves_no_prefix():
    text = "x" * (redact.PREVIEW_CHARS - 10) + " sk-ABCDEFGHIJKLMNOPQRSTUVWX"
    assert "sk-ABC" not in preview(text)


@pytest.mark.parametrize(
    ("configured", "env", "expected"),
    [
        ("off", {}, CAPTURE_OFF),
        ("full", {}, CAPTURE_FULL),
        ("redacted_preview", {}, CAPTURE_REDACTED),
        (None, {}, CAPTURE_REDACTED),
        ("bogus", {}, CAPTURE_REDACTED),
        ("off", {"HROUTER_LOG_PROMPTS": "1"}, CAPTURE_OFF),  # an explicit off stays off (issue 14)
        ("redacted_preview", {"HROUTER_LOG_PROMPTS": "1"}, CAPTURE_FULL),
        ("off", {"HROUTER_LOG_PROMPTS": "0"}, CAPTURE_OFF),
    ],
)
def test_capture_mode(configured, env, expected):
    assert capture_mode(configured, env) == expected


def test_prompt_fields_per_mode():
    prompt = "email ops@example.com about " + "the rollout " * 30
    digest = hashlib.sha256(prompt.encode()).hexdigest()
    off = prompt_fields(prompt, CAPTURE_OFF)
    assert off == {"prompt_sha256": digest, "prompt_chars": len(prompt), "estimated_tokens": -(-len(prompt) // 4)}
    red = prompt_fields(prompt, CAPTURE_REDACTED)
    assert "prompt" not in red and "ops@example.com" not in red["prompt_preview"]
    full = prompt_fields(prompt, CAPTURE_FULL)
    assert full["prompt"] == prompt


def test_messages_measure_the_latest_user_turn_and_drop_attachment_bytes():
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "an answer"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is in this picture?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg"}},
            ],
        },
    ]
    assert latest_user_text(messages) == "what is in this picture?"
    kept = replayable_input(messages)
    assert "iVBORw0KGgo" not in repr(kept)
    assert kept[-1]["content"][1]["type"] == "image_url"
    assert [m["role"] for m in kept] == ["system", "user", "assistant", "user"]
    fields = prompt_fields(messages, CAPTURE_OFF)
    assert fields["prompt_chars"] == len("what is in this picture?")


# -- property: whatever surrounds them, these shapes never survive into a preview ----------------

from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_WORDS = st.lists(st.sampled_from(["please", "the", "deploy", "key", "is", "mail", "me", "at", "call", "id", "ok"]),
                  max_size=8).map(" ".join)
_SECRETS = st.one_of(
    st.from_regex(r"\A[a-z][a-z0-9.]{0,10}@[a-z]{2,10}\.(com|org|io|co\.uk)\Z"),
    st.from_regex(r"\Ask-[A-Za-z0-9]{20,40}\Z"),
    st.from_regex(r"\Aghp_[A-Za-z0-9]{20,36}\Z"),
    st.from_regex(r"\A[1-9][0-9]{7,15}\Z"),
    st.from_regex(r"\A(?:password|api_key|token)=[A-Za-z0-9!$%]{6,20}\Z").map(lambda s: (s, s.split("=", 1)[1])),
)


@settings(max_examples=300, deadline=None)
@given(before=_WORDS, secret=_SECRETS, after=_WORDS)
def test_secret_shapes_never_reach_the_preview(before, secret, after):
    text, needle = secret if isinstance(secret, tuple) else (secret, secret)
    assume(needle not in before and needle not in after)
    out = preview(f"{before} {text} {after}".strip())
    assert needle not in out


def _whole_text_preview(text: str, limit: int = 120) -> str:
    flat = " ".join(redact.redact(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


_PADDING = st.sampled_from([" ", "\n", "ok ", "sk-" + "A1" * 20 + " ", "1 ", "word "])


@settings(max_examples=300, deadline=None)
@given(pad=_PADDING, count=st.integers(0, 4200), secret=st.one_of(_SECRETS, st.from_regex(r"\A[1-9](?: ?[0-9]){5,20}\Z")),
       after=_WORDS, tail=st.integers(0, 3000))
def test_a_long_text_is_previewed_from_its_head_as_from_the_whole(pad, count, secret, after, tail):
    # The head is masked alone only where that cannot show more than masking the whole text:
    # padding that masks or collapses to nothing puts the secret at the cut and in the preview.
    text = (pad * count)[:count] + (secret[0] if isinstance(secret, tuple) else secret) + " " + after + " x" * tail
    assert preview(text) == _whole_text_preview(text)
    assert preview(text, 64) == _whole_text_preview(text, 64)
