"""The one pagination guard every source's paging loop uses.

APIs page differently (PagerDuty by offset, Slack by cursor, GitHub by ``Link: rel="next"``,
Grafana backwards by time), but all can loop: a cursor that comes back, a next link to a page
already read, a server that ignores the time bound. Each loop asks its ``PageGuard`` before the
next request whether it may go on, and says what it saw; the loop itself words the warning.

    guard = PageGuard(ctx.policy.max_pages)
    while not guard.full():                 # stop (and warn) after max_pages pages
        page = fetch(...)
        if guard.repeated(key_of(page)):    # this key seen ``repeats - 1`` times already: a loop
            warn(...); break
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable


class PageGuard:
    """Counts the pages of one listing and the keys they were fetched by (or hold)."""

    def __init__(self, max_pages: int, *, repeats: int = 2) -> None:
        self.max_pages = max_pages
        """Pages one listing may have; more stops it (the caller warns: records are missing)."""
        self.repeats = repeats
        """The number of times one key may come up before it counts as a loop (2: at once)."""
        self.pages = 0
        """Pages accepted so far."""
        self._seen: Counter[Hashable] = Counter()

    def full(self) -> bool:
        """Whether ``max_pages`` pages were read already."""
        return self.pages >= self.max_pages

    def repeated(self, key: Hashable) -> bool:
        """Record ``key`` for the page just read; True (and the page not counted) when it came
        ``repeats`` times now, so paging goes round in a circle."""
        self._seen[key] += 1
        if self._seen[key] >= self.repeats:
            return True
        self.pages += 1
        return False

    def seen(self, key: Hashable) -> bool:
        """Whether ``key`` (say, the next cursor) was recorded before, without recording it."""
        return self._seen[key] > 0
