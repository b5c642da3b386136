"""The token scan reads every word-based pattern exactly as its regex does.

The regex of a pattern (``compiler/lower_patterns.py``) is the reference: on every text the
token scan accepts, the set of token patterns it reports must be the set whose regex RE2 finds.
Checked on the corpora (each prompt, its clauses and its letters view, which is what the engine
scans) for the default rules, and on generated rule bodies and texts with hypothesis."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from hrouter.compiler import ast
from hrouter.compiler.compile import build
from hrouter.compiler.lower_patterns import lower_lexical, token_form
from hrouter.engine.artifact import Location, Pattern
from hrouter.engine.clauses import clauses
from hrouter.engine.normalize import normalize
from hrouter.engine.token_scan import TokenScan, tokenize
from hrouter.engine.views import letters_view

ROOT = Path(__file__).resolve().parents[2]
CORPORA = [ROOT.parent / "shared" / "corpus" / "dev.jsonl", *sorted((ROOT / "tests" / "data").rglob("*.jsonl"))]
P = ast.Pos("t.rules", 1, 1)
_OPTIONS = re2.Options()
_OPTIONS.never_capture = True


def _regex(regex: str):
    return re2.compile(regex, _OPTIONS)


def _texts() -> list[str]:
    out: list[str] = []
    for path in CORPORA:
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            texts = [row.get("prompt") or ""] + [t["content"] for t in row.get("context") or [] if isinstance(t.get("content"), str)]
            for text in texts:
                out.append(text)
                out.extend(clauses(text))
                view = letters_view(text)
                if view is not None:
                    out.append(view)
    return list(dict.fromkeys(out))


@pytest.fixture(scope="module")
def default_rules():
    artifact, diags, _ = build(ROOT / "rules")
    assert artifact is not None, diags
    return artifact


def test_most_default_patterns_have_a_token_form(default_rules):
    word_based = [p for p in default_rules.patterns if not p.regex.startswith("(?i)")]
    with_tokens = [p for p in word_based if p.tokens is not None]
    assert len(with_tokens) >= 0.95 * len(word_based)
    assert not any(p.tokens for p in default_rules.patterns if p.regex.startswith("(?i)"))  # regex(...) stays RE2


def test_same_answers_as_the_regexes_on_the_corpora(default_rules):
    scan = TokenScan(default_rules.patterns)
    regexes = {i: _regex(p.regex) for i, p in enumerate(default_rules.patterns) if p.tokens is not None}
    texts = _texts()
    assert len(texts) > 3000
    read = 0
    for text in texts:
        normal = normalize(text)
        got = scan.match(normal)
        if got is None:
            continue
        read += 1
        expected = sorted(i for i, r in regexes.items() if r.search(normal) is not None)
        assert sorted(got) == expected, text[:120]
    assert read > 0.99 * len(texts)


# ---- generated rule bodies and texts ----------------------------------------------------------

WORDS = ["drop", "dropped", "table", "db", "prod", "the", "é", "жар", "x", "c", "_id", "100", "env", "force", "f", "post"]
ITEMS = WORDS + ["prod db", "c++", ".env", "#general", "vs.", "c:", "-f", "--force", "e-mail", "rm -rf",
                 "to 100%", "don't", "-x post", "a.b"]
SEPARATORS = ["", " ", "  ", ", ", ". ", "\n", "\t", "-", " - ", "--", "'", "“", "” ", "€", "+", "++ ", "#", "%", "!",
              ":", " :", "_", ".", "/", " (", ") ", "\r\n", "\x0c", "\x0b", "\x01", "…", " — ", "\u00a0"]


def _word(text: str, prefix: bool = False) -> ast.Word:
    return ast.Word(text, prefix, P)


items = st.lists(st.tuples(st.sampled_from(ITEMS), st.booleans()), min_size=1, max_size=4).map(
    lambda xs: ast.Words(tuple(_word(t, p and t[-1].isalnum()) for t, p in xs), P))
plain_words = st.lists(st.sampled_from([w for w in WORDS if w.replace("_", "").isalnum()]), min_size=1, max_size=3)
bodies = st.one_of(
    items,
    st.builds(lambda a, b, d, o: ast.Near(a, b, d, P, ordered=o), items, items, st.integers(1, 4), st.booleans()),
    st.builds(lambda a, ex, pre: ast.NextNot(a, tuple(_word(w, pre and i == 0) for i, w in enumerate(ex)), P),
              items, plain_words, st.booleans()),
)
texts = st.lists(st.tuples(st.sampled_from(ITEMS + ["xdrop", "dropx", "tables"]), st.sampled_from(SEPARATORS),
                           st.booleans()), min_size=0, max_size=10).map(
    lambda parts: "".join((w.upper() if up else w) + sep for w, sep, up in parts))


@settings(max_examples=600, deadline=None)
@given(body=bodies, text=texts)
def test_same_answer_as_the_regex_on_generated_rules_and_texts(body, text):
    form = token_form(body, None)
    (regex,) = lower_lexical(body, resolve_words=None)
    if form is None:
        return  # read by its regex alone
    scan = TokenScan([Pattern(regex, "f", Location("t.rules", 1), (), form)])
    normal = normalize(text)
    got = scan.match(normal)
    if got is None:
        assert any(ch in normal for ch in "\x0b\x01"), repr(normal)
        return
    assert (got == [0]) == (_regex(regex).search(normal) is not None), (regex, normal)


def test_tokenize_splits_words_runs_and_chunks():
    words, runs, chunk = tokenize("drop the,table  c++ now")
    assert words == ["drop", "the", "table", "c", "now"]
    assert runs == ["", " ", ",", " ", "++ ", ""]
    assert chunk == [0, 1, 1, 2, 3]
    assert tokenize("a\x0bb") is None and tokenize("a\x01b") is None


def _words(*texts: str) -> ast.Words:
    return ast.Words(tuple(_word(t.rstrip("*"), t.endswith("*")) for t in texts), P)


@pytest.mark.parametrize("body, text", [
    (ast.Near(_words(".env"), _words("table"), 2, P), "drop.env table"),  # no boundary before the lead
    (ast.Near(_words(".env"), _words("table"), 2, P), "drop .env table"),
    (ast.Near(_words(".env"), _words("table"), 2, P), ".env table"),
    (ast.Near(_words("c++"), _words("table"), 1, P), "c++table"),  # nothing between the trail and y
    (ast.Near(_words("c++"), _words("table"), 1, P), "c++ table"),
    (ast.Near(_words("table"), _words("#general"), 3, P, ordered=True), "table to#general"),
    (ast.Near(_words("table"), _words("#general"), 3, P, ordered=True), "table to #general"),
    (ast.Near(_words("table"), _words("vs."), 2, P), "table vs.x"),  # the trail needs a boundary after it
    (ast.Near(_words("table"), _words("vs."), 2, P), "table vs. x"),
    (ast.Near(_words("prod db"), _words("drop*"), 2, P), "dropping the prod - db"),
    (ast.NextNot(_words("c++"), (_word("code"),), P), "c++ coding"),
    (ast.NextNot(_words("c++"), (_word("cod", True),), P), "c++ coding"),
    (ast.NextNot(_words("-f"), (_word("x"),), P), "rm-f y"),
    (ast.NextNot(_words("-f"), (_word("x"),), P), "rm -f y"),
    (ast.NextNot(_words("drop"), (_word("x"),), P), "drop  , y"),
    (_words("rm -rf", "e-mail", "a.b"), "rm --rf e-mail a.bc"),
    (_words("rm -rf"), "rm - -rf"),
])
def test_punctuated_items_at_their_edges(body, text):
    (regex,) = lower_lexical(body, resolve_words=None)
    scan = TokenScan([Pattern(regex, "f", Location("t.rules", 1), (), token_form(body, None))])
    assert (scan.match(normalize(text)) == [0]) == (_regex(regex).search(normalize(text)) is not None)


def test_token_forms_survive_the_json_artifact(default_rules, tmp_path):
    from hrouter.engine.artifact_io import artifact_to_json, load_artifact

    path = tmp_path / "artifact.json"
    path.write_text(artifact_to_json(default_rules), encoding="utf-8")
    loaded = load_artifact(path, strict=True)
    assert loaded.patterns == default_rules.patterns
    assert any(p.tokens and any(item.seps for item in p.tokens.a) for p in loaded.patterns)
