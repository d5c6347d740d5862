"""The Timeline the render tests share (built directly, no collectors), and the snapshot helper.

Incident #1234 (P1): checkout errors after a Redis failover, 09:42 - 10:29 UTC on 2026-03-14,
with a leadup TTL change 11 days earlier, merged multi-source rows, hostile message text, secrets,
a silent stretch, omitted counts and a failed source.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reconstruct.model import Event, Incident, Kind, Link, Timeline, Window

SNAPSHOTS = Path(__file__).parent / "snapshots"
SLACK = "https://acme.slack.com/archives/C024BE91L/p"
PD_URL = "https://acme.pagerduty.com/incidents/Q1ABC23"
GH = "https://github.com/acme/checkout"
SLACK_TOKEN_IN_TEXT = "xoxb-2231-998877-AbCdEfGhIjKlMnOp"
GITHUB_TOKEN_IN_TEXT = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


def at(hh: int, mm: int, ss: int = 0, day: int = 14) -> datetime:
    return datetime(2026, 3, day, hh, mm, ss, tzinfo=UTC)


def ev(
    when: datetime,
    kind: Kind,
    summary: str,
    links: tuple[Link, ...],
    key: str,
    *,
    actor: str | None = None,
    reason: str = "",
    scope: str = "",
) -> Event:
    return Event(
        time=when,
        kind=kind,
        summary=summary,
        sources=tuple(sorted({link.source for link in links})),
        links=links,
        key=key,
        actor=actor,
        reason=reason,
        scope=scope,
    )


def incident(*, resolved: bool = True, severity: str | None = "P1") -> Incident:
    return Incident(
        id="Q1ABC23",
        number=1234,
        title="Checkout errors after Redis failover",
        severity=severity,
        services=("checkout", "payments"),
        started_at=at(9, 42, 7),
        resolved_at=at(10, 29, 40) if resolved else None,
        url=PD_URL,
        status="resolved" if resolved else "acknowledged",
    )


def events() -> tuple[Event, ...]:
    long_note = (
        "Status update for customers and support: checkout error rate is falling after the "
        "replica scale-out; we are watching p99 latency on the payments API and the cache hit "
        "ratio on the Redis dashboard before calling it resolved. Debug token for the support "
        f"tooling was pasted here by mistake: {GITHUB_TOKEN_IN_TEXT} (rotated). Next update at "
        "10:35 UTC or sooner if anything changes; ping the incident commander with questions."
    )
    return (
        ev(
            at(14, 10, 0, day=3),
            Kind.CHANGE,
            "Reduce cache TTL from 600s to 60s (#4821)",
            (Link("github", f"{GH}/pull/4821", "PR #4821"),),
            "github:pr:acme/checkout:4821",
            actor="marco",
            reason='leadup change matching "ttl"',
            scope="github:acme/checkout",
        ),
        ev(
            at(9, 38, 12),
            Kind.DEPLOY,
            "Deployed v2.3.1 to production",
            (Link("github", f"{GH}/deployments/42"),),
            "github:deployment:acme/checkout:42:success",
            actor="deploy-bot",
            reason="deploy to production",
            scope="github:acme/checkout",
        ),
        ev(
            at(9, 42, 7),
            Kind.ALERT,
            "[FIRING:1] CheckoutErrorRate: 5xx above 20% for 2m",
            (
                Link("pagerduty", f"{PD_URL}/log_entries/R1"),
                Link("slack", f"{SLACK}1773481327000100"),
            ),
            "pagerduty:log_entry:R1",
            reason="PagerDuty state change; also seen in slack",
            scope="pagerduty",
        ),
        ev(
            at(9, 42, 30),
            Kind.PAGE,
            "Notified Priya Raman by SMS",
            (Link("pagerduty", f"{PD_URL}/log_entries/R2"),),
            "pagerduty:log_entry:R2",
            reason="responder paged",
            scope="pagerduty",
        ),
        ev(
            at(9, 44, 17),
            Kind.ACK,
            "Acknowledged by Priya Raman",
            (Link("pagerduty", f"{PD_URL}/log_entries/R3"),),
            "pagerduty:log_entry:R3",
            actor="Priya Raman",
            reason="PagerDuty state change",
            scope="pagerduty",
        ),
        ev(
            at(9, 47, 2),
            Kind.DECLARE,
            "Declaring a SEV-1 incident | war room in #inc-1234,\nbridge on zoom",
            (Link("slack", f"{SLACK}1773481622000200", "#inc-1234"),),
            "slack:C024BE91L:1773481622.000200",
            actor="Priya Raman",
            reason='keyword "declaring"',
            scope="slack:#inc-1234",
        ),
        ev(
            at(9, 51, 40),
            Kind.MESSAGE,
            "see `kubectl logs` and [dashboard](javascript:alert(1)) <script>alert('x')</script>"
            f"\n\nbot token is {SLACK_TOKEN_IN_TEXT} \\| end",
            (
                Link("slack", f"{SLACK}1773481900000300", "thread [pinned]"),
                Link("slack", "javascript:alert(document.cookie)", "evil"),
                Link("grafana", "data:text/html,<script>alert(1)</script>", "evil"),
            ),
            "slack:C024BE91L:1773481900.000300",
            actor="Kim | Lee",
            reason="pinned",
            scope="slack:#inc-1234",
        ),
        ev(
            at(10, 12, 55),
            Kind.IDENTIFY,
            "Root cause: TTL 60s means every request misses the cache after a failover",
            (Link("slack", f"{SLACK}1773483175000400"),),
            "slack:C024BE91L:1773483175.000400",
            actor="marco",
            reason='keyword "root cause"',
            scope="slack:#inc-1234",
        ),
        ev(
            at(10, 14, 3),
            Kind.MITIGATE,
            "Scaled checkout-db read replicas from 3 to 6",
            (
                Link("github", f"{GH}/actions/runs/991"),
                Link("slack", f"{SLACK}1773483243000500"),
            ),
            "github:deployment:acme/checkout:43:success",
            actor="Kim Lee",
            reason='keyword "scale out"; also seen in github',
            scope="github:acme/checkout",
        ),
        ev(
            at(10, 20, 0),
            Kind.UPDATE,
            long_note,
            (Link("pagerduty", f"{PD_URL}/log_entries/R4", "note"),),
            "pagerduty:log_entry:R4",
            actor="Priya Raman",
            reason="PagerDuty note",
            scope="pagerduty",
        ),
        ev(
            at(10, 29, 40),
            Kind.RESOLVE,
            "Resolved by Priya Raman",
            (Link("pagerduty", f"{PD_URL}/log_entries/R5"),),
            "pagerduty:log_entry:R5",
            actor="Priya Raman",
            reason="PagerDuty state change",
            scope="pagerduty",
        ),
    )


def timeline(*, resolved: bool = True, severity: str | None = "P1") -> Timeline:
    inc = incident(resolved=resolved, severity=severity)
    end = (inc.resolved_at or at(10, 40)) + timedelta(minutes=30)
    return Timeline(
        incident=inc,
        window=Window(
            start=inc.started_at - timedelta(hours=1),
            end=end,
            leadup_start=inc.started_at - timedelta(days=14),
            ongoing=not resolved,
        ),
        events=events() if resolved else events()[:-1],
        omitted={"slack:#inc-1234": 412, "github:acme/checkout": 23, "outside window": 5},
        collected={"slack": 431, "pagerduty": 14, "github": 31, "grafana": 0},
        warnings=(
            "grafana: 403 Forbidden from https://grafana.acme.io/api/annotations "
            "(check that the token has the Viewer role)",
        ),
        failed_sources=("grafana",),
    )


def check_snapshot(name: str, text: str) -> None:
    """Compare with tests/snapshots/NAME exactly; UPDATE_SNAPSHOTS=1 rewrites it."""
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        return
    assert path.is_file(), f"missing snapshot {path}; run with UPDATE_SNAPSHOTS=1 and review it"
    expected = path.read_bytes().decode("utf-8")
    assert text == expected, f"output differs from {path} (UPDATE_SNAPSHOTS=1 to accept)"


def test_fixture_is_ordered_and_linked() -> None:
    tl = timeline()
    times = [e.time for e in tl.events]
    assert times == sorted(times)
    assert all(e.links for e in tl.events)
