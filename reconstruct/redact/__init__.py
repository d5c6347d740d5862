"""Hide secrets in text before it is rendered, delivered or logged.

``redact(text)`` replaces each secret with a marker that names its kind and nothing of its value,
``[redacted: aws access key]``; the text around it stays, so a row that carried a secret is still
shown (that something was pasted is itself a fact of the incident). What is found, in this order:

1. Blocks, replaced whole: PEM private keys, JSON service-account keys (``rules.BLOCKS``).
2. The tool's own tokens, literally, wherever they appear: the value of every registered
   source's token variable (``Source.token_env``: ``PAGERDUTY_TOKEN``, ``SLACK_TOKEN``,
   ``GITHUB_TOKEN``, ``GRAFANA_TOKEN`` and any source added since; ``token_variables``), read
   once per ``Redactor``; plus any ``extra_secrets`` the caller passes.
3. Formats (base64-encoded private keys among them) and keyword-anchored values (``rules.ALL``,
   ``keywords.keyword_spans``: also a Kubernetes Secret's ``data`` values, ``manifests``), then
   detect-secrets' catalogue (``catalogue.rules()``), then a team's ``[redact] extra`` patterns.
   A match that one of ``[redact] allow`` matches whole is kept (the tool's own tokens and blocks
   never are).

``Redactor`` is built once per render (or delivery) and called per text; ``redact(text)`` builds
one with the built-in rules only (logs, sinks without a config).

Cost: a text of letters and spaces only, with no word of ``rules.RUN`` (16) letters or more, is
returned after the literal checks: the formats need a digit, punctuation or a long run of
letters (the one exception, the catalogue's Artifactory ``AP...`` pattern, would match 11-letter
words that are not keys), unless it says ``requirepass``, ``masterauth`` or ``password``
(``credfiles``: ``requirepass foobared``, a ``.netrc`` entry). Otherwise a rule runs only when
the text holds one of its triggers (``_Index``: one Aho-Corasick pass per case) and, for the
rules whose every match holds 16 token characters in a row, such a run.
``benchmarks/redact.py`` measures it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from reconstruct.config import TOKEN_ENV, allow_problem, env_token
from reconstruct.errors import ConfigError
from reconstruct.redact import keywords as _keywords
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


def token_variables() -> tuple[str, ...]:
    """Every registered source's token variable(s) (``Source.token_env``: the registry is the
    one list, so a source added later is redacted too), with the built-in ``config.TOKEN_ENV``,
    sorted: ``("EXAMPLE_TOKEN", "GITHUB_TOKEN", ...)``."""
    from reconstruct import collectors  # imported on use: the sources' packages load lazily

    found = set(TOKEN_ENV.values())
    for name in collectors.names():
        env: object = collectors.get_source(name).token_env
        if isinstance(env, str):
            found.add(env)
        elif isinstance(env, tuple | list):  # a source read by more than one variable
            found.update(e for e in env if isinstance(e, str))
    return tuple(sorted(found))


def tool_secrets(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The values of the tool's own token variables that are set (for literal redaction)."""
    found: list[str] = []
    for name in token_variables():
        secret = env_token(name, environ)
        if secret is not None:
            found.append(secret.reveal())
    return tuple(found)


