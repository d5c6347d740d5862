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
  paged by push; paged again by push at 14:15``.

Times are ``HH:MM`` (UTC), ``HH:MM:SS`` when two of the row's times share a minute, with the
date when they cross midnight.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from reconstruct.model import Event, Kind, Link
from reconstruct.normalize.evolve import new_event
from reconstruct.normalize.people import targets_of
from reconstruct.normalize.steps import FAILED, VIA, failure_of

KEY = "repeats:"
"""Key prefix of a joined row: ``repeats:<anchor's key>``."""
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
        if _boundary(event):
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
            who = " and ".join(sorted(names.get(p, p.partition(":")[2]) for p in whom))
            out.append(_row(run, who))
    return out


def _boundary(event: Event) -> bool:
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
    paged = anchor.kind is Kind.PAGE
    rounds = run if paged else run[1:]
    clock = _clock([r.time for r in run])

    def when(at: list[datetime]) -> str:
        return _and([clock[t] for t in at])

    delivered = _by_times(rounds, VIA, clock)
    said = [f"by {_and(methods)} at {when(at)}" for methods, at in delivered]
    every_time = any(len(at) == len(rounds) for _, at in delivered)  # said every round's time
    fails: list[str] = []
    none_reached: list[tuple[str, str]] = []  # the same, said after "Pages to <who>": (how, why)
    for methods, at in _by_times(rounds, FAILED, clock):
        whys = {failure_of([r for r in rounds if r.time in at], m) for m in methods}
        why = f" ({whys.pop()})" if len(whys) == 1 and "" not in whys else ""
        plural = "s" * (len(at) > 1 or len(methods) > 1)
        if paged and every_time and len(methods) == 1 and len(at) == len(rounds) > 1:
            count = "both" if len(at) == 2 else f"all {len(at)}"  # failed in every round
            fails.append(f"{count} {methods[0]} pages failed{why}")
        else:
            fails.append(f"{_and(methods)} page{plural} at {when(at)} failed{why}")
        none_reached.append((f"by {_and(methods)} at {when(at)}", why))
    if paged and not said:
        if len(none_reached) == 1:
            text = f"Pages to {who} {none_reached[0][0]} failed{none_reached[0][1]}"
        else:
            text = f"Pages to {who} failed: " + ", ".join(how + why for how, why in none_reached)
    elif paged:
        text = f"Paged {who} " + ", ".join(said) + "".join(f"; {f}" for f in fails)
    else:
        text = anchor.summary + (f"; paged again {', '.join(said)}" if said else "")
        text += "".join(f"; {f}" for f in fails)
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
