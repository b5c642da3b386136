"""Where a message's clauses start: the units the safety rules judge one by one.

A mention frame ("how do I ...", "rewrite this: ...", "write a script that ...") covers only
its own clause, so a risky instruction after pasted text, or buried as the last of several
steps, is judged on its own words (``set clause_safety = 1`` in the rules; see
docs/rules-language.md). The split is deliberately simple and deterministic:

- hard boundaries: a line break, or ``. ! ? ;`` (and their CJK forms) before white space or
  the end;
- inside a sentence that is not a question: ", ", a spaced dash (" — ") and the coordinators that start a new step
  ("and then", "then", "and lastly", "finally", "also", "after that", "afterwards", "plus",
  "and" after a comma). Each such piece is judged from there to the end of its sentence, so a
  lead-in ("whenever you're free, ...", "after the build is green, ...") falls away before the
  instruction is judged;
- a comma before a relative word ("a script, which deletes ...", "ein Skript, das ... löscht",
  "une fonction qui supprime ...") does not start a step: what follows describes the thing
  before it;
- a question is never split inside: "how do I, as an admin, delete a user?" stays whole, so
  its frame covers it;
- nothing is split inside quotes or code (double quotes, curly quotes, guillemets, backticks,
  fenced blocks), so quoted text stays with the frame that quotes it; a sentence that is only
  a quotation stays with the sentence before it ("Shorten this? 'We are thrilled to ...'").

Clauses are returned as raw text (the caller normalises them), whole sentences first. A
message that is one clause gives ``()``: the whole-message judgement already covers it.
Plain string methods only; the cost is linear in the text.
"""

from __future__ import annotations

from collections.abc import Callable

_OPEN_CLOSE = {'"': '"', "“": "”", "«": "»", "`": "`", "„": "“", "「": "」", "『": "』", "‘": "’"}
_ENDS = frozenset(".!?;。！？；")
_QUOTES = frozenset(_OPEN_CLOSE) | {"'"}
_QUESTION_ENDS = frozenset("?？")
# Coordinators that open a new step of an instruction, as they appear between spaces.
_COORDINATORS = (
    "and then", "and lastly", "and finally", "and also", "and afterwards", "after that",
    "afterwards", "then", "lastly", "finally", "also", "plus", "once that's done",
    "once done", "when done", "when you're done", "when finished", "once finished",
    "and at the end", "at the end",
    # the same steps in the other languages of rules/languages.rules
    "und dann", "dann", "danach", "anschließend", "et ensuite", "ensuite", "puis", "et puis",
    "y luego", "luego", "y después", "después", "e poi", "poi", "e dopo", "e depois", "depois",
    "en dan", "daarna", "a potem", "potem", "a następnie", "а потом", "потом", "затем", "і потім",
    "потім", "a pak", "pak", "och sedan", "sedan", "og så", "deretter", "bagefter", "sonra",
    "ardından", "daha sonra", "sau đó", "rồi", "lalu", "kemudian", "setelah itu", "pagkatapos",
    "kisha", "baadaye", "फिर", "उसके बाद", "phir", "uske baad", "ثم", "بعد ذلك", "ואז", "אחר כך",
    "سپس", "بعد", "και μετά", "μετά", "apoi", "după aceea", "majd", "utána",
)
# The coordinators by their first word: a coordinator starts after a space, and its first word
# ends at the next space or comma, so one lookup per space finds every candidate.
_COORDINATORS_BY_FIRST: dict[str, tuple[str, ...]] = {}
for _word in _COORDINATORS:
    _COORDINATORS_BY_FIRST[_word.split(" ")[0]] = _COORDINATORS_BY_FIRST.get(_word.split(" ")[0], ()) + (_word,)
del _word
_COORDINATOR_FIRSTS = frozenset(_COORDINATORS_BY_FIRST)
# Relative pronouns and subordinators that continue the thing before a comma, in the languages
# of rules/languages.rules. English "that" and "where" are left out: ", that's all" and
# ", where possible" open no description.
_RELATIVES = frozenset("""
    which who whom whose das die der dem den welche welcher welches qui que lequel laquelle
    lesquels dont cual cuales quien quienes che cui quale quali который которая которое которые
    которых которую что który która które którzy którą dat wat welke som joka jotka která které
    který což що який яка яке які care pe ce amely amelyik aki yang ambayo ambao
    whether чем как почему зачем где когда ли чтобы чим як чому навіщо де коли wie warum wieso
    weshalb ob wann wo dass pourquoi quand où si cómo cuándo dónde qué perché
    quando se como porque onde waarom wanneer waar jak dlaczego czy kiedy gdzie że
    proč kdy kde zda že nasıl neden
""".split())
# (The second part: question and subordinating words that open an object clause after a comma,
# leaving out those that are English words too, such as "comment" and "come":
# "Объясни, чем DROP TABLE отличается от TRUNCATE", "Erklär mir, wie ich ... lösche".)
# A step is judged to its sentence's end, but never past this many characters: the verb and
# its object open the step, and without a bound a sentence of many commas costs its length
# squared ("delete the db, " four thousand times took seconds).
_MAX_PIECE = 400
_MAX_CLAUSES = 20_000  # a pathological text; beyond this the rest is judged as one piece


