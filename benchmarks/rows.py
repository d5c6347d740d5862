"""Row economy on a large generated incident: how many Timeline rows, before and after.

    .venv/bin/python benchmarks/rows.py [--seed N] [--show]

Writes an evidence bundle in the tools' own wire formats (PagerDuty log entries, alerts and
users; Slack ``users.list`` and ``conversations.history``; Grafana ``/api/annotations``) and
builds its Timeline with ``pipeline.build_timeline``, parsers included. The incident: 4,000
chatter messages in the incident channel; Priya Raman paged by push and phone, then 380 times by
email until she acknowledges; an escalation to Kim Nguyen and the page it caused; a storm of 96
per-instance alerts of one rule firing and clearing (with the alert bot's posts in #alerts); a
rule flapping through Pending 60 times; 150 PagerDuty alerts with one text; the PagerDuty app's
posts; two bots in the incident channel (120 pod restarts, 25 status page reminders); and the
milestones of a real incident (trigger, declaration, root cause, mitigation in
Slack and on the dashboard by the same person, all clear, resolution).

Prints the rows before (``[collapse] expand`` and no step merges: every record the selection
keeps is its own row) and after, the target (at most 35 rows), and whether every milestone is
still a row of its own (at its own time; the records of its step or storm may join it).
``--show`` prints the Markdown Timeline after. A figure to watch, not a test.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.config import CollapseConfig, Config
from reconstruct.model import Kind, Window
from reconstruct.pipeline import build_timeline
from reconstruct.render import RenderOptions, render

T0 = datetime(2026, 3, 14, 9, 42, tzinfo=UTC)
WINDOW = Window(T0 - timedelta(hours=1), T0 + timedelta(hours=2), T0 - timedelta(days=14))
TARGET_ROWS = 35
INC_ID, INC_NO = "Q1BIGROWS1", 4711
PD = "https://acme.pagerduty.com"
INC_URL = f"{PD}/incidents/{INC_ID}"
WS = "https://acme.slack.com/"
INC_CH, ALERTS_CH = "C0INC4711A", "C0ALERTS1B"
GRAFANA = "https://grafana.acme.example"
CHATTER = "looking at the graphs now anyone else seeing this restart pods checking db".split()
PEOPLE = {  # PagerDuty id, Slack id, handle, real name
    "priya": ("PPRIYA1", "U01PRIYA", "Priya Raman"),
    "kim": ("PKIM001", "U02KIM", "Kim Nguyen"),
    "lee": ("PLEE001", "U03LEE", "Lee Turner"),
}


def iso(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def ms(minutes: float) -> int:
    return int((T0 + timedelta(minutes=minutes)).timestamp() * 1000)


def ts(minutes: float, n: int) -> str:
    return f"{int((T0 + timedelta(minutes=minutes)).timestamp())}.{n:06d}"


class Incident:
    """The records, as each API returns them, and the milestones (what must stay a row)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.ids = count(1)
        self.entries: list[dict[str, Any]] = []
        self.alerts: list[dict[str, Any]] = []
        self.messages: dict[str, list[dict[str, Any]]] = {INC_CH: [], ALERTS_CH: []}
        self.annotations: list[dict[str, Any]] = []
        self.milestones: list[str] = []
        """Row keys (``Event.key``) that must be rows of their own."""

    # -- PagerDuty: GET /incidents/{id}/log_entries, /alerts; GET /users/{id} ----------------
    def user(self, who: str) -> dict[str, Any]:
        uid, _, name = PEOPLE[who]
        return {"id": uid, "type": "user_reference", "summary": name}

    def entry(self, kind: str, minutes: float, milestone: bool = False, **fields: Any) -> None:
        eid = f"R{next(self.ids):07d}"
        self.entries.append(
            {
                "id": eid,
                "type": f"{kind}_log_entry",
                "summary": kind,
                "html_url": f"{INC_URL}/log_entries/{eid}",
                "created_at": iso(minutes),
                "incident": {"id": INC_ID, "type": "incident_reference"},
                **fields,
            }
        )
        if milestone:
            self.milestones.append(f"pagerduty:log_entry:{eid}")

    def page(self, minutes: float, who: str, method: str, milestone: bool = False) -> None:
        policy = {"id": "PESC01", "type": "escalation_policy_reference", "summary": "Checkout"}
        self.entry(
            "notify",
            minutes,
            milestone,
            agent=policy,
            user=self.user(who),
            channel={"type": "auto", "notification": {"type": method, "status": "success"}},
        )

    def users(self) -> list[dict[str, Any]]:
        return [
            {"user": {"id": uid, "type": "user", "name": name, "email": f"{handle}@acme.example"}}
            for handle, (uid, _, name) in sorted(PEOPLE.items())
        ]

    # -- Slack: users.list, conversations.history ------------------------------------------
    def say(
        self, minutes: float, who: str, text: str, channel: str = INC_CH, milestone: bool = False
    ) -> None:
        stamp = ts(minutes, next(self.ids))
        self.messages[channel].append(
            {"type": "message", "user": PEOPLE[who][1], "text": text, "ts": stamp}
        )
        if milestone:
            self.milestones.append(f"slack:{channel}:{stamp}")

    def bot(self, minutes: float, name: str, text: str, channel: str = INC_CH) -> None:
        stamp = ts(minutes, next(self.ids))
        self.messages[channel].append(
            {
                "type": "message",
                "subtype": "bot_message",
                "bot_id": f"B0{name.upper()}",
                "username": name,
                "text": text,
                "ts": stamp,
            }
        )

    # -- Grafana: GET /api/annotations ------------------------------------------------------
    def annotate(self, minutes: float, text: str, milestone: bool = False, **fields: Any) -> int:
        aid = next(self.ids)
        self.annotations.append(
            {
                "id": aid,
                "dashboardUID": "checkout",
                "panelId": 4,
                "time": ms(minutes),
                "timeEnd": ms(minutes),
                "text": text,
                "tags": [],
                "login": "",
                "email": "",
                "alertId": 0,
                "newState": "",
                "prevState": "",
                **fields,
            }
        )
        return aid

    def alert_state(
        self, minutes: float, rule: str, prev: str, new: str, labels: str = "", milestone=False
    ) -> None:
        text = f"{rule} {{{labels}}}" if labels else rule
        aid = self.annotate(minutes, text, alertName=rule, prevState=prev, newState=new)
        if milestone:
            self.milestones.append(f"grafana:annotation:{aid}:{new.lower()}")


