"""English verb forms for `words(...; inflect)`: delete -> deletes, deleted, deleting.

A plain lower-case word (a-z only, with a vowel) gets its third person (-s, -es, -ies), its
past (-ed, -d, -ied, or the forms of an irregular verb) and its -ing form. Anything else (a
word in another script, with a digit, hyphen or apostrophe, an abbreviation without a vowel
such as `dm`, a `prefix*`) is left as written: the rules cannot tell an English verb from a
word in another language, and inventing "удалитьed" helps nobody.

Spelling, as a simple heuristic rather than a dictionary:

- a final `e` is dropped before -ed and -ing (delete -> deleted, deleting), except after `e`,
  `o` and `y` before -ing (agree -> agreeing, dye -> dyeing); `ie` becomes `y` before -ing
  (tie -> tying);
- `y` after a consonant becomes `i` before -es and -ed (copy -> copies, copied; but deploy ->
  deploys, deployed);
- -es after s, x, z, ch, sh and after a consonant + o (push -> pushes, echo -> echoes);
- the final consonant is doubled before -ed and -ing when the word is one syllable ending in
  one vowel and one consonant other than w, x, y (drop -> dropped, ship -> shipping, quit;
  not fix, show, play, tweet), or is one of `STRESS_FINAL` (submit -> submitted, refer ->
  referred, begin -> beginning); other longer words do not double (open -> opened, edit ->
  edited, visit -> visited). A longer word ending in one vowel + l gets both spellings
  (cancel -> canceled, cancelled);
- a word made of a prefix in `PREFIXES` and a verb is inflected as that verb (resend ->
  resent, undo -> undid, unzip -> unzipped, forget -> forgot);
- `IRREGULAR` lists the past forms of common irregular verbs (send -> sent, tear -> tore,
  torn); where a regular past is also in use it is listed too (burn -> burned, burnt).
"""

from __future__ import annotations

import functools
import re

_PLAIN = re.compile(r"[a-z]+")
_VOWELS = frozenset("aeiou")

#: Past forms (past tense and past participle) that replace the regular -ed form.
IRREGULAR: dict[str, tuple[str, ...]] = {
    base: tuple(forms.split())
    for base, forms in {
        "arise": "arose arisen", "awake": "awoke awoken", "bear": "bore borne born",
        "beat": "beat beaten", "become": "became become", "begin": "began begun",
        "bend": "bent", "bet": "bet", "bid": "bid", "bind": "bound", "bite": "bit bitten",
        "bleed": "bled", "blow": "blew blown", "break": "broke broken", "breed": "bred",
        "bring": "brought", "broadcast": "broadcast broadcasted", "build": "built",
        "burn": "burned burnt", "burst": "burst", "buy": "bought", "cast": "cast",
        "catch": "caught", "choose": "chose chosen", "cling": "clung", "come": "came come",
        "cost": "cost", "creep": "crept", "cut": "cut", "deal": "dealt", "dig": "dug",
        "do": "did done", "draw": "drew drawn", "dream": "dreamed dreamt", "drink": "drank drunk",
        "drive": "drove driven", "eat": "ate eaten", "fall": "fell fallen", "feed": "fed",
        "feel": "felt", "fight": "fought", "find": "found", "flee": "fled", "fling": "flung",
        "fly": "flew flown", "forbid": "forbade forbidden", "forecast": "forecast forecasted",
        "freeze": "froze frozen", "get": "got gotten", "give": "gave given", "go": "went gone",
        "grind": "ground", "grow": "grew grown", "hang": "hung hanged", "have": "had",
        "hear": "heard", "hide": "hid hidden", "hit": "hit", "hold": "held", "hurt": "hurt",
        "input": "input inputted", "keep": "kept", "kneel": "knelt kneeled", "know": "knew known",
        "lay": "laid", "lead": "led", "lean": "leaned leant", "leap": "leaped leapt",
        "learn": "learned learnt", "leave": "left", "lend": "lent", "let": "let",
        "lie": "lay lain lied", "light": "lit lighted", "lose": "lost", "make": "made",
        "mean": "meant", "meet": "met", "pay": "paid", "put": "put", "quit": "quit quitted",
        "read": "read", "relay": "relayed", "rid": "rid", "ride": "rode ridden",
        "ring": "rang rung", "rise": "rose risen", "run": "ran run", "say": "said",
        "see": "saw seen", "seek": "sought", "sell": "sold", "send": "sent", "set": "set",
        "sew": "sewed sewn", "shake": "shook shaken", "shed": "shed", "shine": "shone shined",
        "shoot": "shot", "show": "showed shown", "shrink": "shrank shrunk", "shut": "shut",
        "sing": "sang sung", "sink": "sank sunk", "sit": "sat", "sleep": "slept", "slide": "slid",
        "sling": "slung", "slit": "slit", "speak": "spoke spoken", "speed": "sped speeded",
        "spell": "spelled spelt", "spend": "spent", "spill": "spilled spilt", "spin": "spun",
        "spit": "spat spit", "split": "split", "spread": "spread", "spring": "sprang sprung",
        "stand": "stood", "steal": "stole stolen", "stick": "stuck", "sting": "stung",
        "stink": "stank stunk", "strike": "struck stricken", "string": "strung",
        "strive": "strove striven", "swear": "swore sworn", "sweep": "swept",
        "swim": "swam swum", "swing": "swung", "take": "took taken", "teach": "taught",
        "tear": "tore torn", "tell": "told", "think": "thought", "throw": "threw thrown",
        "thrust": "thrust", "tread": "trod trodden", "wake": "woke woken", "wear": "wore worn",
        "weave": "wove woven", "weep": "wept", "wet": "wet wetted", "win": "won",
        "wind": "wound", "wring": "wrung", "write": "wrote written",
    }.items()
}

