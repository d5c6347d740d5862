"""The redaction rules: what a secret looks like, and the kind its marker names.

A ``Rule`` finds secrets with one regular expression. Its ``triggers`` are lower-case substrings of
which at least one must occur in a text for the rule to be tried at all (the cheap test that keeps
redaction near free on ordinary chat); ``None`` means the rule is always tried.

Three families, tried in this order (on overlap the earlier rule names the kind):

``BLOCKS``
    Multi-line secrets replaced whole, before anything else: PEM private-key blocks (RSA, EC, DSA,
    OpenSSH, PKCS#8, encrypted, PGP, PuTTY), with real or ``\\n``-escaped line breaks, to their END
    line (or the end of the text when it was cut), and JSON service-account keys (Google Cloud's
    ``"type": "service_account"`` object, from its ``{`` to its matching ``}``).
``OWN``
    Formats the catalogue (``catalogue.py``) lacks or matches only in part, and the keyword-anchored
    rules: a value after ``secret``, ``password``, ``token``, ``api_key``, ``routing_key``... as
    ``key=value``, ``key: value``, ``"key": "value"`` or ``the token is VALUE``; connection-string
    passwords (``Password=...;``); basic auth in URLs; bearer and PagerDuty ``Token token=``
    headers.
the catalogue
    detect-secrets' regex plugins (``catalogue.rules()``), a maintained list.

Where a match is only part of a token (a pattern that stops after the documented prefix length),
the redacted span grows to the whole run of token characters around it (``expand``), so no tail
of a secret is left behind.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str
    """What the marker names: ``[redacted: <kind>]``."""
    pattern: re.Pattern[str]
    triggers: tuple[str, ...] | None
    """Lower-case substrings, one of which must be in the text; None: always tried."""
    check: Callable[[str], bool] | None = None
    """A further test on the found secret (False: not a secret)."""
    expand: bool = True
    """Grow the span over the token characters around it."""
    exact: bool = False
    """``triggers`` are tested against the text as written, not lower-cased."""
    min_len: int = 0
    """The shortest text the pattern can match (a shorter text is not searched)."""
    run: int = 0
    """Every match holds this many token characters in a row (``TOKEN_RUN``; 0: not known)."""

    def wanted(self, text: str, lowered: str) -> bool:
        """Whether the rule can match: one of its triggers is in the text (always, without)."""
        if self.triggers is None:
            return True
        haystack = text if self.exact else lowered
        return any(t in haystack for t in self.triggers)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each secret in ``text``: the rule's groups that matched, else the
        whole match."""
        found: list[tuple[int, int]] = []
        for match in self.pattern.finditer(text):
            groups = [i for i in range(1, (self.pattern.groups or 0) + 1) if match.group(i)]
            parts = [match.span(i) for i in groups] if groups else [match.span()]
            for start, end in parts:
                if end <= start:
                    continue
                if self.check is not None and not self.check(text[start:end]):
                    continue
                found.append(expand(text, start, end) if self.expand else (start, end))
        return found


_TOKEN_LEFT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+")
_TOKEN_RIGHT = _TOKEN_LEFT | frozenset("/=.~%")