def generate(seed: int = 11) -> Incident:
    inc = Incident(seed)
    rng = inc.rng
    # A storm: 96 instances of one rule fire 09:41-09:58 and clear 10:25-10:35.
    for i in range(96):
        at = -1 + 17 * i / 95
        inc.alert_state(at, "Cache hit ratio", "Normal", "Alerting", f"pod=cache-{i:02d}",
                        milestone=i == 0)  # fmt: skip
        inc.bot(at + 0.03, "Grafana", f"[FIRING:1] Cache hit ratio (cache-{i:02d})", ALERTS_CH)
        inc.alert_state(43 + 10 * i / 95, "Cache hit ratio", "Alerting", "Normal",
                        f"pod=cache-{i:02d}", milestone=i == 95)  # fmt: skip
    # A rule flapping through Pending: 60 state changes 09:45-10:15, ending Normal. Neither the
    # incident's first firing nor its last clearing (the storm's): one row, no milestone.
    cycle = [("Normal", "Pending"), ("Pending", "Alerting"), ("Alerting", "Normal")]
    for i in range(60):
        prev, new = cycle[i % 3]
        inc.alert_state(3 + 30 * i / 59, "CheckoutLatency", prev, new)
    # PagerDuty: the trigger (and the app's post), 150 alerts of one text, the pages, the ack,
    # an escalation and its page, the resolution.
    service = {"id": "PSVC01", "type": "service_reference", "summary": "checkout"}
    inc.entry("trigger", 0, True, agent=service, channel={"type": "api"})
    # the trigger's own assignment (PagerDuty logs it at the trigger's second): its row is the
    # first page's, worded as that page ("Paged Priya Raman by push and phone")
    inc.entry("assign", 0, True, agent=service, assignees=[inc.user("priya")],
              channel={"type": "auto"})  # fmt: skip
    link = f"<{INC_URL}|#{INC_NO} Checkout latency and cache misses>"
    inc.bot(0.1, "PagerDuty", f"Triggered: {link}")
    for i in range(150):
        aid = f"QALERT{i:04d}"
        inc.alerts.append(
            {
                "id": aid,
                "type": "alert",
                "summary": "Disk latency high on checkout-db",
                "created_at": iso(rng.uniform(0.5, 10)),
                "html_url": f"{PD}/alerts/{aid}",
                "alert_key": f"disk-{i}",
                "incident": {"id": INC_ID, "type": "incident_reference"},
            }
        )
    inc.page(0.2, "priya", "push")
    inc.page(0.6, "priya", "phone")
    for i in range(380):
        inc.page(1.5 + 36.5 * i / 379, "priya", "email", milestone=i == 379)
    inc.entry("acknowledge", 38.2, True, agent=inc.user("priya"), channel={"type": "website"})
    inc.bot(38.25, "PagerDuty", f"Acknowledged: {link} by Priya Raman")
    inc.entry("escalate", 40, True, agent=inc.user("priya"), assignees=[inc.user("kim")],
              channel={"type": "website"})  # fmt: skip
    inc.page(40.3, "kim", "push")
    inc.entry("resolve", 58, True, agent=inc.user("kim"), channel={"type": "website"})
    inc.bot(58.05, "PagerDuty", f"Resolved: {link} by Kim Nguyen")
    # People: thousands of plain messages, and the milestones.
    for _ in range(4000):
        words = " ".join(rng.choices(CHATTER, k=rng.randint(3, 12)))
        inc.say(rng.uniform(-5, 60), rng.choice(sorted(PEOPLE)), words)
    inc.say(41, "kim", "Declaring a SEV-1 incident, I'm IC", milestone=True)
    inc.say(44, "lee", "root cause: the cache client's pool limit after the upgrade",
            milestone=True)  # fmt: skip
    inc.say(46, "lee", "scaling up the cache pool 4 -> 8 nodes to absorb the misses",
            milestone=True)  # fmt: skip
    inc.annotate(46.3, "cache pool 4 -> 8 nodes", login="lee", email="lee@acme.example")
    inc.say(55, "priya", "all clear, latency back to baseline", milestone=True)
    # Bots in the incident channel: a pod-restart feed and a status page reminder.
    for i in range(120):
        pod = f"checkout-7c9d{i % 7}-{i:03d}"
        inc.bot(2 + 50 * i / 119, "kube-events", f"Pod {pod} restarted (OOMKilled), count {i // 7}")
    for i in range(25):
        inc.bot(
            3.5 + 2 * i, "incident-bot", f":hourglass: {5 + 2 * i} minutes since the last update"
        )
    return inc


