"""Hide secrets in text before it is rendered, delivered or logged.

``redact(text)`` replaces each secret with a marker that names its kind and nothing of its value,
``[redacted: aws access key]``; the text around it stays, so a row that carried a secret is still
shown (that something was pasted is itself a fact of the incident). What is found, in this order:

1. Blocks, replaced whole: PEM private keys, JSON service-account keys (``rules.BLOCKS``).
2. The tool's own tokens, literally, wherever they appear: the values of ``PAGERDUTY_TOKEN``,
   ``SLACK_TOKEN``, ``GITHUB_TOKEN`` and ``GRAFANA_TOKEN`` (``config.TOKEN_ENV``), read through
   ``config.token()`` once per ``Redactor``; plus any ``extra_secrets`` the caller passes.
3. Formats and keyword-anchored values (``rules.OWN``, ``rules.keyword_spans``), then
   detect-secrets' catalogue (``catalogue.rules()``), then a team's ``[redact] extra`` patterns.
   A match that one of ``[redact] allow`` matches whole is kept (the tool's own tokens and blocks
   never are).

``Redactor`` is built once per render (or delivery) and called per text; ``redact(text)`` builds
one with the built-in rules only (logs, sinks without a config).

Cost: a text whose characters are only letters and spaces cannot hold a secret any built-in rule
finds (each needs a digit, a delimiter or a ``-----``), so it is returned after the literal
checks; otherwise each rule runs only when one of its trigger substrings is in the lower-cased
text. ``benchmarks/redact.py`` measures it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from reconstruct.config import TOKEN_ENV, token
from reconstruct.redact import rules as _rules
from reconstruct.redact.rules import Rule

MIN_SECRET_LEN = 4
"""Literal secrets shorter than this are ignored: replacing them would shred ordinary text."""
MARKER = re.compile(r"\[redacted: [^\]\n]{1,60}\]")
"""A marker this module wrote (later passes leave it alone, so redaction is idempotent)."""
EXTRA_KIND = "extra pattern"


def marker(kind: str) -> str:
    """``[redacted: <kind>]``."""
    return f"[redacted: {kind}]"


def tool_secrets(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The values of the tool's own token variables that are set (for literal redaction)."""
    found: list[str] = []
    for source in sorted(TOKEN_ENV):
        secret = token(source, environ)
        if secret is not None:
            found.append(secret.reveal())
    return tuple(found)


def _tool_literals(
    environ: Mapping[str, str] | None, extra_secrets: Iterable[str]
) -> tuple[tuple[str, str], ...]:
    """(value, kind) of each literal secret, longest first."""
    literals: dict[str, str] = {}
    for source, name in sorted(TOKEN_ENV.items()):
        secret = token(source, environ)
        if secret is not None and len(secret.reveal()) >= MIN_SECRET_LEN:
            literals.setdefault(secret.reveal(), name)
    for value in extra_secrets:
        if len(value) >= MIN_SECRET_LEN:
            literals.setdefault(value, "secret")
    return tuple(sorted(literals.items(), key=lambda kv: (-len(kv[0]), kv[0])))


def _compile_all(patterns: Sequence[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


class Redactor:
    """``redact`` with its literal secrets and team patterns fixed: build one per render, call it
    per text. ``extra`` are a team's own regular expressions (the first group that matched is the
    secret, else the whole match); ``allow`` are regular expressions for harmless matches (a found
    secret that one of them matches whole is kept)."""

    __slots__ = ("_allow", "_catalogue", "_extra", "_literals")

    def __init__(
        self,
        extra_secrets: Iterable[str] = (),
        *,
        extra: Sequence[str] = (),
        allow: Sequence[str] = (),
        environ: Mapping[str, str] | None = None,
    ) -> None:
        from reconstruct.redact import catalogue

        self._literals = _tool_literals(environ, extra_secrets)
        self._extra = tuple(Rule(EXTRA_KIND, p, None, expand=False) for p in _compile_all(extra))
        self._allow = _compile_all(allow)
        self._catalogue = catalogue.rules()

    @classmethod
    def from_config(cls, config: object) -> Redactor:
        """A Redactor with ``[redact] extra`` and ``allow`` from ``config`` (a ``Config``)."""
        settings = getattr(config, "redact", None)
        extra = tuple(getattr(settings, "extra", ()) or ())
        allow = tuple(getattr(settings, "allow", ()) or ())
        return cls(extra=extra, allow=allow)

    def __call__(self, text: str) -> str:
        if not text:
            return text
        if "-----BEGIN " in text or "PuTTY-User-Key-File-" in text:
            text = _rules.BLOCK_PEM.sub(marker("private key"), text)
        if "service_account" in text:
            text = self._service_accounts(text)
        for secret, kind in self._literals:
            if secret in text:
                text = text.replace(secret, marker(kind))
        if not self._extra and _only_words(text):
            return text
        spans = self._spans(text)
        if not spans:
            return text
        return _apply(text, spans)

    @staticmethod
    def _service_accounts(text: str) -> str:
        while True:
            match = _rules.BLOCK_SERVICE_ACCOUNT.search(text)
            if match is None:
                return text
            start, end = _rules.service_account_span(text, match)
            text = text[:start] + marker("service account key") + text[end:]

    def _spans(self, text: str) -> list[tuple[int, int, str]]:
        lowered = text.lower()
        found: list[tuple[int, int, str]] = []
        for rule in _rules.OWN:
            if rule.triggers is None or any(t in lowered for t in rule.triggers):
                found.extend((s, e, rule.kind) for s, e in rule.spans(text))
        if any(t in lowered for t in _rules.KEYWORD_TRIGGERS):
            found.extend(_rules.keyword_spans(text))
        for rule in (*self._catalogue, *self._extra):
            if rule.triggers is None or any(t in lowered for t in rule.triggers):
                found.extend((s, e, rule.kind) for s, e in rule.spans(text))
        if not found:
            return found
        kept = [s for s in found if not self._allowed(text[s[0] : s[1]])]
        protected = [m.span() for m in MARKER.finditer(text)] if "[redacted: " in text else []
        if protected:
            kept = [s for s in kept if not any(s[0] < e and b < s[1] for b, e in protected)]
        return kept

    def _allowed(self, secret: str) -> bool:
        return any(p.fullmatch(secret) for p in self._allow)


def _only_words(text: str) -> bool:
    """True when ``text`` holds nothing but letters and spaces (no digit, no punctuation)."""
    return text.replace(" ", "").isalpha()


def _apply(text: str, spans: list[tuple[int, int, str]]) -> str:
    """``text`` with each span replaced by its marker; overlapping spans become one, named by
    the one that starts first (the earlier rule on a tie)."""
    order = sorted(range(len(spans)), key=lambda i: (spans[i][0], -spans[i][1], i))
    out: list[str] = []
    pos = 0
    cur_start, cur_end, cur_kind = -1, -1, ""
    for i in order:
        start, end, kind = spans[i]
        if start < cur_end:
            cur_end = max(cur_end, end)
            continue
        if cur_end >= 0:
            out.append(text[pos:cur_start])
            out.append(marker(cur_kind))
            pos = cur_end
        cur_start, cur_end, cur_kind = start, end, kind
    out.append(text[pos:cur_start])
    out.append(marker(cur_kind))
    out.append(text[cur_end:])
    return "".join(out)


def redact(text: str, extra_secrets: Iterable[str] = ()) -> str:
    """``text`` with every credential-looking part replaced by a ``[redacted: kind]`` marker."""
    if not text:
        return text
    return Redactor(extra_secrets)(text)


__all__ = ["MARKER", "Redactor", "marker", "redact", "tool_secrets"]
