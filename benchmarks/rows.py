"""Row economy on a large generated incident: how many Timeline rows, before and after.

    .venv/bin/python benchmarks/rows.py [--seed N] [--show]

The incident (events shaped as the parsers write them: tags, refs, ``target:``/``via:`` tags,
Grafana ``rule:`` refs and ``state:`` tags): 4,000 chatter messages in the incident channel,
Priya Raman paged by push and phone and then 380 times by email until she acknowledges, an
escalation to Kim Nguyen and its page, a storm of 96 per-instance alerts of one rule firing and
clearing (with the alert bot's posts in #alerts), a rule flapping 60 times, 150 PagerDuty alerts
with one text, and the milestones of a real incident (trigger, declaration, root cause,
mitigation, rollback, all clear, resolution).

Prints the rows before (every record its own row: ``[collapse] expand`` and no step merges) and
after, the target (at most 35 rows), and whether every milestone is still a row of its own.
``--show`` prints the Markdown Timeline after. A figure to watch, not a test.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from reconstruct.config import CollapseConfig, Config
from reconstruct.model import Event, Identity, Incident, Kind, Link, Timeline, Window
from reconstruct.normalize import normalize
from reconstruct.render import RenderOptions, render

START = datetime(2026, 3, 14, 9, 42, tzinfo=UTC)
TARGET_ROWS = 35
INCIDENT = Incident(
    "PBIG001", 4711, "Checkout latency and cache misses", "P1", ("checkout",), START,
    START + timedelta(minutes=58), "https://acme.pagerduty.com/incidents/PBIG001",
)  # fmt: skip
WINDOW = Window(START - timedelta(hours=1), START + timedelta(hours=2), START - timedelta(days=14))
PD_REFS = frozenset({"pd:pbig001", "pd#4711"})
PEOPLE = [
    Identity("pagerduty", "Priya Raman", real_name="Priya Raman"),
    Identity("pagerduty", "Kim Nguyen", real_name="Kim Nguyen"),
    Identity("slack", "priya", "priya@acme.example", "Priya Raman", "priya"),
    Identity("slack", "kim", "kim@acme.example", "Kim Nguyen", "kim"),
    Identity("slack", "lee", "lee@acme.example", "Lee Turner", "lee"),
    Identity("grafana", "lee", "lee@acme.example", handle="lee"),
]
CHATTER = "looking at the graphs now anyone else seeing this restart pods checking db".split()


class Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.events: list[Event] = []
        self.milestones: list[str] = []
        self.n = 0

    def at(self, minutes: float) -> datetime:
        return START + timedelta(seconds=round(minutes * 60, 3))

    def add(
        self,
        source: str,
        when: datetime,
        kind: Kind,
        text: str,
        *,
        actor: str | None = None,
        tags: tuple[str, ...] = (),
        refs: frozenset[str] = frozenset(),
        scope: str | None = None,
        milestone: bool = False,
    ) -> Event:
        self.n += 1
        key = f"{source}:{self.n}"
        event = Event(
            when, kind, text, (source,), (Link(source, f"https://{source}.example/r/{self.n}"),),
            key, actor, refs, frozenset(tags), scope or source,
        )  # fmt: skip
        self.events.append(event)
        if milestone:
            self.milestones.append(key)
        return event

    def slack(self, when: datetime, text: str, *, actor: str | None, bot: bool = False,
              channel: str = "inc-4711", milestone: bool = False) -> Event:  # fmt: skip
        tags = ("bot",) if bot else ("human",)
        if channel == "inc-4711":
            tags += ("incident-channel",)
        return self.add("slack", when, Kind.MESSAGE, text, actor=actor, tags=tags,
                        scope=f"slack:#{channel}", milestone=milestone)  # fmt: skip

    def pd(self, when: datetime, kind: Kind, text: str, *, actor: str | None = None,
           tags: tuple[str, ...] = (), milestone: bool = False) -> Event:  # fmt: skip
        return self.add("pagerduty", when, kind, text, actor=actor, tags=tags, refs=PD_REFS,
                        milestone=milestone)  # fmt: skip

    def grafana_alert(self, when: datetime, rule: str, firing: bool, instance: str = "",
                      milestone: bool = False) -> Event:  # fmt: skip
        state = "alerting" if firing else "normal"
        arrow = "Normal → Alerting" if firing else "Alerting → Normal"
        detail = f" ({instance})" if instance else ""
        ref = f"rule:{rule.lower()}:{'firing' if firing else 'resolved'}"
        return self.add("grafana", when, Kind.ALERT, f"Grafana alert {rule}: {arrow}{detail}",
                        tags=(f"state:{state}",), refs=frozenset({ref}),
                        milestone=milestone)  # fmt: skip


def generate(seed: int = 11) -> tuple[list[Event], list[str]]:
    g = Gen(seed)
    rng = g.rng
    # The storm: 96 instances of one rule fire 09:41-09:58 and clear 10:25-10:35.
    for i in range(96):
        fire = g.at(-1 + 17 * i / 95)
        g.grafana_alert(fire, "Cache hit ratio", True, f"cache-{i:02d}", milestone=i == 0)
        g.slack(fire + timedelta(seconds=2), f"[FIRING:1] Cache hit ratio (cache-{i:02d})",
                actor="Grafana", bot=True, channel="alerts")  # fmt: skip
        clear = g.at(43 + 10 * i / 95)
        g.grafana_alert(clear, "Cache hit ratio", False, f"cache-{i:02d}", milestone=i == 95)
    # A flapping rule: 60 state changes 09:45-10:15, ending Normal.
    for i in range(60):
        g.grafana_alert(g.at(3 + 30 * i / 59), "CheckoutLatency", i % 2 == 0,
                        milestone=i in (0, 59))  # fmt: skip
    # PagerDuty: trigger (and its Slack post), pages, ack, escalation, resolve.
    g.pd(g.at(0), Kind.ALERT, "Incident #4711 triggered: Checkout latency and cache misses",
         tags=("state:triggered",), milestone=True)  # fmt: skip
    post = g.slack(g.at(0.1), "Triggered: #4711 Checkout latency and cache misses",
                   actor="PagerDuty", bot=True)  # fmt: skip
    g.events[-1] = replace(post, refs=PD_REFS)  # the post links the incident
    for _ in range(150):
        g.pd(g.at(rng.uniform(-0.5, 10)), Kind.ALERT, "Alert (critical): Disk latency high")
    g.pd(g.at(0.2), Kind.PAGE, "Paged Priya Raman by push",
         tags=("target:Priya Raman", "via:push"), milestone=True)  # fmt: skip
    g.pd(g.at(0.6), Kind.PAGE, "Paged Priya Raman by phone",
         tags=("target:Priya Raman", "via:phone"))  # fmt: skip
    for i in range(380):
        g.pd(g.at(1 + 37 * i / 379), Kind.PAGE, "Paged Priya Raman by email",
             tags=("target:Priya Raman", "via:email"), milestone=i == 379)  # fmt: skip
    ack = g.at(38.2)
    g.pd(ack, Kind.ACK, "Acknowledged by Priya Raman", actor="Priya Raman",
         tags=("state:acknowledged",), milestone=True)  # fmt: skip
    post = g.slack(ack + timedelta(seconds=3), "Acknowledged: #4711 by Priya Raman",
                   actor="PagerDuty", bot=True)  # fmt: skip
    g.events[-1] = replace(post, refs=PD_REFS)
    esc = g.at(24)
    g.pd(esc, Kind.ESCALATE, "Escalated to Kim Nguyen by Priya Raman", actor="Priya Raman",
         tags=("target:Kim Nguyen",), milestone=True)  # fmt: skip
    g.pd(esc + timedelta(seconds=20), Kind.PAGE, "Paged Kim Nguyen by push",
         tags=("target:Kim Nguyen", "via:push"))  # fmt: skip
    # People in the channel: thousands of plain messages and a few milestones.
    for _ in range(4000):
        g.slack(g.at(rng.uniform(-5, 60)), " ".join(rng.choices(CHATTER, k=rng.randint(3, 12))),
                actor=rng.choice(["priya", "kim", "lee"]))  # fmt: skip
    g.slack(g.at(25), "Declaring a SEV-1 incident, I'm IC", actor="kim", milestone=True)
    g.slack(g.at(33), "root cause: the cache client's pool limit after the upgrade",
            actor="lee", milestone=True)  # fmt: skip
    g.slack(g.at(38), "scaling up the cache pool 4 -> 8 nodes to absorb the misses", actor="lee",
            milestone=True)  # fmt: skip
    g.add("grafana", g.at(38.3), Kind.ANNOTATION, "cache pool 4 -> 8 nodes (tags: scaling)",
          actor="lee")  # fmt: skip
    g.slack(g.at(55), "all clear, latency back to baseline", actor="priya", milestone=True)
    g.pd(g.at(58), Kind.RESOLVE, "Resolved by Kim Nguyen", actor="Kim Nguyen",
         tags=("state:resolved",), milestone=True)  # fmt: skip
    return g.events, g.milestones


def rows(events: list[Event], config: Config) -> tuple[int, int, tuple[Event, ...]]:
    """(rows, step merges, rows) for one config."""
    result = normalize(events, INCIDENT, WINDOW, config, PEOPLE)
    return len(result.events), result.steps, result.events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--show", action="store_true", help="print the Timeline after")
    args = parser.parse_args(argv)
    events, milestones = generate(args.seed)
    expanded = Config(collapse=CollapseConfig(expand=True))
    before_rows, steps, _ = rows(events, expanded)
    after_rows, _, after = rows(events, Config())
    own_rows = {e.key for e in after if not e.members}
    missing = [key for key in milestones if key not in own_rows]
    print(f"records generated      {len(events):>6,}")
    print(f"rows before            {before_rows + steps:>6,}  (every record its own row)")
    print(f"rows after             {after_rows:>6,}  (target: at most {TARGET_ROWS})")
    print(f"milestones as own rows {len(milestones) - len(missing):>6} of {len(milestones)}")
    ok = after_rows <= TARGET_ROWS and not missing
    print(f"target met             {'yes' if ok else 'NO'}")
    if missing:
        print("missing milestones: " + ", ".join(missing))
    if args.show:
        timeline = Timeline(INCIDENT, WINDOW, after)
        opts = RenderOptions(timeline_only=True, why=True)
        print()
        print(render(timeline, opts, Config()), end="")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
