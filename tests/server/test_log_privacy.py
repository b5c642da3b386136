"""What the default capture mode keeps: no prompt whole, no secret written as prose; and one
conversation reader for routing, logging and replay."""

from __future__ import annotations

import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hrouter.engine.conversation import extract
from hrouter.server.events import RoutingEvent
from hrouter.server.redact import CAPTURE_FULL, CAPTURE_REDACTED, latest_user_text, log_preview, prompt_fields

WORDS = ("fix", "the", "repo", "and", "run", "tests", "please", "deploy", "server", "for", "me", "today",
         "check", "this", "branch", "then", "update", "docs", "with", "new", "settings", "is", "my", "our")
PLAIN = st.lists(st.sampled_from(WORDS), min_size=0, max_size=12).map(" ".join)

B64 = string.ascii_letters + string.digits + "+/"
PASSWORD = st.builds(lambda word, tail: word + tail,
                     st.text(string.ascii_lowercase, min_size=3, max_size=10),
                     st.text(string.digits + "!@#$%&*", min_size=1, max_size=4))
CAMEL = st.lists(st.sampled_from(("Correct", "Horse", "Battery", "Staple", "Purple", "Monkey", "Dish")),
                 min_size=2, max_size=5).map("".join)
AWS_SECRET = st.text(B64, min_size=40, max_size=40).filter(lambda s: "/" in s and any(c.isdigit() for c in s))
PIN = st.text(string.digits, min_size=4, max_size=8)
PASSPHRASE = st.lists(st.sampled_from(("correct", "horse", "battery", "staple", "purple", "monkey")),
                      min_size=3, max_size=5).map(" ".join)
SECRET = st.one_of(PASSWORD, CAMEL, AWS_SECRET, PIN)

TEMPLATES = (
    "my password is {s}", "password: {s}", "the login is admin / {s}", "admin / {s}", "{s} is my password",
    "use pin {s} for the door", "my PIN is {s}", "aws secret access key {s}", "here you go: {s}",
    "creds are root / {s} thanks", "the token {s} expired", "log in with {s} please", "{s}",
)
PHRASE_TEMPLATES = ("my passphrase is {s}", "the passphrase: {s}", "{s} is the passphrase", "vault passphrase {s}.")


def prose(before: str, template: str, secret: str, after: str) -> str:
    return " ".join(p for p in (before, template.format(s=secret), after) if p)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PLAIN, st.sampled_from(TEMPLATES), SECRET, PLAIN, st.sampled_from((". ", ", ", " ", "\n")))
def test_no_secret_in_prose_reaches_the_default_preview(before, template, secret, after, joiner):
    text = joiner.join(p for p in (before, template.format(s=secret), after) if p)
    fields = prompt_fields(text, CAPTURE_REDACTED)
    fields.pop("prompt_sha256", None)  # a hex digest can hold any short run of digits by chance
    stored = json.dumps(fields)
    assert secret not in stored, (text, stored)
    for piece in secret.split("/"):
        if len(piece) >= 6:
            assert piece not in stored, (text, stored)


@settings(max_examples=200, deadline=None)
@given(PLAIN, st.sampled_from(PHRASE_TEMPLATES), PASSPHRASE, PLAIN)
def test_no_passphrase_word_sequence_reaches_the_preview(before, template, phrase, after):
    text = prose(before, template, phrase, after)
    preview = prompt_fields(text, CAPTURE_REDACTED)["prompt_preview"]
    words = phrase.split()
    assert not any(" ".join(words[i:i + 2]) in preview for i in range(len(words) - 1)), (text, preview)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=40).map(" ".join))
def test_no_prompt_is_its_own_preview(text):
    preview = log_preview(text)
    kept = preview.removesuffix("…").split()
    assert len(kept) <= len(text.split()) // 2
    assert preview.removesuffix(" …") != text


def test_the_issue_examples():
    assert log_preview("fix the repo and run tests") == "fix the repo …"
    for text, secret in (("my password is hunter2", "hunter2"),
                         ("please log in as admin / CorrectHorseBatteryStaple and check it", "CorrectHorse"),
                         ("the aws key is wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY ok", "wJalrXUtnFEMI"),
                         ("my PIN is 4821 call me back when you can", "4821"),
                         ("my passphrase is correct horse battery staple, thanks a lot for this", "horse")):
        assert secret not in log_preview(text), text


def test_a_responses_style_input_text_part_is_read_logged_and_replayed_as_text():
    messages = [{"role": "user", "content": [{"type": "input_text", "text": "please delete the staging database"}]}]
    assert latest_user_text(messages) == extract(messages, 0).message == "please delete the staging database"
    fields = prompt_fields(messages, CAPTURE_FULL)
    assert fields["prompt_chars"] == len("please delete the staging database")
    assert fields["prompt"] == [{"role": "user", "content": [{"type": "input_text",
                                                              "text": "please delete the staging database"}]}]
    # what replay routes is what the proxy routed
    assert extract(fields["prompt"], 0).message == extract(messages, 0).message


def test_the_event_keeps_no_text_in_off_mode():
    event = RoutingEvent.build(prompt="my password is hunter2", decision={"selected_engine": "fast_local"}, capture="off")
    assert "hunter2" not in event.to_json() and event.prompt_preview is None