def _tool_literals(
    environ: Mapping[str, str] | None, extra_secrets: Iterable[str]
) -> tuple[tuple[str, str], ...]:
    """(value, kind) of each literal secret, longest first; kind is the variable's name."""
    literals: dict[str, str] = {}
    for name in token_variables():
        secret = env_token(name, environ)
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
    secret that one of them matches whole is kept; one that would keep every secret, such as
    ``.*``, is a ``ConfigError``: ``config.allow_problem``)."""

    __slots__ = ("_allow", "_extra", "_index", "_learned", "_literals", "_memo")

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
        for pattern in allow:
            problem = allow_problem(pattern)
            if problem is not None:
                raise ConfigError(f"[redact] allow: {problem}")
        self._allow = _compile_all(allow)
        self._index = _index((*_rules.ALL, *catalogue.rules()))
        self._learned: tuple[tuple[str, str], ...] = ()
        self._memo: dict[str, str] = {}

    @classmethod
    def from_config(cls, config: object) -> Redactor:
        """A Redactor with ``[redact] extra`` and ``allow`` from ``config`` (a ``Config``)."""
        settings = getattr(config, "redact", None)
        extra = tuple(getattr(settings, "extra", ()) or ())
        allow = tuple(getattr(settings, "allow", ()) or ())
        return cls(extra=extra, allow=allow)

    def learn(self, texts: Iterable[str]) -> None:
        """Read every text a render will show before any is redacted: a secret found in one
        (``CONFLUENT_API_SECRET=<it>``) is then hidden in every other text that repeats it
        without a keyword (``api-key store <key> <it>``), the way ``_copies`` does within one
        text. Only values of ``COPY_MIN`` characters or more that are not a plain word are
        carried over. Deterministic: the carried values are applied longest first."""
        learned = dict(self._learned)
        for text in texts:
            if not text or text in self._memo:
                continue
            found: list[tuple[str, str]] = []
            self._memo[text] = self._redact(text, found)
            for value, kind in found:
                if len(value) >= COPY_MIN and not value.isalpha() and not MARKER.search(value):
                    learned.setdefault(value, kind)
        self._learned = tuple(sorted(learned.items(), key=lambda kv: (-len(kv[0]), kv[0])))

    def __call__(self, text: str) -> str:
        if not text:
            return text
        done = self._memo.get(text)
        if done is None:
            done = self._redact(text, None)
        for secret, kind in self._learned:
            if secret in done:
                done = done.replace(secret, marker(kind))
        return done

    def _redact(self, text: str, found: list[tuple[str, str]] | None) -> str:
        """``text`` redacted on its own; each value hidden by a rule is added to ``found``."""
        if "-----BEGIN " in text or "PuTTY-User-Key-File-" in text:
            text = _rules.BLOCK_PEM.sub(marker("private key"), text)
        if "service_account" in text:
            text = self._service_accounts(text)
        for secret, kind in self._literals:
            if secret in text:
                text = text.replace(secret, marker(kind))
        if (
            not self._extra
            and _only_words(text)
            and _rules.TOKEN_RUN.search(text) is None
            and not (
                ("pass" in text or "auth" in text or "PASS" in text or "AUTH" in text)
                and _words_secret(text)
            )
        ):
            return text
        if _LONG_SPACE.search(text) is None:
            spans = self._spans(text)
        else:
            spans = self._segmented_spans(text)
        if not spans:
            return text
        spans = _whole_words(text, spans)
        if found is not None:
            found.extend((text[start:end], kind) for start, end, kind in spans)
        return _apply(text, spans + _copies(text, spans))

    def _segmented_spans(self, text: str) -> list[tuple[int, int, str]]:
        """``_spans`` of each stretch between runs of ``LONG_SPACE`` whitespace characters: some
        catalogue patterns (detect-secrets' IBM Cloud one: `` *(?:=| +) *``) take cubic time on
        a long run of spaces, and no secret spans one."""
        found: list[tuple[int, int, str]] = []
        pos = 0
        for run in _LONG_SPACE.finditer(text):
            if run.start() > pos:
                found.extend(
                    (s + pos, e + pos, k) for s, e, k in self._spans(text[pos : run.start()])
                )
            pos = run.end()
        if pos < len(text):
            found.extend((s + pos, e + pos, k) for s, e, k in self._spans(text[pos:]))
        return found

    @staticmethod
    def _service_accounts(text: str) -> str:
        while True:
            match = _rules.BLOCK_SERVICE_ACCOUNT.search(text)
            if match is None:
                return text
            start, end = _rules.service_account_span(text, match)
            text = text[:start] + marker("service account key") + text[end:]

    def _spans(self, text: str) -> list[tuple[int, int, str]]:
        found: list[tuple[int, int, str]] = []
        index = self._index
        wanted = index.wanted(text)
        keywords = _KEYWORD in wanted
        for i in sorted(wanted):  # rule order decides the kind on a tie
            if i == _KEYWORD:
                continue
            if keywords and i >= index.keyword_at:
                found.extend(_fitted(text, _keywords.keyword_spans(text), found))
                keywords = False
            rule = index.rules[i]
            if len(text) >= rule.min_len and (spans := rule.spans(text)):
                found.extend((s, e, rule.kind) for s, e in spans)
        if keywords:
            found.extend(_fitted(text, _keywords.keyword_spans(text), found))
        for rule in self._extra:
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


LONG_SPACE = 32
"""Whitespace runs this long split a text before the rules run (``_segmented_spans``)."""
_LONG_SPACE = re.compile(rf"\s{{{LONG_SPACE},}}")

_KEYWORD = -1
"""The keyword-anchored rules' place in a trigger index."""


@dataclass(frozen=True, slots=True)
class _Index:
    """Which rules a text can need, found in one pass per case with an Aho-Corasick automaton
    (pyahocorasick): ``folded`` finds the lower-case triggers in the lower-cased text, ``exact``
    the case-sensitive ones in the text; each trigger found names the rules it gates."""

    rules: tuple[Rule, ...]
    always: frozenset[int]
    folded: Any
    exact: Any
    keyword_at: int
    """Where the keyword rules run in rule order (after ``rules.ALL``)."""
    need_run: frozenset[int]
    """The rules whose every match holds a run of ``rules.RUN`` token characters."""

    def wanted(self, text: str) -> frozenset[int]:
        """The rules (by position; ``_KEYWORD`` for the keyword rules) ``text`` can need: those
        whose trigger it holds, less those that need a run of ``RUN`` token characters when it
        has none."""
        hits = [ids for _, ids in self.folded.iter(text.lower())]
        hits += [ids for _, ids in self.exact.iter(text)]
        wanted = self.always.union(*hits) if hits else self.always
        if wanted and self.need_run & wanted and _rules.TOKEN_RUN.search(text) is None:
            wanted = wanted - self.need_run
        return wanted


def _automaton(table: dict[str, set[int]]) -> Any:
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for trigger, ids in table.items():
        automaton.add_word(trigger, frozenset(ids))
    if not table:
        automaton.add_word("\x00\x00never", frozenset())  # an empty automaton cannot search
    automaton.make_automaton()
    return automaton


@lru_cache(maxsize=4)
def _index(rules: tuple[Rule, ...]) -> _Index:
    always = {i for i, r in enumerate(rules) if r.triggers is None}
    folded: dict[str, set[int]] = {t: {_KEYWORD} for t in _keywords.KEYWORD_TRIGGERS}
    exact: dict[str, set[int]] = {}
    for i, rule in enumerate(rules):
        for trigger in rule.triggers or ():
            (exact if rule.exact else folded).setdefault(trigger, set()).add(i)
    return _Index(
        rules=rules,
        always=frozenset(always),
        folded=_automaton(folded),
        exact=_automaton(exact),
        keyword_at=len(_rules.ALL),
        need_run=frozenset(i for i, r in enumerate(rules) if r.run >= _rules.RUN),
    )


_SYMBOLS = _keywords.VALUE_SYMBOLS
"""Symbols a password may end in, and a sentence too."""


def _fitted(
    text: str, spans: list[tuple[int, int, str]], formats: list[tuple[int, int, str]]
) -> list[tuple[int, int, str]]:
    """Keyword spans without trailing symbols where a format rule found the value up to them:
    ``token xoxb-...!`` is a Slack token and an exclamation mark (the format's alphabet has no
    ``!``); ``pw is Hunter2-Pr1cing!`` keeps its ``!`` in the password (no format knows it)."""
    if not formats:
        return spans
    fitted: list[tuple[int, int, str]] = []
    for start, end, kind in spans:
        cut = end
        while cut > start and text[cut - 1] in _SYMBOLS:
            cut -= 1
        if cut < end and any(s <= start and e == cut for s, e, _ in formats):
            end = cut
        fitted.append((start, end, kind))
    return fitted


def _only_words(text: str) -> bool:
    """True when ``text`` holds nothing but letters and spaces (no digit, no punctuation)."""
    return text.replace(" ", "").isalpha()


_WORDS_SECRET = re.compile(r"(?i)requirepass|masterauth|\bpassword\b")


def _words_secret(text: str) -> bool:
    """Whether a text of words only that says ``pass`` or ``auth`` (lower or upper case) can
    still hold a secret: the credential files' shapes need no digit or punctuation
    (``requirepass foobared``, ``machine h login u password p``)."""
    return _WORDS_SECRET.search(text) is not None


def _whole_words(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Each span widened over the letters and digits either side of it: a value never starts or
    ends inside a word, so no rule (a filler word mistaken for part of the phrase, a pattern
    that anchors late) can leave the first or last characters of a secret in the text."""
    n = len(text)
    widened: list[tuple[int, int, str]] = []
    for start, end, kind in spans:
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        while end < n and text[end].isalnum():
            end += 1
        widened.append((start, end, kind))
    return widened


COPY_MIN = 8
"""A found secret this long or longer is also hidden wherever else the text repeats it."""


def _copies(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Spans of the other places ``text`` repeats a secret one of ``spans`` found: a password
    caught in a connection URL is also hidden where the same message passes it to a client
    (``redis-cli -a <it>``) or quotes it again. Only values of ``COPY_MIN`` characters or more
    that are not a plain word (one holding a digit, a symbol or a space), so a found value that
    is an ordinary word never shreds the rest of the text."""
    found: list[tuple[int, int, str]] = []
    for start, end, kind in spans:
        value = text[start:end]
        if len(value) < COPY_MIN or value.isalpha() or text.count(value) < 2:
            continue
        at = text.find(value)
        while at >= 0:
            if not any(s < at + len(value) and at < e for s, e, _ in spans):
                found.append((at, at + len(value), kind))
            at = text.find(value, at + len(value))
    return found


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