def expand(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` grown over the token characters around it: letters, digits, ``_ - +``
    to the left (not ``= : /``, which end a key name or a URL part), and also ``/ = . ~ %``
    to the right (base64 padding, a URL path the secret is part of)."""
    while start > 0 and text[start - 1] in _TOKEN_LEFT:
        start -= 1
    n = len(text)
    while end < n and text[end] in _TOKEN_RIGHT:
        end += 1
    while end > start + 1 and text[end - 1] in ".":
        end -= 1  # a sentence's full stop is not part of the token
    return start, end


def _has_digit_and_letter(value: str) -> bool:
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _looks_secret(value: str) -> bool:
    """A free-standing value after a keyword: letters and digits mixed, not a git SHA, not a
    URL, not a marker."""
    if value.startswith(("http", "[redacted")) or _SHA.fullmatch(value):
        return False
    if "=" in value.rstrip("="):
        return False  # ``key=value`` itself, left to the assignment rule
    return _has_digit_and_letter(value)


def _assigned(value: str) -> bool:
    """A value after ``key=`` / ``key: ``: not empty-looking, not a placeholder or a marker."""
    low = value.lower()
    if low.startswith("[redacted") or low in {"null", "none", "true", "false", "undefined"}:
        return False
    if low.startswith(("${", "{{", "<", "%(", "$(")) or set(low) <= {"*", "x", "."}:
        return False  # a template variable or a mask, not a value
    return True


def _aws_secret(value: str) -> bool:
    return (
        any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() for c in value)
    )


# Keywords whose value is a secret. Affixes are allowed (``DB_PASSWORD``, ``x-api-key``,
# ``SLACK_TOKEN``, ``client_secret``, ``AccountKey``).
_KEYWORDS = (
    r"secret|password|passwd|passphrase|pwd|token|api[_ -]?key|apikey|access[_ -]?key"
    r"|private[_ -]?key|routing[_ -]?key|integration[_ -]?key|service[_ -]?key|auth[_ -]?key"
    r"|account[_ -]?key|sharedaccesskey|signing[_ -]?key|credentials?"
)
KEYWORD_TRIGGERS = (
    "secret",
    "passw",
    "passphrase",
    "pwd",
    "token",
    "key",
    "credential",
)
_KIND = {
    "passwd": "password",
    "pwd": "password",
    "passphrase": "password",
    "apikey": "api key",
    "sharedaccesskey": "shared access key",
    "credentials": "credential",
}


def keyword_kind(keyword: str) -> str:
    """``DB_Password`` -> ``password``; ``x-api-key`` -> ``api key``."""
    low = keyword.lower()
    match = re.search(_KEYWORDS, low)
    if match is None:
        return "secret"
    found = match.group()
    return _KIND.get(found, found.replace("_", " ").replace("-", " "))


# key = value, key: value, "key": "value", key => value (the value is the secret). The match
# starts at the keyword (``DB_PASSWORD=`` is found at ``PASSWORD``), which keeps the scan cheap.
_ASSIGN = re.compile(
    r"(?i)(?P<key>(?:" + _KEYWORDS + r")(?:s\b|[_.-][\w.-]*)?)[\"']?"
    r"(?:\s*(?::=|=>|=)\s*|\s*:\s+|:(?=[\"']))[\"'`]?"
    r"(?P<value>(?!\[redacted)[^\s\"'`;,&<>|)\]}]{4,})"
)
# the token is VALUE / secret VALUE / routing key: VALUE (a free-standing value: mixed letters
# and digits, eight characters or more).
_NEAR = re.compile(
    r"(?i)(?<![A-Za-z0-9])(?P<key>" + _KEYWORDS + r")s?\b"
    r"(?:\s+(?:is|was|are|of|for|to|the|a|new|our|my|your|here|now|set|=|:|-))*"
    r"\s*[:=]?\s*[\"'`]?(?P<value>[A-Za-z0-9+/_.=~-]{8,})"
)


