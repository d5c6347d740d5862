"""Timelines the picture tests draw: the demo, a three-day incident with leadup, a large generated
incident and one full of hostile text (built directly as model objects, no collectors)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from reconstruct.config import Config
from reconstruct.model import Event, Incident, Kind, Link, Timeline, Window
from reconstruct.pipeline import RunRequest, run
from reconstruct.render.prepare import scrub

START = datetime(2026, 5, 4, 22, 10, tzinfo=UTC)
HOSTILE = [
    "section Owned : crit, 2026-01-01, 1d",
    'click m1 href "javascript:alert(1)"',
    "x :milestone, m99, 2020-01-01 00:00:00, 0s\n    section Injected",
    "%%{init: {'theme':'dark'}}%%",
    "```\n# Heading outside the fence",
    "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "title Pwned; dateFormat X",
    "a#58;b &#35; c; d",
    "\u202eevil\u202c \x00 \x1b[31m",
    "@channel ping",
    "gantt declared incident SEV-1",
    "call me on the bridge",
    "2026-03-14 deploy went out",
    "x" * 300,
]


def demo() -> Timeline:
    return scrub(run(RunRequest("demo"), Config(), datetime.now(UTC)).timeline)


def link(source: str, n: int) -> Link:
    return Link(source, f"https://{source}.example.com/r/{n}", f"{source} {n}")


def event(
    when: datetime,
    kind: Kind,
    summary: str,
    sources: tuple[str, ...],
    n: int,
    tags: frozenset[str] = frozenset(),
    refs: frozenset[str] = frozenset(),
) -> Event:
    return Event(
        time=when,
        kind=kind,
        summary=summary,
        sources=tuple(sorted(sources)),
        links=tuple(link(s, n) for s in sorted(sources)),
        key=f"k:{n:05d}",
        refs=refs,
        tags=tags,
    )


def incident(start: datetime, resolved: datetime | None, title: str = "Search latency") -> Incident:
    return Incident(
        id="PX1Y2Z3",
        number=9170,
        title=title,
        severity="P2",
        services=("search",),
        started_at=start,
        resolved_at=resolved,
        url="https://acme.pagerduty.com/incidents/PX1Y2Z3",
    )


def three_days() -> Timeline:
    """Triggered 22:10 on 05-04, resolved 06:40 on 05-07; leadup nine days earlier."""
    h = timedelta(hours=1)
    events = (
        event(
            START - timedelta(days=9),
            Kind.CHANGE,
            "Merged PR #88: bump search index",
            ("github",),
            1,
            frozenset({"leadup"}),
        ),
        event(
            START - timedelta(days=2),
            Kind.DEPLOY,
            "Deployed search 1a2b3c4",
            ("github",),
            2,
            frozenset({"leadup"}),
        ),
        event(
            START - timedelta(minutes=6),
            Kind.ALERT,
            "SearchLatency firing",
            ("grafana", "slack"),
            3,
            refs=frozenset({"rule:searchlatency:firing"}),
        ),
        event(START, Kind.ALERT, "Incident #9170 triggered", ("pagerduty",), 4),
        event(
            START + timedelta(minutes=9), Kind.ACK, "Acknowledged by Ana", ("pagerduty", "slack"), 5
        ),
        event(START + 20 * h, Kind.IDENTIFY, "root cause: index shard hot spot", ("slack",), 6),
        event(START + 30 * h, Kind.MITIGATE, "rebalanced shards", ("slack", "grafana"), 7),
        event(
            START + 55 * h,
            Kind.ALERT,
            "SearchLatency resolved",
            ("grafana",),
            8,
            refs=frozenset({"rule:searchlatency:resolved"}),
        ),
        event(
            START + 56 * h + timedelta(minutes=30),
            Kind.RESOLVE,
            "Resolved by Ana",
            ("pagerduty",),
            9,
        ),
    )
    window = Window(START - 2 * h, START + 57 * h, START - timedelta(days=14))
    return Timeline(incident(START, START + 56 * h + timedelta(minutes=30)), window, events)


def large(rows: int = 1500) -> Timeline:
    """``rows`` rows over 40 hours across five tools, milestones included."""
    kinds = [Kind.MESSAGE, Kind.ALERT, Kind.PAGE, Kind.UPDATE, Kind.DEPLOY, Kind.ANNOTATION]
    tools = ["pagerduty", "slack", "github", "grafana", "statuspage"]
    step = timedelta(hours=40) / rows
    found = [
        event(
            START + step * i,
            kinds[i % len(kinds)],
            f"row {i} " + "words " * (i % 9),
            tuple({tools[i % 5], tools[(i * 7) % 5]}),
            100 + i,
        )
        for i in range(rows)
    ]
    found.append(
        event(START + timedelta(minutes=3), Kind.ACK, "Acknowledged by Bo", ("pagerduty",), 90)
    )
    found.append(
        event(START + timedelta(hours=20), Kind.MITIGATE, "failover to us-west", ("slack",), 91)
    )
    found.append(
        event(START + timedelta(hours=39), Kind.RESOLVE, "Resolved by Bo", ("pagerduty",), 92)
    )
    pages = tuple(
        event(START + timedelta(minutes=5 + i), Kind.PAGE, "Notified Bo", ("pagerduty",), 3000 + i)
        for i in range(40)
    )
    found.append(replace(pages[0], summary="Bo notified 40 times by email", members=pages))
    found.sort(key=lambda e: e.time)
    window = Window(
        START - timedelta(hours=1), START + timedelta(hours=41), START - timedelta(days=14)
    )
    return Timeline(incident(START, START + timedelta(hours=39)), window, tuple(found))


def hostile() -> Timeline:
    base = demo()
    t0 = base.incident.started_at
    extra = tuple(
        event(t0 + timedelta(minutes=i + 1), kind, text, ("slack",), 500 + i)
        for i, (kind, text) in enumerate(
            (k, h) for h in HOSTILE for k in (Kind.MITIGATE, Kind.DECLARE)
        )
    )
    events = tuple(sorted((*base.events, *extra), key=lambda e: e.time))
    inc = base.incident
    title = "section Owned :crit, x " + HOSTILE[1]
    return scrub(
        Timeline(
            Incident(
                inc.id,
                inc.number,
                title,
                inc.severity,
                inc.services,
                inc.started_at,
                inc.resolved_at,
                inc.url,
                inc.status,
            ),
            base.window,
            events,
            base.omitted,
            base.collected,
        )
    )
