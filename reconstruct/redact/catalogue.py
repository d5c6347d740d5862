"""detect-secrets' detection rules, as redaction rules.

detect-secrets (Yelp, Apache-2.0, https://github.com/Yelp/detect-secrets) keeps one plugin per
secret format: a class with a ``secret_type`` ("AWS Access Key", "Slack Token"...) and, for the
regex plugins, a ``denylist`` of compiled patterns. We take every regex plugin it ships, found the
way detect-secrets finds them itself (``get_mapping_from_secret_type_to_class``), so a new release
that adds a format adds it here with no change of ours. ``secret_type`` lower-cased is the kind the
marker names (``[redacted: stripe access key]``).

Left out on purpose (``EXCLUDED``): the high-entropy plugins (they flag every commit SHA, request
ID and dashboard UID an incident is full of), public IP addresses (hosts are facts of the
incident) and the keyword plugin (made for source files by file type; ``rules.keyword_spans``
does keywords for chat). Their verification code (which calls the vendors' APIs) is never run.

Triggers are read from each pattern's own literal text (``literal_triggers``): a pattern that
starts ``xox`` is only tried on texts that contain ``xox``. A pattern with no usable literal is
tried on every text, so a rule is never skipped wrongly, only run more often.
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache
from typing import Any

from reconstruct.redact.rules import Rule, min_width, token_run

EXCLUDED = frozenset(
    {
        "Base64HighEntropyString",
        "HexHighEntropyString",
        "IPPublicDetector",
        "KeywordDetector",
    }
)
MIN_TRIGGER = 2


@lru_cache(maxsize=1)
def rules() -> tuple[Rule, ...]:
    """One Rule per pattern of every detect-secrets regex plugin (sorted by plugin name, so the
    order is stable); empty when detect-secrets cannot be imported."""
    try:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
        from detect_secrets.plugins.base import RegexBasedDetector
    except ImportError:  # pragma: no cover - a declared dependency
        return ()
    found: list[Rule] = []
    plugins: dict[str, Any] = dict(get_mapping_from_secret_type_to_class())
    for plugin in sorted(plugins.values(), key=lambda cls: cls.__name__):
        if plugin.__name__ in EXCLUDED or not issubclass(plugin, RegexBasedDetector):
            continue
        denylist = getattr(plugin, "denylist", ())
        if not isinstance(denylist, list | tuple):
            continue
        kind = str(plugin.secret_type).lower()
        for pattern in denylist:
            if isinstance(pattern, re.Pattern):
                exact = not pattern.flags & re.IGNORECASE
                found.append(
                    Rule(
                        kind,
                        pattern,
                        literal_triggers(pattern),
                        exact=exact,
                        min_len=min_width(pattern),
                        run=token_run(pattern),
                    )
                )
    return tuple(found)


def literal_triggers(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Substrings one of which every match of ``pattern`` contains, lower-cased for a
    case-insensitive pattern (tested against the lower-cased text) and as written otherwise
    (tested against the text itself): ``("k_live_",)`` for ``(?:r|s)k_live_[0-9a-zA-Z]{24}``,
    ``("A3T", "ABIA", "ACCA", "AKIA", "ASIA")`` for ``(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)...``.
    The sequence of literals (small character sets and alternations expanded) whose shortest
    string is longest wins; None when it is shorter than ``MIN_TRIGGER`` characters (one for a
    lone punctuation mark), so the rule is always tried."""
    try:
        parser: Any = importlib.import_module("re._parser")
        parsed = parser.parse(pattern.pattern, pattern.flags)
        candidates: list[frozenset[str]] = []
        _walk(list(parsed), parser, {""}, candidates)
    except Exception:  # noqa: BLE001 - a private module: no triggers, the rule always runs
        return None
    ignore_case = bool(pattern.flags & re.IGNORECASE)
    best: frozenset[str] | None = None
    for found in candidates:
        if not found or "" in found:
            continue
        if best is None or (min(map(len, found)), -len(found)) > (
            min(map(len, best)),
            -len(best),
        ):
            best = found
    if best is None:
        return None
    shortest = min(map(len, best))
    enough = shortest >= MIN_TRIGGER or all(len(t) == 1 and not t.isalnum() for t in best)
    if not enough:
        return None
    return tuple(sorted({t.lower() for t in best} if ignore_case else best))


MAX_SET = 16


def _walk(items: list[Any], parser: Any, run: set[str], out: list[frozenset[str]]) -> set[str]:
    """Extend ``run`` (the strings a match has read so far, since the last item that is not a
    literal) over ``items``; each run broken off is appended to ``out``. Returns the open run."""
    for op, arg in items:
        options = _strings(op, arg, parser)
        if options is not None and len(run) * len(options) <= MAX_SET:
            run = {a + b for a in run for b in options}
        elif op is parser.SUBPATTERN and arg[1] == 0 and arg[2] == 0:
            run = _walk(list(arg[3]), parser, run, out)
        else:
            heads = _heads(op, arg, parser)
            if heads and len(run) * len(heads) <= MAX_SET:
                run = {a + b for a in run for b in heads}  # each alternative's literal start
            out.append(frozenset(run))
            run = {""}
            if op in (parser.MAX_REPEAT, parser.MIN_REPEAT) and arg[0] >= 1 and len(arg[2]) == 1:
                item_op, item_arg = arg[2][0]
                last = _strings(item_op, item_arg, parser)  # ``\d{8,10}:``: digit, then ``:``
                run = last if last is not None else {""}
    out.append(frozenset(run))
    return run


def _strings(op: Any, arg: Any, parser: Any) -> set[str] | None:
    """The strings one item can match when they are few and fixed (a literal, a small set of
    literal characters, an alternation of such); None otherwise."""
    if op is parser.LITERAL:
        return {chr(arg)}
    if op is parser.IN:
        if len(arg) <= 10 and all(o is parser.LITERAL for o, _ in arg):
            return {chr(a) for _, a in arg}
        return None
    if op is parser.BRANCH:
        found: set[str] = set()
        for alternative in arg[1]:
            strings = {""}
            for sub_op, sub_arg in alternative:
                options = _strings(sub_op, sub_arg, parser)
                if options is None or len(strings) * len(options) > MAX_SET:
                    return None
                strings = {a + b for a in strings for b in options}
            found |= strings
        return found if len(found) <= MAX_SET else None
    if op is parser.SUBPATTERN and arg[1] == 0 and arg[2] == 0:
        strings = {""}
        for sub_op, sub_arg in arg[3]:
            options = _strings(sub_op, sub_arg, parser)
            if options is None or len(strings) * len(options) > MAX_SET:
                return None
            strings = {a + b for a in strings for b in options}
        return strings
    return None


def _heads(op: Any, arg: Any, parser: Any) -> set[str] | None:
    """For an alternation: each alternative's leading literal characters (``3T``, ``BIA``... in
    ``A(?:3T[A-Z0-9]|BIA|...)``); None for anything else."""
    if op is not parser.BRANCH:
        return None
    heads: set[str] = set()
    for alternative in arg[1]:
        head = ""
        for sub_op, sub_arg in alternative:
            if sub_op is not parser.LITERAL:
                break
            head += chr(sub_arg)
        heads.add(head)
    return heads
