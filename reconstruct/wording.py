"""A count and its noun, in the number the count needs: ``1 record``, ``2 records``.

Used wherever a user reads a count (warnings, progress, the coverage note), so that a count of
one never reads "1 messages".
"""

from __future__ import annotations


def count_of(count: int, singular: str, plural: str | None = None) -> str:
    """``1 record``, ``1,204 records``; ``plural`` defaults to ``singular + "s"``
    (``count_of(1, "entry", "entries")``)."""
    noun = singular if count == 1 else (plural or f"{singular}s")
    return f"{count:,} {noun}"