#: Every form, for the verbs whose third person is irregular too.
WHOLE: dict[str, tuple[str, ...]] = {
    "be": ("am", "is", "are", "was", "were", "been", "being"),
    "have": ("has", "had", "having"),
}

#: Longer verbs that double their last consonant (the stress is on the last syllable).
STRESS_FINAL = frozenset(
    "abet acquit admit allot begin commit compel concur confer control debug defer deter "
    "dispel embed emit enrol equip expel extol incur infer kidnap occur omit outwit patrol "
    "permit prefer propel rebel recur refer regret remit repel submit transfer transmit".split()
)

#: A verb after one of these is inflected as the verb: resend -> resent, unzip -> unzipped.
#: Longest first, so that "under" is tried before "un".
PREFIXES = ("under", "over", "with", "out", "for", "mis", "pre", "in", "re", "un", "up")


def _syllables(word: str) -> int:
    core = "j" + word[1:] if word.startswith("y") else word  # a leading y is a consonant
    return len(re.findall(r"[aeiouy]+", core.replace("qu", "q")))


def _cvc(word: str) -> bool:
    """Ends in consonant, single vowel, consonant (not w, x, y): drop, ship, quit."""
    w = word.replace("qu", "q")  # the u of qu is not a vowel: quit, quiz
    return (
        len(w) >= 3
        and w[-1] not in _VOWELS
        and w[-1] not in "wxy"
        and w[-2] in _VOWELS
        and w[-3] not in _VOWELS
    )


def _split(word: str, min_rest: int):
    """(prefix, verb) for each prefix of `PREFIXES` that leaves at least `min_rest` letters."""
    for p in PREFIXES:
        if word.startswith(p) and len(word) - len(p) >= min_rest:
            yield p, word[len(p):]


def _doubles(word: str) -> bool:
    if word in STRESS_FINAL:
        return True
    if _cvc(word) and _syllables(word) == 1:
        return True
    return any(rest in STRESS_FINAL or (_cvc(rest) and _syllables(rest) == 1) for _p, rest in _split(word, 3))


def _irregular(word: str, table: dict[str, tuple[str, ...]]) -> tuple[str, ...] | None:
    if word in table:
        return table[word]
    for prefix, rest in _split(word, 2):
        forms = _irregular(rest, table)
        if forms is not None:
            return tuple(prefix + f for f in forms)
    return None


def _consonant_y(word: str) -> bool:
    return len(word) >= 2 and word[-1] == "y" and word[-2] not in _VOWELS


def third_person(word: str) -> str:
    if _consonant_y(word):
        return word[:-1] + "ies"
    if word.endswith(("s", "z")) and _doubles(word):
        return word + word[-1] + "es"  # quiz -> quizzes
    if word.endswith(("s", "x", "z", "ch", "sh")) or (word.endswith("o") and len(word) >= 2 and word[-2] not in _VOWELS):
        return word + "es"
    return word + "s"


def _suffixed(word: str, suffix: str) -> list[str]:
    """`word` + "ed" or "ing", with the spelling rules above (several when both are used)."""
    if suffix == "ing" and word.endswith("ie"):
        return [word[:-2] + "ying"]
    if word.endswith("e"):
        if suffix == "ed":
            return [word + "d"]
        return [word + "ing"] if word.endswith(("ee", "oe", "ye")) else [word[:-1] + "ing"]
    if suffix == "ed" and _consonant_y(word):
        return [word[:-1] + "ied"]
    if _doubles(word):
        return [word + word[-1] + suffix]
    if word.endswith("l") and _cvc(word) and _syllables(word) > 1:
        return [word + suffix, word + "l" + suffix]  # canceled, cancelled
    return [word + suffix]


def inflectable(word: str) -> bool:
    """A plain lower-case a-z word with a vowel: the words `inflect` changes."""
    return _PLAIN.fullmatch(word) is not None and _syllables(word) > 0


@functools.lru_cache(maxsize=1 << 18)
def verb_forms(word: str) -> tuple[str, ...]:
    """The inflected forms of `word` (not `word` itself), sorted; () when it is left as written."""
    if not inflectable(word):
        return ()
    whole = _irregular(word, WHOLE)
    if whole is not None:
        return tuple(sorted(set(whole) - {word}))
    forms = {third_person(word), *_suffixed(word, "ing")}
    past = _irregular(word, IRREGULAR)
    forms.update(past if past is not None else _suffixed(word, "ed"))
    forms.discard(word)
    return tuple(sorted(forms))


def plural_forms(text: str) -> tuple[str, ...]:
    """The plural of a noun or of a phrase's last word (normalised text): "invoice" ->
    "invoices", "gift card" -> "gift cards", "policy" -> "policies". A word already ending in
    s, or one `inflect` leaves alone (another script, digits, an abbreviation), has none."""
    head, sep, last = text.rpartition(" ")
    if not inflectable(last) or last.endswith("s"):
        return ()
    return (head + sep + third_person(last),)


def phrase_forms(text: str) -> tuple[str, ...]:
    """Forms of a word or phrase (normalised text): a phrase inflects its first word,
    "tear down" -> "tearing down", "tore down", ..."""
    first, sep, rest = text.partition(" ")
    return tuple(f + sep + rest for f in verb_forms(first))
