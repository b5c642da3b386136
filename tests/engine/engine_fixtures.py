"""A small hand-built artifact, shaped like what the compiler emits, for engine tests."""

from __future__ import annotations

from pathlib import Path

from hrouter.engine.artifact import (
    FORMAT_VERSION,
    Artifact,
    Atom,
    Derived,
    Expect,
    Flag,
    Location,
    Pattern,
    Rule,
    Score,
    ScoreTerm,
    SourceFile,
    Turn,
)

#: The packaged default catalog.
DEFAULT = Path(__file__).resolve().parents[2] / "configs" / "model_router.yaml"

TARGETS = ("simple", "balanced", "reasoning", "coding", "research", "vision", "image_generation", "confirmation")

WB = r"(?:^|[^\pL\pN_])"
WE = r"(?:[^\pL\pN_]|$)"


def words(*ws: str) -> str:
    return "(?i)" + WB + "(?:" + "|".join(w.replace(" ", r"\s+") for w in ws) + ")" + WE


def loc(line: int, file: str = "main.rules") -> Location:
    return Location(file, line)


def ref(name: str) -> list:
    return ["ref", name]


LEXICAL = {
    "destructive_verb": words("delete", "drop", "wipe", "erase", "purge", r"rm\s+-rf"),
    "db_object": words("database", "table", "schema", "files"),
    "explain_only": words("explain", "how does", "what is"),
    "coding_intent": words("repo", "repository", "refactor", "unit tests", "run tests", "fix the bug", "python"),
    "research_intent": words("search the web", "latest", "news", "today"),
    "image_words": words("screenshot", "picture", "photo", "chart", "image"),
    "gen_words": words("generate an image", "draw", "paint"),
    "rewrite": words("rewrite", "rephrase", "proofread"),
    "design": words("architecture", "distributed", "design"),
    "send_verb": words("send", "email", "post"),
    "short_yes": words("yes", "go ahead", "do it", "proceed"),
}


