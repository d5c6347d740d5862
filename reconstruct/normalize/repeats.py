"""A person paged again before anyone answered: one row, "Paged Ana Silva by push at 14:00 and
14:05; both phone pages failed (no answer)".

PagerDuty repeats a user's notification rules, and an escalation policy its levels, until someone
acknowledges (each round a ``notify_log_entry`` per contact method, ``steps`` joins one round's
into one page row). Fewer than ``[collapse] min_series`` such repeats are no series (``collapse``)
yet still rows an author rewrites into one, so ``collapse`` hands each person's pages (rows of
kind ``page`` with one set of ``whom:`` ids) here when they make no series.

**One assignment.** A person's pages join the first page of their assignment (the anchor: their
first page after the last boundary, or an escalation to them that holds its page, ``steps``) until
a boundary: an acknowledgement, a resolve, an escalation or reassignment (a row of kind
``escalate`` naming anyone: to someone else, or to them again, which is a new assignment), or the
incident reopened or unacknowledged (tag ``reopen`` or ``state:triggered`` on an update). A page
after a boundary is a new round and starts its own row. A milestone page (``collapse``: the last
page before an acknowledgement, the page that led to the ack) never joins: it stays its own row.

The joined row keeps the anchor's time, kind, actor, scope and reason, every link of its pages
(anchor first), their refs, tags and sources, and its pages as ``members`` (JSON lists each).
Its text says each method's times, delivered and failed apart:

- ``Paged Ana Silva by push at 14:00 and 14:05; both phone pages failed (no answer)``;
- ``Paged Ana Silva by push at 14:00, by SMS at 14:05; phone page at 14:05 failed``;
- ``Pages to Ana Silva by phone at 14:00 and 14:05 failed (no answer)`` when none reached her;
- an escalation anchor keeps its text: ``Escalated to Ben Okafor, level 2, due to timeout;
  paged by push; paged again by push at 14:15``;
- the incident's first assignment (tag ``INITIAL``: the assignment the trigger made, no
  person's; the collector decides) is no news of its own but the page's context: its row is
  worded as its pages, "Paged Dana Whitfield by push at 08:15 and 08:20; both phone pages failed
  (no answer)", and, paged once, "Paged Dana Whitfield by push; phone page failed (no answer)"
  (``first_pages``; with ``--expand`` too, ``worded_first``: each later round is then its own
  row). A reassignment a person made, or a later one, keeps its words.

**Counts are notifications.** A page is one round of a person's notification rules (one row);
a notification is one record of it (one log entry: one device, number or address; tag
``NOTICE``). Where a round notified one method more than once (two phone numbers, two devices
at the same second), the row counts notifications, never rounds: "all 4 phone pages at 14:00
and 14:05 failed (no answer)", "by push at 14:00 and 14:05 (4 notifications)". ``notices``
gives a series row its exact tally ("32 notifications: 14 push, 14 email, 4 SMS").

Times are ``HH:MM`` (UTC), ``HH:MM:SS`` when two of the row's times share a minute, with the
date when they cross midnight.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from reconstruct.model import Event, Kind, Link
from reconstruct.normalize.evolve import new_event
from reconstruct.normalize.people import targets_of
from reconstruct.normalize.steps import FAILED, NOTICE, VIA, failure_of

KEY = "repeats:"
"""Key prefix of a joined row: ``repeats:<anchor's key>``."""
INITIAL = "assignment:first"
"""Tag of the incident's first assignment (made by the trigger, no person): the page's context."""
_SHOWN = {"sms": "SMS"}
_BOUNDARY_TAGS = frozenset({"reopen", "state:triggered"})


def repeat_rows(
    rows: list[Event], whoms: Iterable[frozenset[str]], keep: set[str], names: Mapping[str, str]
) -> list[Event]:
    """One row per assignment of each person set in ``whoms`` paged more than once in it:
    the anchor and its repeats (``rows`` in timeline order; ``keep``: keys of milestone rows;
    ``names``: person id -> display name). Rows paged once are not returned."""
    wanted = set(whoms)
    if not wanted:
        return []
    runs: list[list[Event]] = []
    open_runs: dict[frozenset[str], list[Event]] = {}
    for event in rows:
        whom = targets_of(event)
        if boundary(event):
            open_runs.clear()
            if event.kind is Kind.ESCALATE and whom in wanted and _pages(event):
                open_runs[whom] = [event]  # the escalation that paged them: a new assignment
                runs.append(open_runs[whom])
            continue
        if event.kind is not Kind.PAGE or whom not in wanted:
            continue
        run = open_runs.get(whom)
        if run is None or event.key in keep:
            open_runs[whom] = [event]  # the first of an assignment, or a milestone: its own
            runs.append(open_runs[whom])
        else:
            run.append(event)
    out = []
    for run in runs:
        if len(run) > 1:
            whom = targets_of(run[0])
            out.append(_row(run, _who(whom, names)))
    return out


