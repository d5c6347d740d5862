"""Words a set of patterns cannot match without: a cheap test before the regular expressions.

``required_words(patterns)`` gives, for each pattern, its longest run of literal characters that
every match contains (read from the pattern's top level: ``\\broot cause\\b`` -> ``root cause``),
lower-cased. A case-insensitive search of ASCII text can match only when one of them is in the
lower-cased text. None when a pattern has no such run of ``MIN_WORD`` characters or more (or
cannot be read): then every text needs the search.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from typing import Any

MIN_WORD = 3


def _stdlib(name: str) -> Any:
    """The standard library's own regular-expression parser (CPython 3.11+), or None."""
    try:
        return importlib.import_module(name)
    except ImportError:  # pragma: no cover - another Python
        return None


sre_parser = _stdlib("re._parser")
LITERAL = getattr(_stdlib("re._constants"), "LITERAL", None)


def required_words(patterns: Iterable[str]) -> tuple[str, ...] | None:
    words: list[str] = []
    for pattern in patterns:
        word = _longest_literal(pattern)
        if word is None or len(word) < MIN_WORD:
            return None
        words.append(word)
    return tuple(dict.fromkeys(words)) or None


def _longest_literal(pattern: str) -> str | None:
    if sre_parser is None or LITERAL is None:
        return None
    try:
        parsed = sre_parser.parse(pattern, re.IGNORECASE)
    except (re.error, RecursionError, ValueError, TypeError):
        return None
    best = ""
    run: list[str] = []
    for op, value in parsed.data:
        if op is LITERAL and isinstance(value, int) and value < 128:
            run.append(chr(value))
            continue
        best = max(best, "".join(run), key=len)
        run = []
    best = max(best, "".join(run), key=len)
    return best.lower()