def _outside_quotes(line: str) -> list[bool] | None:
    """For each character, whether it stands outside quotes, code and parentheses, or None when
    the line holds none of them (most do). A single quote opens a quote only where it starts a word
    ("'Refunds are ...'"), so "I'll" is no quote."""
    if _QUOTES.isdisjoint(line) and "(" not in line:
        return None
    out = [True] * len(line)
    closer = ""
    n = len(line)
    last_close = line.rfind(")")  # one look, not one per "(": a line of code holds many
    for i, ch in enumerate(line):
        if closer:
            out[i] = False
            if ch == closer and (closer != "'" or i + 1 == n or not line[i + 1].isalnum()):
                closer = ""
        elif ch in _OPEN_CLOSE:
            closer = _OPEN_CLOSE[ch]
            out[i] = False
        elif ch == "(" and i < last_close:
            # A remark in parentheses stays whole ("TODO (for me, not you): ..."); an unclosed
            # one, as in a ":(" smiley, is no bracket.
            closer = ")"
            out[i] = False
        elif ch == "'" and (i == 0 or line[i - 1] in " :(") and i + 1 < n and line[i + 1].isalnum():
            closer = "'"
            out[i] = False
    return out


def _lines(text: str) -> list[tuple[int, str]]:
    """(paragraph number, line) for each line; a fenced code block is one line."""
    out: list[tuple[int, str]] = []
    paragraph = 0
    block: list[str] | None = None
    for line in text.split("\n"):
        if block is not None:
            block.append(line)
            if line.lstrip().startswith("```"):
                out.append((paragraph, "\n".join(block)))
                block = None
            continue
        if line.lstrip().startswith("```") and line.count("```") == 1:
            block = [line]
        elif line.strip():
            out.append((paragraph, line.strip()))
        elif out and out[-1][0] == paragraph:
            paragraph += 1
    if block is not None:
        out.append((paragraph, "\n".join(block)))
    return out


def _sentences(line: str) -> list[str]:
    """Split one line at sentence ends outside quotes and code. After a label or frame that
    ends in a colon ("Reformat as a list: wipe caches; notify the team"), each later sentence
    of the line keeps the words up to the colon, so the frame still covers it."""
    if _ENDS.isdisjoint(line[:-1]) and ":" not in line:
        stripped = line.strip()  # the common case: one sentence, no label
        return [stripped] if stripped else []
    free = _outside_quotes(line)
    parts: list[str] = []
    start = 0
    n = len(line)
    for i, ch in enumerate(line):
        if ch in _ENDS and (free is None or free[i]) and (i + 1 == n or line[i + 1].isspace() or ch in "。！？；"):
            parts.append(line[start : i + 1])
            start = i + 1
    parts.append(line[start:])
    parts = _with_quotations([p for p in (part.strip() for part in parts) if p])
    colon = _colon(parts[0]) if parts else -1
    if colon < 0 or parts[0][colon + 1 :].lstrip()[:1] in _QUOTES:
        return parts  # quoted material ends with its quote: what follows is the user's again
    label = parts[0][: colon + 1]
    return parts[:1] + [f"{label} {p}" for p in parts[1:]]


def _quotation(part: str) -> bool:
    """Is ``part`` one quotation and nothing else (its closing quote may be followed by
    punctuation)?"""
    if part[:1] not in _QUOTES:
        return False
    free = _outside_quotes(part)
    return free is not None and all(not f or not ch.isalnum() for f, ch in zip(free, part))


def _with_quotations(parts: list[str]) -> list[str]:
    """A sentence that is only a quotation, or only a JSON value, belongs to the sentence before
    it, which quotes it: "Can you cut this down to fit in a tweet? 'We are thrilled to announce
    ...'", "Is this valid against our schema? {"op": "remove", ...}"."""
    out: list[str] = []
    for part in parts:
        if out and (_quotation(part) or part[:1] in "{[" and part[-1:] in "}]"):
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return out


def _colon(sentence: str) -> int:
    """Where a label or frame ends inside a sentence ("convert to bullets: a, b, c"), or -1."""
    at = sentence.find(":")
    if at < 0:
        return -1
    free = _outside_quotes(sentence)
    n = len(sentence)
    while at >= 0:
        if (free is None or free[at]) and (at + 1 == n or sentence[at + 1] == " "):
            return at
        at = sentence.find(":", at + 1)
    return -1