def first_pages(rows: list[Event], names: Mapping[str, str]) -> list[Event]:
    """Each first-assignment row (tag ``INITIAL``, one person, holding its pages) worded as the
    page it is, of kind ``page`` (the trigger's assignment is no escalation): "Paged Dana
    Whitfield by push; phone page failed (no answer)"; same key, time and evidence. Rows of
    several people keep their words ("Assigned to A, B; paged by push")."""
    out = []
    for row in rows:
        if _initial(row) and len(whom := targets_of(row)) == 1:
            out.append(replace(row, kind=Kind.PAGE, summary=_text([row], _who(whom, names), True)))
    return out


def worded_first(rows: list[Event], names: Mapping[str, str]) -> list[Event]:
    """``rows`` with the first-assignment row worded as its page (``first_pages``), every row
    kept where it is: ``[collapse] expand`` (``--expand``) joins nothing, yet the trigger's own
    assignment reads "Paged Dana Whitfield by push" there too, as it does collapsed."""
    worded = {row.key: row for row in first_pages(rows, names)}
    return [worded.get(row.key, row) for row in rows] if worded else rows


def _who(whom: frozenset[str], names: Mapping[str, str]) -> str:
    return " and ".join(sorted(names.get(p, p.partition(":")[2]) for p in whom))


def _initial(event: Event) -> bool:
    """The incident's first assignment holding the pages it caused (``steps``)."""
    return event.kind is Kind.ESCALATE and INITIAL in event.tags and _pages(event)


def notices(row: Event) -> Counter[tuple[str, str]]:
    """The notifications a page row holds: ``(prefix, method)`` -> count (``via:`` delivered,
    ``failed:`` not), from its ``NOTICE`` tags; a row without them counts one per method."""
    found: Counter[tuple[str, str]] = Counter()
    for tag in row.tags:
        if tag.startswith(NOTICE):
            status, _, rest = tag[len(NOTICE) :].partition(":")
            found[(f"{status}:", rest.partition(":")[0])] += 1
    if not found:
        for tag in row.tags:
            if tag.startswith((VIA, FAILED)):
                prefix, _, method = tag.partition(":")
                found[(f"{prefix}:", method)] += 1
    return found


def tally(rows: list[Event]) -> str:
    """The notifications of page rows, exact, failed ones said apart: ``32 notifications: 14
    push, 14 email, 4 SMS; 2 by phone failed, no answer``; for different reasons ``3 by phone
    failed: 2 no answer, 1 line busy``; ``14 push notifications``."""
    counts: Counter[tuple[str, str]] = Counter()
    seen: dict[str, int] = {}  # method -> order of first mention (rows in time order)
    for row in rows:
        counts.update(notices(row))
        text = row.summary.lower()
        for method in sorted({m for _, m in notices(row)}, key=lambda m: _at(text, m)):
            seen.setdefault(method, len(seen))
    total = sum(counts.values())
    order = sorted(counts, key=lambda k: (-counts[k], seen[k[1]], k[1]))
    sent = [f"{counts[k]} {_SHOWN.get(k[1], k[1])}" for k in order if k[0] == VIA]
    failed = []
    for prefix, method in order:
        if prefix == FAILED:
            why = failure_of([r for r in rows if f"{FAILED}{method}" in r.tags], method)
            words = f"{counts[(prefix, method)]} by {_SHOWN.get(method, method)} failed"
            counted = why[:1].isdigit()  # "2 no answer, 1 line busy": each reason counted
            failed.append(words + (f"{':' if counted else ','} {why}" if why else ""))
    if len(sent) == 1 and not failed:
        return f"{sent[0]} notification{'s' * (total > 1)}"
    return f"{total} notification{'s' * (total > 1)}: " + "; ".join(
        part for part in (", ".join(sent), "; ".join(failed)) if part
    )


def boundary(event: Event) -> bool:
    """An answer or a change of assignment: an ack, a resolve, an escalation or reassignment
    naming anyone, the incident reopened or unacknowledged."""
    if event.kind in (Kind.ACK, Kind.RESOLVE):
        return True
    if event.kind is Kind.ESCALATE:
        return bool(targets_of(event))
    return event.kind is Kind.UPDATE and bool(event.tags & _BOUNDARY_TAGS)


def _pages(event: Event) -> bool:
    """An escalation row that holds the page it caused (``steps``)."""
    return any(t.startswith((VIA, FAILED)) for t in event.tags)


def _methods(row: Event, prefix: str) -> list[str]:
    """The row's methods of one kind (``via:`` delivered, ``failed:`` not), in the order its
    text says them; a failed method the row also delivered by is left out."""
    found = [t[len(prefix) :] for t in row.tags if t.startswith(prefix)]
    if prefix == FAILED:
        found = [m for m in found if f"{VIA}{m}" not in row.tags]
    return sorted(found, key=lambda m: (row.summary.find(m) % (len(row.summary) + 1), m))


