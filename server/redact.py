"""What of a prompt may reach a routing event: the capture modes and the redacted preview.

Three modes, from the observability config: ``off`` (only a hash and measures), ``redacted_preview``
(the default: a short prefix with anything sensitive masked) and ``full`` (the routed input, for
deliberate calibration runs; also switched on by ``HROUTER_LOG_PROMPTS=1``). This module is the
only place that decides which prompt text an event may carry.

Masking runs on RE2 (linear time on any input) and masks before it truncates, so a secret cut by the
preview's end can never leave a readable prefix behind.

The logged preview (``log_preview``) is stricter than the masks alone, because a log must not hold a
prompt, nor a secret written as prose ("my password is hunter2", "admin / CorrectHorseBattery"):

- it keeps at most half the prompt's words (and at most ``PREVIEW_WORDS``), so no prompt, however
  short, is its own preview;
- a sentence that names a credential (password, passphrase, PIN, secret, token, login, ...) is
  replaced whole, and so are the sentences just before and after it;
- a word is kept only if it looks like a plain word (letters, an apostrophe or hyphen, no digit,
  no capital after its first letter, at most 16 letters); anything else (``hunter2``, an AWS secret
  with ``/``, ``CorrectHorseBatteryStaple``, a PIN) becomes ``[…]``, as do the words on either side
  of a lone ``/`` (``user / password``).

What it cannot tell from prose is a password that is one plain lowercase word with no credential
word in or next to its sentence; such a word can appear only within the first half of the prompt.

The prompt is read by the engine's own conversation reader (``engine/conversation.py``), so what is
logged is what was routed.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from typing import Any

import re2

from hrouter.engine.conversation import IMAGE_PART_TYPES, TEXT_PART_TYPES, extract

CAPTURE_OFF = "off"
CAPTURE_REDACTED = "redacted_preview"
CAPTURE_FULL = "full"
CAPTURE_MODES = (CAPTURE_OFF, CAPTURE_REDACTED, CAPTURE_FULL)
ENV_LOG_PROMPTS = "HROUTER_LOG_PROMPTS"
PREVIEW_CHARS = 120
PREVIEW_WORDS = 12
#: The preview reads at most this much of the prompt: enough for PREVIEW_WORDS words and the
#: sentences around them, and a 1 MB prompt costs no more than a short one.
_PREVIEW_SCAN = 4096
_PREVIEW_MARGIN = 64
_CREDENTIAL = re.compile(
    r"(?i)(?<![a-z])(?:pass(?:word|phrase|code|wd)s?|pwd|pins?|secrets?|credentials?|log-?ins?|sign-?ins?|"
    r"user ?names?|api[ _-]?keys?|access[ _-]?keys?|secret[ _-]?keys?|private[ _-]?keys?|tokens?|otp|2fa|mfa|"
    r"ssn|cvv|passport|iban|account (?:number|no))(?![a-z])"
)
_SENTENCE_END = re.compile(r"((?<=[.!?;:\n])\s+|\n+|,\s+)")
_PLAIN_WORD = re.compile(r"^[(\"'“‘«]*([^\W\d_][^\W\d_]{0,15}(?:['’-][^\W\d_]{1,15})*)[)\"'”’».,;:!?]*$")
_MARKER = "[…]"

# Order matters: whole structures (PEM blocks, URLs, key=value pairs) are masked before the
# generic token and digit rules could mask only part of them and leave the rest readable.
_MASKS: tuple[tuple[Any, str], ...] = tuple(
    (re2.compile(pattern), replacement)
    for pattern, replacement in (
        # PEM private keys, even when the END line was cut off.
        (r"(?s)-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", "[PRIVATE_KEY]"),
        # Credentials inside URLs (scheme://user:pass@host).
        (r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/@:]+:[^\s/@]+@", r"\1[CREDENTIALS]@"),
        # A URL keeps its scheme, host and path; the query string and fragment are masked.
        (r"(?i)(\bhttps?://[^\s?#]+)[?#][^\s]*", r"\1?[QUERY]"),
        (r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b", "[EMAIL]"),
        (r"(?i)\bbearer\s+[a-z0-9._~+/=-]+", "Bearer [SECRET]"),
        (r"(?i)\bbasic\s+[a-z0-9+/=]{8,}", "Basic [SECRET]"),
        # name = value, name: value, "name": "value" for credential-like names.
        (
            r"(?i)\b([a-z0-9_-]*(?:api[_-]?key|token|secret|passw(?:or)?d|passwd|pwd|auth(?:orization)?|"
            r"credential|private[_-]?key|access[_-]?key|session[_-]?id|cookie)[a-z0-9_-]*)"
            r"(\"?\s*[:=]\s*\"?)[^\s\",;]+",
            r"\1\2[SECRET]",
        ),
        # Well-known key shapes: OpenAI/Anthropic (sk-...), GitHub, Slack, AWS, Google, JWTs.
        (r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{8,}", "[KEY]"),
        (r"\b(?:sk|pk|rk|hf|ghp|gho|ghu|ghs|ghr|glpat|github_pat|xox[abprs])[_-][A-Za-z0-9_-]{8,}", "[KEY]"),
        (r"\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b", "[KEY]"),
        (r"\bAIza[A-Za-z0-9_-]{20,}", "[KEY]"),
        (r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*", "[KEY]"),
        # Long hex runs, and long runs that mix letters and digits, look like keys or tokens
        # (short ones such as "gpt4" or "v2" stay readable).
        (r"\b[0-9a-fA-F]{24,}\b", "[KEY]"),
        (r"[A-Za-z0-9+_=-]{20,}", None),
        # Phone, card and account numbers: any run of 6+ digits, with optional separators.
        (r"\d(?:[ .-]?\d){5,}", "[NUMBER]"),
    )
)

def capture_mode(configured: str | None = CAPTURE_REDACTED, environ: Any = None) -> str:
    """The effective mode: the env switch turns a preview into full capture, never an explicit
    ``off`` (whoever wrote ``off`` meant no prompt on disk); an unknown value falls back to the
    default."""
    env = os.environ if environ is None else environ
    if configured == CAPTURE_OFF:
        return CAPTURE_OFF
    if str(env.get(ENV_LOG_PROMPTS, "")).strip().lower() in {"1", "true", "yes", "on"}:
        return CAPTURE_FULL
    if configured in CAPTURE_MODES:
        return configured
    return CAPTURE_REDACTED


def _mask_long_token(match: Any) -> str:
    token = match.group(0)
    has_digit = any(c.isdigit() for c in token)
    has_letter = any(c.isalpha() for c in token)
    return "[KEY]" if has_digit and has_letter else token


def redact(text: str) -> str:
    """Mask e-mail addresses, URL query strings, keys, tokens, credentials and long digit runs."""
    out = text
    for pattern, replacement in _MASKS:
        out = pattern.sub(_mask_long_token if replacement is None else replacement, out)
    return out


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """A short, redacted, single-line prefix of ``text``.

    A long text is masked only up to the last white space of its first ``_PREVIEW_SCAN``
    characters (masking all of a 1 MB prompt took 30 to 80 ms), when that head alone gives more
    than the preview plus ``_PREVIEW_MARGIN``: every mask but the digit run stops at white space,
    so it masks the head as it masks the whole text (a private key cut off is masked to the end),
    and a digit run crossing the cut is still 6 digits long in the head, since at least the
    margin of digits and separators lies between the shown part and the cut."""
    if len(text) > _PREVIEW_SCAN:
        head = text[:_PREVIEW_SCAN].rsplit(None, 1)
        flat = " ".join(redact(head[0]).split()) if len(head) == 2 else ""
        if len(flat) >= limit + _PREVIEW_MARGIN:
            return flat[: limit - 1].rstrip() + "…"
    flat = " ".join(redact(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _mask_credential_sentences(text: str) -> str:
    parts = _SENTENCE_END.split(text)  # sentence, separator, sentence, ...
    named = {i for i in range(0, len(parts), 2) if _CREDENTIAL.search(parts[i])}
    hidden = {j for i in named for j in (i - 2, i, i + 2)}
    return "".join(_MARKER if i in hidden else part for i, part in enumerate(parts))


def _plain(token: str) -> bool:
    match = _PLAIN_WORD.match(token)
    return bool(match) and not any(c.isupper() for c in match.group(1)[1:])


def log_preview(text: str) -> str:
    """What the event log keeps of a prompt's text in the preview modes (see the module doc)."""
    tokens = redact(_mask_credential_sentences(text[:_PREVIEW_SCAN])).split()
    words = len(text.split(None, 2 * PREVIEW_WORDS))  # of the prompt itself, capped: cheap on 1 MB
    keep = min(PREVIEW_WORDS, words // 2)
    out: list[str] = []
    for i, token in enumerate(tokens[:keep]):
        beside_slash = "/" in (tokens[i - 1] if i else "", tokens[i + 1] if i + 1 < len(tokens) else "")
        # A "!" after a plain word may end a password ("hunter!"): such a word is shown without it.
        if token.startswith("[") and token.endswith("]"):
            shown = token
        elif _plain(token) and not beside_slash:
            shown = token.replace("!", "")
        else:
            shown = _MARKER
        if not (shown == _MARKER and out and out[-1] == _MARKER):
            out.append(shown)
    flat = " ".join(out)
    if len(flat) > PREVIEW_CHARS - 2:
        flat = flat[: PREVIEW_CHARS - 2].rsplit(" ", 1)[0]
    return (flat + " …").strip()


def latest_user_text(prompt: Any) -> str:
    """The text the router measures: the prompt itself, or the latest user message's text,
    read by the engine's conversation reader."""
    return extract(prompt, 0).message


def replayable_input(prompt: Any) -> Any:
    """The routed input as a full-capture event keeps it: text kept, attachment bytes dropped.

    Image and file parts keep their type (the router routes on their presence) but not their data,
    so a captured event stays small and replay sees the same attachments.
    """
    if isinstance(prompt, str):
        return prompt
    if not isinstance(prompt, (list, tuple)):
        return ""
    kept = []
    for message in prompt:
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if isinstance(content, list):
            content = [_strip_part(p) for p in content if isinstance(p, dict)]
        elif not isinstance(content, str):
            content = ""
        kept.append({"role": message.get("role"), "content": content})
    return kept


def _strip_part(part: dict[str, Any]) -> dict[str, Any]:
    """A content part as replay needs it: text parts of every type the engine reads as text,
    image parts without their bytes (the router routes on their presence)."""
    kind = part.get("type")
    if kind in TEXT_PART_TYPES:
        return {"type": kind, "text": part.get("text", "")}
    if kind == "image_url":
        return {"type": "image_url", "image_url": {"url": "omitted:"}}
    if kind in IMAGE_PART_TYPES:
        return {"type": kind}
    return {"type": kind}


def estimated_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def prompt_fields(prompt: Any, mode: str) -> dict[str, Any]:
    """The prompt-derived fields of an event for a capture mode (already resolved)."""
    text = latest_user_text(prompt)
    fields: dict[str, Any] = {
        "prompt_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "prompt_chars": len(text),
        "estimated_tokens": estimated_tokens(text),
    }
    if mode == CAPTURE_REDACTED:
        fields["prompt_preview"] = log_preview(text)
    elif mode == CAPTURE_FULL:
        fields["prompt_preview"] = log_preview(text)
        fields["prompt"] = replayable_input(prompt)
    return fields