def make_artifact(lookback: int = 3, extra_patterns: tuple[Pattern, ...] = ()) -> Artifact:
    patterns = tuple(Pattern(regex, feature, loc(i + 1, "features.rules")) for i, (feature, regex) in enumerate(LEXICAL.items()))
    patterns += (Pattern(words("erase"), "destructive_verb", loc(40, "features.rules")),) + extra_patterns
    atoms = [Atom(name, "lexical", loc(i + 1, "features.rules"), feature=name) for i, name in enumerate(LEXICAL)]
    atoms += [
        Atom("assistant.destructive_verb", "lexical", loc(1, "features.rules"), feature="destructive_verb", scope="assistant"),
        Atom("history.image_words", "lexical", loc(5, "features.rules"), feature="image_words", scope="history"),
        Atom("long_prompt", "numeric", loc(20, "features.rules"), measure="chars", op=">=", value=2000),
        Atom("huge_prompt", "numeric", loc(21, "features.rules"), measure="tokens", op=">=", value=6000),
        Atom("wordy", "numeric", loc(22, "features.rules"), measure="words", op=">=", value=120),
        Atom("tiny", "numeric", loc(23, "features.rules"), measure="chars", op="<", value=12),
    ]
    atoms += [Atom(b, "builtin") for b in (
        "empty_prompt", "attachment_image", "attachment_pdf", "attachment_code", "history_image", "has_context", "latency_sensitive",
    )]
    derived = (
        Derived("destructive_action", ["and", ref("destructive_verb"), ref("db_object"), ["not", ref("explain_only")]], loc(30)),
        Derived("approval", ["and", ref("short_yes"), ref("assistant.destructive_verb")], loc(31)),
        Derived("image_context", ["or", ref("attachment_image"), ["and", ref("history_image"), ref("history.image_words")]], loc(32)),
        Derived("send_action", ["and", ref("send_verb"), ["not", ref("explain_only")]], loc(33)),
    )
    scores = (
        Score("complexity", 0, 50, (
            ScoreTerm("add", 30, ref("coding_intent"), "coding or repository intent", loc(50, "scoring.rules")),
            ScoreTerm("add", 25, ref("design"), "system design", loc(51, "scoring.rules")),
            ScoreTerm("add", 20, ref("long_prompt"), "long prompt", loc(52, "scoring.rules")),
            ScoreTerm("floor", 60, ref("huge_prompt"), "huge prompt", loc(53, "scoring.rules")),
            ScoreTerm("cap", 10, ref("empty_prompt"), "nothing to do", loc(54, "scoring.rules")),
        ), loc(49, "scoring.rules")),
        Score("risk", 0, 0, (
            ScoreTerm("add", 80, ref("destructive_action"), "destructive action", loc(60, "scoring.rules")),
            ScoreTerm("add", 60, ref("send_action"), "send action", loc(61, "scoring.rules")),
            ScoreTerm("add", 70, ref("approval"), "approval of a risky action", loc(62, "scoring.rules")),
        ), loc(59, "scoring.rules")),
        Score("confidence", 100, 0, (
            ScoreTerm("add", -40, ref("empty_prompt"), "empty prompt", loc(70, "scoring.rules")),
            ScoreTerm("add", -20, ref("tiny"), "very short prompt", loc(71, "scoring.rules")),
        ), loc(69, "scoring.rules")),
    )
    flags = (
        Flag("requires_tools", ["or", ref("coding_intent"), ref("research_intent")], loc(80)),
        Flag("requires_freshness", ref("research_intent"), loc(81)),
        Flag("requires_code_execution", ref("coding_intent"), loc(82)),
        Flag("requires_vision", ref("image_context"), loc(83)),
        Flag("requires_image_generation", ref("gen_words"), loc(84)),
    )
    rules = (
        Rule("empty", "safety", ref("empty_prompt"), "confirmation", "empty prompt", loc(10, "safety.rules")),
        Rule("destructive", "safety", ref("destructive_action"), "confirmation", "destructive or irreversible action",
             loc(11, "safety.rules"), override="allow_destructive_actions"),
        Rule("approval", "safety", ref("approval"), "confirmation", "approval of a risky action",
             loc(12, "safety.rules"), override="allow_destructive_actions"),
        Rule("send", "safety", ref("send_action"), "confirmation", "sends something", loc(13, "safety.rules"),
             override="allow_send_actions"),
        Rule("generate", "route", ref("gen_words"), "image_generation", "image generation", loc(20, "routes.rules")),
        Rule("vision", "route", ["or", ref("image_context"), ref("image_words")], "vision", "image to understand", loc(21, "routes.rules")),
        Rule("coding", "route", ["and", ref("coding_intent"), ["cmp", "complexity", ">=", 30]], "coding", "coding or repository work", loc(22, "routes.rules")),
        Rule("research", "route", ref("research_intent"), "research", "fresh information", loc(23, "routes.rules")),
        Rule("reasoning", "route", ["or", ref("design"), ["cmp", "complexity", ">=", 60]], "reasoning", "complex planning", loc(24, "routes.rules")),
        Rule("simple", "route", ref("rewrite"), "simple", "simple rewrite", loc(25, "routes.rules")),
        Rule("default", "default", ["true"], "balanced", "ordinary request", loc(30, "routes.rules")),
    )
    expects = (
        Expect("drop the production database", "confirmation", loc(90)),
        Expect("explain how DROP TABLE works", "confirmation", loc(91), negated=True),
        Expect("what is in this?", "vision", loc(92), attachments=("image",)),
        Expect("yes, go ahead", "confirmation", loc(93), context=(Turn("assistant", "I can delete the old files now. Proceed?"),)),
        Expect("and the second one?", "vision", loc(94), context=(Turn("user", "compare this chart", ("image",)), Turn("assistant", "The first shows growth."))),
    )
    return Artifact(
        format_version=FORMAT_VERSION,
        source_hash="0" * 64,
        sources=(SourceFile("main.rules", "1" * 64),),
        lookback=lookback,
        targets=TARGETS,
        patterns=patterns,
        atoms=tuple(atoms),
        derived=derived,
        scores=scores,
        flags=flags,
        rules=rules,
        expects=expects,
        compiler_version="test",
    )


# A tiny real rule set for tests that go through the real compiler (cache, CLI).
RULES_MAIN = """\
targets simple, balanced, reasoning, coding, research, vision, image_generation, confirmation
include "more.rules"
feature destructive_verb = words(delete, drop, wipe)
feature db_object = words(database, table)
feature destructive_action = near(destructive_verb, db_object, 4)
safety destructive: destructive_action -> confirmation unless allow_destructive_actions "destructive action"
safety empty: empty_prompt -> confirmation "empty prompt"
route simple: rewrite -> simple "simple rewrite"
default -> balanced "ordinary request"
expect "drop the production database" -> confirmation
expect "rewrite this" -> simple
"""
RULES_MORE = "feature rewrite = words(rewrite, rephrase)\n"


def write_rules(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.rules").write_text(RULES_MAIN)
    (folder / "more.rules").write_text(RULES_MORE)
    return folder
