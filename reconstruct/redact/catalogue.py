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

from reconstruct.redact.rules import Rule

EXCLUDED = frozenset(
    {
        "Base64HighEntropyString",
        "HexHighEntropyString",
        "IPPublicDetector",
        "KeywordDetector",
    }
)
MIN_TRIGGER = 3


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
                found.append(Rule(kind, pattern, literal_triggers(pattern)))
    return tuple(found)


def literal_triggers(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Lower-case substrings one of which any match of ``pattern`` contains: its longest run of
    literal characters at the top level (``k_live_`` in ``(?:r|s)k_live_[0-9a-zA-Z]{24}``), else
    the leading literals of each branch of a leading alternation (``akia``, ``asia``... in
    ``(?:AKIA|ASIA)[A-Z0-9]{16}``); None when neither has at least three characters."""
    try:
        parser: Any = importlib.import_module("re._parser")
        parsed = parser.parse(pattern.pattern, pattern.flags)
        literal = parser.LITERAL
        subpattern = parser.SUBPATTERN
        branch = parser.BRANCH
    except Exception:  # noqa: BLE001 - a private module: no triggers, the rule always runs
        return None
    items = list(parsed)
    best = _longest_run(items, literal)
    if len(best) >= MIN_TRIGGER:
        return (best.lower(),)
    first = items[0] if items else None
    if first is not None and first[0] is subpattern:
        inner = list(first[1][-1])
        first = inner[0] if len(inner) == 1 else None
    if first is not None and first[0] is branch:
        heads = [_leading_run(list(alt), literal) for alt in first[1][1]]
        if heads and all(len(h) >= MIN_TRIGGER for h in heads):
            return tuple(sorted({h.lower() for h in heads}))
    return None


def _longest_run(items: list[Any], literal: Any) -> str:
    best = run = ""
    for op, arg in items:
        if op is literal:
            run += chr(arg)
            if len(run) > len(best):
                best = run
        else:
            run = ""
    return best


def _leading_run(items: list[Any], literal: Any) -> str:
    run = ""
    for op, arg in items:
        if op is not literal:
            break
        run += chr(arg)
    return run