def write(inc: Incident, root: Path) -> Bundle:
    out = BundleWriter(root / "bundle", INC_ID)
    incident = {
        "id": INC_ID,
        "type": "incident",
        "incident_number": INC_NO,
        "title": "Checkout latency and cache misses",
        "status": "resolved",
        "created_at": iso(0),
        "resolved_at": iso(58),
        "html_url": INC_URL,
        "service": {"id": "PSVC01", "type": "service_reference", "summary": "checkout"},
    }
    out.add("pagerduty/incident.json", [{"incident": incident}])
    out.add("pagerduty/log_entries.json", [{"log_entries": inc.entries, "more": False}])
    out.add("pagerduty/alerts.json", [{"alerts": inc.alerts, "more": False}])
    out.add("pagerduty/users.json", inc.users())
    out.set_source("pagerduty", "ok")
    members = [
        {
            "id": sid,
            "name": handle,
            "real_name": name,
            "is_bot": False,
            "profile": {
                "display_name": handle,
                "real_name": name,
                "email": f"{handle}@acme.example",
            },
        }
        for handle, (_, sid, name) in sorted(PEOPLE.items())
    ]
    out.add("slack/auth.test.json", [{"ok": True, "url": WS}])
    out.add("slack/users.list.json", [{"ok": True, "members": members}])
    names = {INC_CH: f"inc-{INC_NO}", ALERTS_CH: "alerts"}
    for channel, messages in inc.messages.items():
        info = {"ok": True, "channel": {"id": channel, "name": names[channel]}}
        out.add(f"slack/{channel}/conversations.info.json", [info])
        newest_first = sorted(messages, key=lambda m: m["ts"], reverse=True)
        history = {"ok": True, "messages": newest_first, "has_more": False}
        out.add(f"slack/{channel}/conversations.history.json", [history])
    meta = {"workspace_url": WS, "incident_channel": INC_CH, "channels": names}
    out.set_source("slack", "ok", meta=meta)
    out.add("grafana/annotations.json", [inc.annotations])
    out.set_source("grafana", "ok", meta={"url": GRAFANA})
    return Bundle.open(out.finish(WINDOW, T0 + timedelta(days=1)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--show", action="store_true", help="print the Timeline after")
    args = parser.parse_args(argv)
    inc = generate(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        bundle = write(inc, Path(tmp))
        config = Config(slack={"channels": [ALERTS_CH]})  # type: ignore[arg-type]
        # Before: no series collapse and no step merges (records of one step never lie 1 ms
        # apart here), so every record the selection keeps is its own row.
        unmerged = CollapseConfig(expand=True, step_window=timedelta(milliseconds=1))
        before = build_timeline(bundle, config.model_copy(update={"collapse": unmerged}))
        after = build_timeline(bundle, config)
    records = sum(before.collected.values())
    # a series row's key is ``series:<its first member>``: only a milestone's own row (alone,
    # or with the records joined to it: its storm, its Pending) has the milestone's key
    own_rows = {e.key for e in after.events}
    # a person's first page leads the row of its repeats when nothing came between (#11): that
    # row is at the page's time, the page its first member and first link
    pages = (Kind.PAGE, Kind.ESCALATE)
    own_rows |= {e.key.removeprefix("series:") for e in after.events if e.kind in pages}
    missing = [key for key in inc.milestones if key not in own_rows]
    print(f"records collected      {records:>6,}")
    print(f"rows before            {len(before.events):>6,}  (every record its own row)")
    print(f"rows after             {len(after.events):>6,}  (target: at most {TARGET_ROWS})")
    print(
        f"milestones as own rows {len(inc.milestones) - len(missing):>6} of {len(inc.milestones)}"
    )
    ok = len(after.events) <= TARGET_ROWS and not missing
    print(f"target met             {'yes' if ok else 'NO'}")
    if missing:
        print("missing milestones: " + ", ".join(missing))
    if args.show:
        print()
        print(render(after, RenderOptions(timeline_only=True, why=True), config), end="")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
