"""``[github] leadup_match``: does a change's title or labels mention one of the terms?

Text and terms are split into lower-case word parts (``ReduceCacheTTL`` and ``cache_ttl`` give
``reduce cache ttl`` and ``cache ttl``); a term matches at the start of a word part and may end
inside one, so ``ttl`` matches "Reduce cache TTL" and ``limit`` matches "rate-limiter".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from reconstruct.model import Event

_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def word_parts(text: str) -> str:
    return " ".join(part.lower() for part in _PART.findall(text))


@dataclass(frozen=True, slots=True)
class LeadupMatcher:
    terms: tuple[tuple[str, re.Pattern[str]], ...]

    def match(self, event: Event) -> str | None:
        """The first configured term the title matches, else the labels (the summary's
        ``(labels: ...)`` and the tags), or None."""
        title, _, labels = event.summary.partition("(labels:")
        for text in (title, " ".join((labels, *sorted(event.tags)))):
            parts = word_parts(text)
            for term, pattern in self.terms:
                if pattern.search(parts):
                    return term
        return None


def compile_leadup(terms: Iterable[str]) -> LeadupMatcher:
    return _compile(tuple(terms))


@lru_cache(maxsize=16)
def _compile(terms: tuple[str, ...]) -> LeadupMatcher:
    compiled = []
    for term in terms:
        parts = word_parts(term).split()
        if parts:
            pattern = re.compile(r"(?<![a-z0-9])" + " ".join(re.escape(p) for p in parts))
            compiled.append((term, pattern))
    return LeadupMatcher(tuple(compiled))
