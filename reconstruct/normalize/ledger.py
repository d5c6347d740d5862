"""The normalizer's side of the accounting invariant: every record is shown or counted.

A record handed to ``normalize`` (an event; one that folds others in at parse time stands for
``weights[key]`` records) ends in exactly one place, per source (the event's first source):

- ``shown``: in a row of the timeline, alone or merged with other tools' records;
- ``omitted[source][reason]``: left out, under a named reason: a copy of a record already read
  (``DUPLICATE``), outside the collection window (``OUTSIDE_REASON``), or not selected (the reasons
  ``reasons.omission`` gives, which name the scope: ``messages without a keyword, pin or
  reaction in slack:#inc-4821``).

``scoped`` holds the same records left out, keyed as ``Timeline.omitted`` shows them: one count,
two views, so the two always agree (per scope: the rows selection left out, with every record
merged into them, and people's plain messages, under the scope they were found in,
``slack:#inc-4821``; ``OUTSIDE`` for the window; ``"<scope> (<reason>)"`` for copies).

Cross-tool merging folds records into rows without saying which; ``fold`` finds each folded
record's row again: the row holding all of its links (``merge.combine`` unions them), of its
kind and nearest in time; a merged row then counts each of its records under that record's own
source (the row itself is its primary record's). Costs one pass over the records, plus a link
index over merged rows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from reconstruct.model import Event
from reconstruct.normalize.utc import OUTSIDE

DUPLICATE = "copies of a record already read"
OUTSIDE_REASON = "outside the collection window"
BEFORE_REASON = "records before the incident window"
"""A record of the collection window older than the incident window (``Window.start``) that no
lead-up rule keeps; named ``"<reason> in <scope>"`` alike for every source (a Grafana state
annotation, a Slack thread's early message)."""
NO_ROW = "merged into a row that was not found"
"""Never expected (``fold`` finds every folded record's row); counted rather than lost."""


def scope_of(event: Event) -> str:
    """Where a record was found (``Event.scope``, else its first source)."""
    return event.scope or source_of(event)


def source_of(event: Event) -> str:
    """The source a record is counted under (its first; parsed records have one)."""
    return event.sources[0] if event.sources else "unknown"


@dataclass(slots=True)
class Ledger:
    weights: Mapping[str, int] = field(default_factory=dict)
    """Records per event key beyond the first (parse-time folds); absent: none."""
    shown: Counter[str] = field(default_factory=Counter)
    omitted: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    members: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    """Per merged row key: (source, records) of every record folded into it."""
    scoped: Counter[str] = field(default_factory=Counter)
    """The records of ``omitted`` per ``Timeline.omitted`` key (module docstring)."""

    def weight(self, event: Event) -> int:
        return 1 + self.weights.get(event.key, 0) if self.weights else 1

    def omit(self, events: Iterable[Event], reason: str) -> None:
        """Count whole events (records not yet merged) under ``reason``; ``OUTSIDE_REASON``
        is shown as ``OUTSIDE``, any other under the event's scope."""
        for event in events:
            n = self.weight(event)
            self.omitted[source_of(event)][reason] += n
            self.scoped[OUTSIDE if reason == OUTSIDE_REASON else scope_of(event)] += n

    def omit_counts(
        self, counts: Mapping[tuple[str, str], int], by_scope: Mapping[str, int]
    ) -> None:
        """Count ``{(source, reason): records}`` (single records, already counted), the same
        records per scope in ``by_scope``."""
        for (source, reason), n in counts.items():
            self.omitted[source][reason] += n
        self.scoped.update(by_scope)

    def duplicates(self, before: list[Event], unique: list[Event]) -> None:
        """Copies dropped by ``dedup_exact`` (same key): each extra copy is one record."""
        if len(before) == len(unique):
            return
        copies = Counter(event.key for event in before)
        first: dict[str, Event] = {}
        for event in before:
            if copies[event.key] > 1 and event.key in first:
                self.omitted[source_of(event)][DUPLICATE] += 1
                self.scoped[f"{scope_of(event)} ({DUPLICATE})"] += 1
            first.setdefault(event.key, event)

    def fold(
        self, before: list[Event], after: list[Event], grown: frozenset[str] = frozenset()
    ) -> None:
        """Find the row of every record ``merge`` folded into another record's row (a row of
        several sources, or one whose key is in ``grown``: a row of one tool that took records
        of the same tool)."""
        if len(before) == len(after):
            return
        kept = {event.key for event in after}
        folded = [event for event in before if event.key not in kept]
        unchanged = {id(event) for event in before}  # a row passed through took no record
        merged = [
            row
            for row in after
            if id(row) not in unchanged and (len(row.sources) > 1 or row.key in grown)
        ]
        by_link: dict[str, list[Event]] = defaultdict(list)
        for row in merged:
            for link in row.links:
                by_link[link.url].append(row)
        members, weights = self.members, self.weights
        merged_keys = {row.key for row in merged}
        primary = {e.key: source_of(e) for e in before if e.key in merged_keys}
        """A merged row's source is its primary record's (the row keeps that record's key)."""
        for event in folded:
            found = _row_of(event, by_link, merged)
            share = members.pop(event.key, None) or [(source_of(event), self.weight(event))]
            if found is None:
                self.omitted[source_of(event)][NO_ROW] += sum(n for _, n in share)
                self.scoped[f"{scope_of(event)} ({NO_ROW})"] += sum(n for _, n in share)
                continue
            mine = members.get(found.key)
            if mine is None:
                source = primary.get(found.key) or source_of(found)
                mine = members[found.key] = [(source, weights.get(found.key, 0) + 1)]
            mine.extend(share)

    def settle(
        self,
        kept: Iterable[Event],
        dropped: Iterable[tuple[Event, str]],
        echoes: Mapping[str, str] | None = None,
    ) -> None:
        """Count the rows selection kept as shown and the rows it dropped under their reason,
        each with every record merged into it; ``echoes``: row key -> the reason the records
        of other sources merged into that dropped row are counted under (a deploy bot's posts
        of a deploy set aside are no deploys)."""
        shown, members, weights = self.shown, self.members, self.weights
        if not members and not weights:  # the usual case: one record per row
            shown.update(row.sources[0] if row.sources else "unknown" for row in kept)
        else:
            for row in kept:
                for source, n in self._records(row):
                    shown[source] += n
        if not members and not weights:
            pairs = Counter(
                (row.sources[0] if row.sources else "unknown", why) for row, why in dropped
            )
            for (source, reason), n in pairs.items():
                self.omitted[source][reason] += n
            self.scoped.update(scope_of(row) for row, _ in dropped)
            return
        for row, reason in dropped:
            echo = echoes.get(row.key) if echoes else None
            own = scope_of(row).partition(":")[0]
            for source, n in self._records(row):
                said = echo if echo is not None and source != own else reason
                self.omitted[source][said] += n
                self.scoped[scope_of(row)] += n

    def _records(self, row: Event) -> list[tuple[str, int]]:
        members = self.members.get(row.key)
        return members if members is not None else [(source_of(row), self.weight(row))]

    def scoped_dict(self) -> dict[str, int]:
        """``scoped`` as ``Timeline.omitted`` holds it: sorted, no zeros."""
        return {key: n for key, n in sorted(self.scoped.items()) if n > 0}

    def omitted_dict(self) -> dict[str, dict[str, int]]:
        return {
            source: dict(sorted(reasons.items()))
            for source, reasons in sorted(self.omitted.items())
            if any(reasons.values())
        }


def _row_of(event: Event, by_link: Mapping[str, list[Event]], merged: list[Event]) -> Event | None:
    """The merged row holding every link of ``event`` and its source; of several, the one of
    its kind nearest in time."""
    links = event.links
    pool = by_link.get(links[0].url, ()) if links else merged
    if len(pool) == 1 and len(links) == 1:  # the usual case: its permalink is in one row
        row = pool[0]
        if row.key != event.key and set(event.sources) <= set(row.sources):
            return row
        return None
    urls = {link.url for link in links}
    candidates = [
        row
        for row in pool
        if row.key != event.key
        and urls <= {link.url for link in row.links}
        and set(event.sources) <= set(row.sources)
    ]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda r: (r.kind is not event.kind, abs(r.time - event.time), r.key),
    )