def _at(text: str, word: str) -> int:
    """Where ``word`` is first said in ``text``, past its end when it is not."""
    return text.find(word) % (len(text) + 1)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _clock(times: list[datetime]) -> dict[datetime, str]:
    """Each time as the row says it: ``14:05``; ``14:05:30`` when two share a minute; the date
    too when they cross midnight."""
    fmt = "%H:%M"
    if len({t.date() for t in times}) > 1:
        fmt = "%Y-%m-%d %H:%M"
    if len({t.strftime(fmt) for t in times}) < len(set(times)):
        fmt += ":%S"
    return {t: t.strftime(fmt) for t in times}


def _text(run: list[Event], who: str, paged: bool) -> str:
    """The row's words: each method's times (one round: none, the row's time says it),
    delivered and failed apart, notifications counted where a round had several."""
    anchor = run[0]
    rounds = run if paged else run[1:]
    clock = _clock([r.time for r in run])

    single = paged and len(rounds) == 1  # the row's own time says when

    def when(at: list[datetime]) -> str:
        return "" if single else " at " + _and([clock[t] for t in at])

    def many(methods: list[str], at: list[datetime], prefix: str) -> int:
        """Notifications by ``methods`` in the rounds at ``at``."""
        found = [notices(r) for r in rounds if r.time in at]
        return sum(n for f in found for (p, m), n in f.items() if p == prefix and m in methods)

    delivered = _by_times(rounds, VIA, clock)
    said = []
    for methods, at in delivered:
        extra = ""
        if (n := many(methods, at, VIA)) > len(methods) * len(at):
            extra = f" ({n} notifications)"
        said.append(f"by {_and(methods)}{when(at)}{extra}")
    every_time = any(len(at) == len(rounds) for _, at in delivered)  # said every round's time
    fails: list[str] = []
    none_reached: list[tuple[str, str]] = []  # the same, said after "Pages to <who>": (how, why)
    for methods, at in _by_times(rounds, FAILED, clock):
        whys = {failure_of([r for r in rounds if r.time in at], m) for m in methods}
        why = f" ({whys.pop()})" if len(whys) == 1 and "" not in whys else ""
        n = many(methods, at, FAILED)
        count = f"{n} " if n > len(methods) * len(at) else ""  # several in a round: say how many
        plural = "s" * (n > 1)
        if paged and every_time and len(methods) == 1 and len(at) == len(rounds) > 1:
            every = "both" if n == 2 else f"all {n}"  # failed in every round
            at_times = when(at) if count else ""
            fails.append(f"{every} {methods[0]} pages{at_times} failed{why}")
        else:
            fails.append(f"{count}{_and(methods)} page{plural}{when(at)} failed{why}")
        none_reached.append((f"by {_and(methods)}{when(at)}", why))
    if paged and not said:
        if len(none_reached) == 1:
            text = f"Pages to {who} {none_reached[0][0]} failed{none_reached[0][1]}"
            if single:
                text = f"Page to {who} {none_reached[0][0]} failed{none_reached[0][1]}"
        else:
            text = f"Pages to {who} failed: " + ", ".join(how + why for how, why in none_reached)
    elif paged:
        text = f"Paged {who} " + ", ".join(said) + "".join(f"; {f}" for f in fails)
    else:
        text = anchor.summary + (f"; paged again {', '.join(said)}" if said else "")
        text += "".join(f"; {f}" for f in fails)
    return text


def _by_times(
    rounds: list[Event], prefix: str, clock: dict[datetime, str]
) -> list[tuple[list[str], list[datetime]]]:
    """Methods grouped by the rounds (times) they were used in: ``[(["push"], [t1, t2])]``."""
    times: dict[str, list[datetime]] = {}
    for row in rounds:
        for method in _methods(row, prefix):
            at = times.setdefault(method, [])
            if row.time not in at:
                at.append(row.time)
    groups: dict[tuple[str, ...], list[str]] = {}
    for method, at in times.items():
        groups.setdefault(tuple(clock[t] for t in at), []).append(method)
    return [(methods, times[methods[0]]) for methods in groups.values()]


def _row(run: list[Event], who: str) -> Event:
    anchor = run[0]
    text = _text(run, who, anchor.kind is Kind.PAGE or _initial(anchor))
    links: list[Link] = []
    for row in run:
        links.extend(ln for ln in row.links if ln not in links)
    return new_event(
        anchor.time,
        anchor.kind,
        text,
        tuple(sorted({s for r in run for s in r.sources})),
        tuple(links),
        f"{KEY}{anchor.key}",
        anchor.actor,
        frozenset().union(*(r.refs for r in run)),
        frozenset().union(*(r.tags for r in run)),
        anchor.scope,
        anchor.reason,
        tuple(run),
    )
