"""Whatever the text, compiling it gives an artifact or a RulesError: never another exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hrouter.compiler import RulesError
from hrouter.compiler.compile import compile_rules

VOCAB = [
    "feature", "route", "safety", "default", "expect", "score", "flag", "targets", "set", "include",
    "words(", "near(", "then(", "next_not(", "regex(", ")", "(", "[", "]", "{", "}", ",", "=", ":",
    "->", "and", "or", "not", "true", "unless", "when", "base", "saturation", "floor", "cap", "+",
    "-", ">=", "<", "==", "with", "after", "user", "assistant", "image", "a", "b", "x", "coding",
    "confirmation", "complexity", "chars", "tokens", "assistant.a", "context.b", "0", "3", "101",
    '"s"', '"a b"', '"(?=x)"', "*", "#c\n", "\n", "lookback", "allow_send_actions", "drop*", "é",
    "\ufeff", "\x00", "\ud800",
]
HEADER = "targets coding, confirmation, balanced\nfeature a = words(a)\nfeature b = words(b)\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(VOCAB), max_size=30), st.booleans())
def test_random_token_soup_never_crashes(tokens, with_header):
    text = (HEADER if with_header else "") + " ".join(tokens) + "\ndefault -> balanced\n"
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "main.rules").write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            compile_rules(tmp, check_expects=True)
        except RulesError as exc:
            assert exc.diagnostics
            assert str(exc)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_random_text_never_crashes(text):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "main.rules").write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            compile_rules(tmp)
        except RulesError as exc:
            assert exc.diagnostics
