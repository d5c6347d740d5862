"""How fast ``normalize`` is: N synthetic events (a busy incident channel plus tool records).

    /work/venv/bin/python benchmarks/normalize_bench.py [N ...]   (default: 10000 100000)

Prints wall time (and this process's CPU time, steadier on a busy box) and events/s per size; a
figure to watch, not a test.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta

from reconstruct.config import Config
from reconstruct.model import Event, Incident, Kind, Link, Window
from reconstruct.normalize import normalize

START = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
WORDS = "checkout latency cache pool error rate looking at graphs restart pods db ttl".split()


def synthetic(n: int, seed: int = 7) -> list[Event]:
    rng = random.Random(seed)
    span = 4 * 3600
    events: list[Event] = []
    for i in range(n):
        when = START + timedelta(seconds=rng.uniform(-1800, span))
        roll = rng.random()
        sha = f"{rng.randrange(16**7):07x}a1"[:9]
        if roll < 0.70:
            text = " ".join(rng.choices(WORDS, k=rng.randint(3, 14)))
            if rng.random() < 0.02:
                text += " root cause is the cache ttl"
            tags = {"human", "incident-channel"}
            if rng.random() < 0.01:
                tags.add("reaction:pushpin")
            events.append(_slack(i, when, text, frozenset(tags)))
        elif roll < 0.80:
            rule = f"Rule{rng.randrange(40)}"
            text = rng.choice(
                [f"[FIRING:1] {rule}", f"[RESOLVED] {rule}", f"Deployed {sha} to production"]
            )
            events.append(_slack(i, when, text, frozenset({"bot", "incident-channel"})))
        elif roll < 0.90:
            kind = rng.choice([Kind.ALERT, Kind.ACK, Kind.UPDATE, Kind.PAGE])
            events.append(
                _tool(
                    "pagerduty",
                    f"pagerduty:log_entry:{i}",
                    when,
                    kind,
                    "PagerDuty entry",
                    frozenset({"pd:pabc123", "pd#1234"}),
                    "pagerduty",
                )
            )
        elif roll < 0.95:
            events.append(
                _tool(
                    "github",
                    f"github:deployment:acme/checkout:{i}",
                    when,
                    Kind.DEPLOY,
                    f"Deploy {sha} to production",
                    frozenset({f"sha:{sha[:7]}"}),
                    "github:acme/checkout",
                )
            )
        else:
            rule = f"rule{rng.randrange(40)}"
            state = rng.choice(["firing", "resolved"])
            events.append(
                _tool(
                    "grafana",
                    f"grafana:annotation:{i}",
                    when,
                    Kind.ALERT,
                    f"{rule} {state}",
                    frozenset({f"rule:{rule}:{state}"}),
                    "grafana",
                )
            )
    return events


def _slack(i: int, when: datetime, text: str, tags: frozenset[str]) -> Event:
    ts = f"{int(when.timestamp())}.{i:06d}"
    url = f"https://acme.slack.com/archives/C1/p{ts.replace('.', '')}"
    return Event(
        when,
        Kind.MESSAGE,
        text,
        ("slack",),
        (Link("slack", url),),
        f"slack:C1:{ts}",
        tags=tags,
        scope="slack:#inc-1234",
    )


def _tool(
    source: str, key: str, when: datetime, kind: Kind, text: str, refs: frozenset[str], scope: str
) -> Event:
    return Event(
        when,
        kind,
        text,
        (source,),
        (Link(source, f"https://{source}.example/{key}"),),
        key,
        refs=refs,
        scope=scope,
    )


def main(sizes: list[int]) -> None:
    incident = Incident("PABC123", 1234, "Checkout errors", "P1", ("checkout",), START, None, None)
    window = Window(START, START + timedelta(hours=4), START - timedelta(days=14))
    config = Config()
    normalize(synthetic(1000), incident, window, config)  # warm the pattern caches
    for n in sizes:
        events = synthetic(n)
        began, cpu = time.perf_counter(), time.process_time()
        result = normalize(events, incident, window, config)
        took, cpu = time.perf_counter() - began, time.process_time() - cpu
        print(
            f"{n:>8} events  {took:6.3f} s (cpu {cpu:.3f} s)  {n / took:>10,.0f} events/s  "
            f"kept {len(result.events)}  merged {result.merged}"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
