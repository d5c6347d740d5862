"""Hide secrets in text before it is rendered anywhere.

``redact(text)`` replaces what looks like a credential with ``[redacted]``:

    Slack tokens            xoxb-..., xoxp-..., xoxa-..., xoxr-..., xoxs-..., xoxe-..., xapp-...
    GitHub tokens           ghp_, gho_, ghu_, ghs_, ghr_, github_pat_
    AWS access key ids      AKIA... / ASIA... (20 characters)
    Grafana tokens          glsa_... (service account), glc_... (cloud)
    bearer tokens           Bearer <token>          -> Bearer [redacted]
    PagerDuty API tokens    Token token=<token>     -> Token token=[redacted]
    PEM private keys        -----BEGIN ... PRIVATE KEY----- ... -----END ... PRIVATE KEY-----
    passwords in URLs       scheme://user:pass@host -> scheme://user:***@host
    the tool's own tokens   the values of PAGERDUTY_TOKEN, SLACK_TOKEN, GITHUB_TOKEN and
                            GRAFANA_TOKEN (``config.TOKEN_ENV``), wherever they appear

plus any ``extra_secrets`` the caller passes. The token values are read through
``config.token()`` on each ``redact`` call, or once per ``Redactor`` (a renderer builds one per
render and applies it to every text), and never appear in any output or message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from reconstruct.config import TOKEN_ENV, token

MARK = "[redacted]"
MIN_SECRET_LEN = 4
"""Literal secrets shorter than this are ignored: replacing them would shred ordinary text."""

_PEM = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----.*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|\Z)",
    re.DOTALL,
)
_TOKENS = re.compile(
    r"""
      \bxox[abeprs]-[A-Za-z0-9-]{5,}
    | \bxapp-[A-Za-z0-9-]{5,}
    | \bgh[pousr]_[A-Za-z0-9]{20,}
    | \bgithub_pat_[A-Za-z0-9_]{20,}
    | \b(?:AKIA|ASIA)[A-Z0-9]{16}\b
    | \bglsa_[A-Za-z0-9_]{20,}
    | \bglc_[A-Za-z0-9+/=_-]{20,}
    """,
    re.VERBOSE,
)
_BEARER = re.compile(
    r"\b(Bearer)\s+(?=[A-Za-z\-._~+/]*\d)[A-Za-z0-9\-._~+/]{8,}=*",  # a token has a digit
    re.IGNORECASE,
)
_PD_TOKEN = re.compile(r"\b(Token\s+token=[\"']?)[A-Za-z0-9_+\-.]+", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"\b([A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@]+):[^\s/@]+@")


def tool_secrets(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The values of the tool's own token variables that are set (for literal redaction)."""
    found: list[str] = []
    for source in sorted(TOKEN_ENV):
        secret = token(source, environ)
        if secret is not None:
            found.append(secret.reveal())
    return tuple(found)


def _may_match(text: str) -> bool:
    """False only when none of the patterns can match: each needs one of these substrings (in
    ASCII text; ``IGNORECASE`` also matches a few non-ASCII letters, so those texts say True)."""
    if not text.isascii():
        return True
    if "_" in text and ("gh" in text or "github_pat_" in text or "gl" in text):
        return True  # gh*_, github_pat_, glsa_, glc_ (an ``_`` alone, as in ``log_entry``, is not)
    if "-----BEGIN " in text or "xox" in text or "xapp-" in text:
        return True  # PEM; Slack tokens
    if "AKIA" in text or "ASIA" in text or ("@" in text and "://" in text):
        return True  # AWS key ids; a password in a URL
    lower = text.lower()
    return "bearer" in lower or "token" in lower


class Redactor:
    """``redact`` with its literal secrets fixed: build one per render, call it per text."""

    __slots__ = ("_literals",)

    def __init__(self, extra_secrets: Iterable[str] = ()) -> None:
        literals = {s for s in (*tool_secrets(), *extra_secrets) if len(s) >= MIN_SECRET_LEN}
        self._literals = tuple(sorted(literals, key=lambda s: (-len(s), s)))

    def __call__(self, text: str) -> str:
        if not text:
            return text
        for secret in self._literals:
            if secret in text:
                text = text.replace(secret, MARK)
        if not _may_match(text):
            return text  # no pattern can match: every substitution below would be a no-op
        text = _PEM.sub("[redacted private key]", text)
        text = _TOKENS.sub(MARK, text)
        text = _BEARER.sub(lambda m: f"{m.group(1)} {MARK}", text)
        text = _PD_TOKEN.sub(lambda m: f"{m.group(1)}{MARK}", text)
        return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:***@", text)


def redact(text: str, extra_secrets: Iterable[str] = ()) -> str:
    """``text`` with every credential-looking part replaced by a ``[redacted]`` marker."""
    if not text:
        return text
    return Redactor(extra_secrets)(text)