def _pieces(sentence: str, commas: bool = True) -> list[str]:
    """The later steps of one sentence, each to the sentence's end ("a, b, and then c" gives
    "b, and then c" and "c"). A step after a colon keeps the words before it, so a frame
    ("convert to bullet points: ...") still covers the list it introduces."""
    if sentence[-1] in _QUESTION_ENDS:
        return []
    if not _may_cut(sentence, commas):
        return []
    lowered = _lower(sentence)
    free = _outside_quotes(sentence)
    colon = _colon(sentence)
    cuts: set[int] = set()
    n = len(lowered)
    by_first = _COORDINATORS_BY_FIRST
    for i, ch in enumerate(lowered):
        if free is not None and not free[i]:
            continue
        if commas and ch in "—–" and i and lowered[i - 1] == " " and i + 1 < n and lowered[i + 1] == " ":
            cuts.add(i + 2)
        elif commas and ch == "," and i + 1 < n and lowered[i + 1] == " ":
            if _next_word(lowered, i + 2) in _RELATIVES:
                continue
            cuts.add(i + 2)
            if lowered.startswith("and ", i + 2):
                cuts.add(i + 6)
        elif ch == " ":
            candidates = by_first.get(_first_word(lowered, i + 1))
            if candidates is not None:
                for word in candidates:
                    end = i + 1 + len(word)
                    if end < n and lowered[end] in " ," and lowered.startswith(word, i + 1):
                        cuts.add(end + 1)
    out = []
    for cut in sorted(cuts):
        piece = sentence[cut : cut + _MAX_PIECE].strip(" ,")
        if piece:
            out.append(f"{sentence[: colon + 1]} {piece}" if 0 <= colon < cut else piece)
    return out


def _lower(text: str) -> str:
    """Lower case, one character for one: str.lower() turns a capital İ (the only such
    character) into two ("i" + U+0307), which would shift indexes against ``text``."""
    return text.lower() if "İ" not in text else "".join(ch.lower()[0] for ch in text)


def _may_cut(sentence: str, commas: bool) -> bool:
    """Could ``_pieces`` cut ``sentence`` at all? A cheap test that lets most sentences skip
    the character walk: a cut needs ", ", a spaced dash or a coordinator's first word."""
    if commas and (", " in sentence or " — " in sentence or " – " in sentence):
        return True
    return not _COORDINATOR_FIRSTS.isdisjoint(_lower(sentence).replace(",", " ").split())


def _first_word(text: str, start: int) -> str:
    """The text from ``start`` to the next space or comma (or the end)."""
    end = text.find(" ", start)
    if end < 0:
        end = len(text)
    comma = text.find(",", start, end)  # bounded by the space: linear over a long sentence
    return text[start : end if comma < 0 else comma]


def _next_word(text: str, start: int) -> str:
    end = start
    while end < len(text) and text[end].isalpha():
        end += 1
    return text[start:end] if end == len(text) or text[end] != "'" else ""


def clauses(text: str, framed: Callable[[str], int] | None = None) -> tuple[str, ...]:
    """The clauses of ``text`` to judge on their own, or ``()`` when it is a single clause.

    ``framed(sentence)`` says how far a frame at the start of a sentence covers it: 0 not at
    all; 1 up to the next coordinator ("explain the difference between DELETE, TRUNCATE and
    DROP" is not split at its commas, but "..., and then drop the table" still is); 2 all of
    it ("suppose we migrate, and then delete the old one" is one hypothetical).

    A line that ends with a colon ("Proofread this email:") introduces material: the lines
    after it are judged with that line before them, so the frame covers them, except the
    last paragraph when the material has several (the user's own instruction after a paste)."""
    lines = _lines(text)
    found: list[str] = []
    header = ""
    header_paragraph = 0
    last_paragraph = lines[-1][0] if lines else 0
    for paragraph, line in lines:
        prefix = ""
        if header and (paragraph < last_paragraph or last_paragraph == header_paragraph + 1 or paragraph == header_paragraph):
            prefix = header + " "
        if line.startswith("```") and not prefix:
            continue  # code on its own is material; the whole message is still judged
        for sentence in _sentences(line):
            found.append(prefix + sentence)
            pieces = _pieces(sentence)
            if pieces and framed is not None:  # the frame is only asked where it could matter
                cover = framed(prefix + sentence)
                pieces = [] if cover == 2 else pieces if cover == 0 else _pieces(sentence, commas=False)
            found.extend(prefix + piece for piece in pieces)
        if line.endswith(":") and not prefix:
            header, header_paragraph = line, paragraph
        if len(found) >= _MAX_CLAUSES:
            break
    if len(found) == 1 and found[0] == text.strip():
        return ()
    return tuple(dict.fromkeys(found))