def keyword_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every value after a secret keyword in ``text``."""
    found: list[tuple[int, int, str]] = []
    for match in _ASSIGN.finditer(text):
        value = match.group("value")
        if _assigned(value):
            start, end = match.span("value")
            found.append((start, _trim(text, start, end), keyword_kind(match.group("key"))))
    for match in _NEAR.finditer(text):
        value = match.group("value")
        if _looks_secret(value):
            start, end = expand(text, *match.span("value"))
            found.append((start, end, keyword_kind(match.group("key"))))
    return found


def _trim(text: str, start: int, end: int) -> int:
    """A value's end without a sentence's closing punctuation."""
    while end > start + 1 and text[end - 1] in ".,":
        end -= 1
    return end


def _rule(
    kind: str,
    pattern: str,
    triggers: tuple[str, ...] | None,
    check: Callable[[str], bool] | None = None,
    *,
    expand: bool = True,
    exact: bool = False,
) -> Rule:
    compiled = re.compile(pattern)
    return Rule(
        kind, compiled, triggers, check, expand, exact, min_width(compiled), token_run(compiled)
    )


RUN = 16
TOKEN_RUN = re.compile(f"[A-Za-z0-9_-]{{{RUN}}}")
"""A run of ``RUN`` token characters: what a rule with ``run >= RUN`` needs in a text."""
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def token_run(pattern: re.Pattern[str]) -> int:
    """The longest run of token characters (letters, digits, ``_``, ``-``) every match of
    ``pattern`` holds: the largest minimum count of a top-level repeat over a set of such
    characters (``[A-Za-z0-9]{36}`` -> 36); 0 when there is none or the pattern cannot be read.
    Case-insensitive patterns count too (case folding keeps ASCII letters letters)."""
    try:
        parser: Any = importlib.import_module("re._parser")
        items = list(parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - a private module: no bound
        return 0
    best = 0
    for op, arg in items:
        if op in (parser.MAX_REPEAT, parser.MIN_REPEAT) and len(arg[2]) == 1:
            item_op, item_arg = arg[2][0]
            if item_op is parser.IN and _token_set(item_arg, parser):
                best = max(best, int(arg[0]))
    return best


def _token_set(items: Any, parser: Any) -> bool:
    """Whether a character set holds only token characters (ASCII letters, digits, ``_ -``)."""
    for op, arg in items:
        if op is parser.LITERAL:
            if chr(arg) not in _TOKEN_CHARS:
                return False
        elif op is parser.RANGE:
            low, high = arg
            if not all(chr(c) in _TOKEN_CHARS for c in range(low, high + 1)):
                return False
        else:
            return False  # \d, \w and negations reach beyond ASCII
    return True


def min_width(pattern: re.Pattern[str]) -> int:
    """The fewest characters a match of ``pattern`` has (0 when it cannot be read)."""
    try:
        parser: Any = importlib.import_module("re._parser")
        return int(parser.parse(pattern.pattern, pattern.flags).getwidth()[0])
    except Exception:  # noqa: BLE001 - a private module: no bound
        return 0


BLOCK_PEM = re.compile(
    r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----.*?"
    r"(?:-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|\Z)"
    r"|PuTTY-User-Key-File-\d+:.*?(?:Private-MAC:\s*[0-9a-fA-F]+|\Z)",
    re.DOTALL,
)
BLOCK_SERVICE_ACCOUNT = re.compile(r"[\"']type[\"']\s*:\s*[\"']service_account[\"']")


def service_account_span(text: str, match: re.Match[str]) -> tuple[int, int]:
    """The JSON object around a ``"type": "service_account"`` match: from the nearest ``{``
    before it to its matching ``}`` (strings skipped), or to the end when the text was cut."""
    start = text.rfind("{", 0, match.start())
    if start < 0:
        start = match.start()
    depth = 0
    in_string = False
    i = start
    n = len(text)
    while i < n:
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return start, i + 1
        i += 1
    return start, n


OWN: tuple[Rule, ...] = (
    _rule(
        "slack webhook",
        r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/\S+",
        ("hooks.slack",),
        expand=False,
    ),
    _rule(
        "discord webhook",
        r"https?://(?:\w+\.)?discord(?:app)?\.com/api/webhooks/\S+",
        ("discord",),
        expand=False,
    ),
    _rule("slack token", r"\bxox[abeoprs]-[A-Za-z0-9-]{5,}", ("xox",)),
    _rule("slack token", r"\bxapp-\d-[A-Za-z0-9-]{5,}", ("xapp-",)),
    _rule(
        "github token",
        r"\bgh[pousr]_[A-Za-z0-9]{20,}",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    ),
    _rule("github token", r"\bgithub_pat_[A-Za-z0-9_]{20,}", ("github_pat_",)),
    _rule(
        "gitlab token",
        r"\bgl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-[A-Za-z0-9_-]{20,}",
        (
            "glpat-",
            "gldt-",
            "glft-",
            "glsoat-",
            "glrt-",
            "glcbt-",
            "glimt-",
            "glptt-",
            "glagent-",
            "gloas-",
        ),
    ),
    _rule("grafana token", r"\bglsa_[A-Za-z0-9_]{20,}", ("glsa_",)),
    _rule("grafana token", r"\bglc_[A-Za-z0-9+/=_-]{20,}", ("glc_",)),
    _rule(
        "aws access key",
        r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b",
        ("akia", "asia", "abia", "acca", "a3t"),
    ),
    _rule(
        "aws secret key",
        r"(?i)(?:secret|aws)[^\n]{0,40}?(?<![A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        ("secret", "aws"),
        _aws_secret,
    ),
    _rule("stripe key", r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}", ("_live_", "_test_")),
    _rule("stripe webhook secret", r"\bwhsec_[A-Za-z0-9+/=]{20,}", ("whsec_",)),
    _rule("npm token", r"\bnpm_[A-Za-z0-9]{36}\b", ("npm_",)),
    _rule("pypi token", r"\bpypi-[A-Za-z0-9_-]{50,}", ("pypi-",)),
    _rule("google api key", r"\bAIza[0-9A-Za-z_-]{35}", ("aiza",)),
    _rule("google oauth token", r"\bya29\.[0-9A-Za-z_-]{20,}", ("ya29.",)),
    _rule("openai key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}", ("sk-",)),
    _rule("anthropic key", r"\bsk-ant-[a-z0-9]+-[A-Za-z0-9_-]{20,}", ("sk-ant-",)),
    _rule("vault token", r"\bhv[sbr]\.[A-Za-z0-9_-]{24,}", ("hvs.", "hvb.", "hvr.")),
    _rule("digitalocean token", r"\bdo[por]_v1_[a-f0-9]{64}", ("_v1_",)),
    _rule("new relic key", r"\bNR(?:AK|II|JS)-[A-Za-z0-9]{20,}", ("nrak-", "nrii-", "nrjs-")),
    _rule("sendgrid key", r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}", ("sg.",)),
    _rule("twilio key", r"\b(?:AC|SK)[0-9a-f]{32}\b", ("AC", "SK"), exact=True),
    _rule("shopify token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}", ("shp",)),
    _rule("azure client secret", r"(?<![\w~.-])[\w~.-]{3}\dQ~[\w~.-]{31,34}", ("q~",)),
    _rule("azure sas signature", r"(?i)[?&;]sig=([A-Za-z0-9%+/=]{16,})", ("sig=",)),
    _rule(
        "json web token", r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.?[A-Za-z0-9_-]*", ("eyj",)
    ),
    _rule(
        "password in url",
        r"://[^\s/:@]*:([^\s/@]+)@",
        ("@",),
        expand=False,
    ),
    _rule(
        "bearer token",
        r"(?i)\bbearer\s+([A-Za-z0-9\-._~+/]{8,}=*)",
        ("bearer",),
        _has_digit_and_letter,
    ),
    _rule(
        "basic auth",
        r"(?i)\bauthorization[\"']?\s*[:=]\s*[\"']?basic\s+([A-Za-z0-9+/]{8,}=*)",
        ("basic",),
    ),
    _rule("pagerduty token", r"(?i)\btoken\s+token=[\"']?([^\s\"',;]+)", ("token=",), expand=False),
)
"""Formats the catalogue lacks or only half matches (its Stripe pattern stops at 24 characters,
its JWT one before the signature, its npm one needs ``.npmrc`` context; it has no Grafana,
Google, OpenAI-style ``sk-``, Vault, DigitalOcean, New Relic, Shopify or Azure AD rule)."""
