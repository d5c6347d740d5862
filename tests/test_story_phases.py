"""The pictures' story on small inputs: recovery is the incident's last clearing (never before
the mitigation or the ack), phases follow the milestones in order, and the changes and deploys
before the impact start are the leadup, named in the diagram."""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import pairwise

from reconstruct.model import Event, Kind, Timeline, Window
from reconstruct.render.diagram import mermaid
from reconstruct.render.story import MILESTONES, story
from tests.picture_data import START, event, incident

M = timedelta(minutes=1)


def rule(minutes: float, state: str, n: int, name: str = "rebalancerate") -> Event:
    tag = "state:normal" if state == "resolved" else "state:alerting"
    return event(
        START + minutes * M,
        Kind.ALERT,
        f"{name} {state}",
        ("grafana",),
        n,
        frozenset({tag}),
        frozenset({f"rule:{name}:{state}"}),
    )


def flapping(*, last_clear: float | None) -> Timeline:
    """Impact -4, trigger 0, a flapping rule back to normal at 8 (before ack 17 and mitigation 40),
    the lag rule's last clearing at ``last_clear``, resolved at 66; a merge at -18 and its deploy
    at -3 before the impact start, and a change three days earlier."""
    events = [
        event(START - 3 * timedelta(days=1), Kind.CHANGE, "Merged PR #818: retry backoff",
              ("github",), 1),
        event(START - 18 * M, Kind.CHANGE, "Merged PR #820: lower session timeout",
              ("github",), 2),
        event(START - 6 * M, Kind.DEPLOY, "Deployed order-consumer 1a2b3c4", ("github",), 3),
        rule(-4, "firing", 4, "lag"),
        event(START, Kind.ALERT, "Incident #9170 triggered", ("pagerduty",), 5),
        rule(2, "firing", 6),
        rule(8, "resolved", 7),
        event(START + 17 * M, Kind.ACK, "Acknowledged by Ana", ("pagerduty",), 8),
        event(START + 40 * M, Kind.DEPLOY, "Deployed order-consumer 9f8e7d6 (rollback)",
              ("github",), 9, frozenset({"rollback"})),
    ]  # fmt: skip
    if last_clear is not None:
        events.append(rule(last_clear, "resolved", 10, "lag"))
    events.append(event(START + 66 * M, Kind.RESOLVE, "Resolved by Ana", ("pagerduty",), 11))
    events.sort(key=lambda e: e.time)
    window = Window(START - timedelta(hours=1), START + 2 * timedelta(hours=1),
                    START - 14 * timedelta(days=1))  # fmt: skip
    return Timeline(incident(START, START + 66 * M), window, tuple(events))


def test_recovery_is_the_last_clearing_after_the_mitigation() -> None:
    shape = story(flapping(last_clear=59))
    recovered = shape.milestone("recovered")
    assert recovered is not None and recovered.time == START + 59 * M, "not the 08 flap"
    names = [m.name for m in shape.milestones]
    assert names == sorted(names, key=MILESTONES.index), "milestones in their story's order"
    phases = {p.name: (p.start, p.end) for p in shape.phases}
    assert phases["response"] == (START, START + 40 * M)
    assert phases["mitigation"] == (START + 40 * M, START + 59 * M)
    assert phases["recovery"] == (START + 59 * M, START + 66 * M)
    ends = [p for p in shape.phases if p.name != "leadup"]
    assert all(a.end <= b.start for a, b in pairwise(ends)), ends


def test_a_clearing_before_the_mitigation_is_no_recovery() -> None:
    shape = story(flapping(last_clear=None))  # only the flap at 08 went back to normal
    assert shape.milestone("recovered") is None
    assert [p.name for p in shape.phases] == ["leadup", "detection", "response"]
    text = mermaid(flapping(last_clear=None))
    assert "Alert cleared" not in text and "section Recovery" in text


def test_changes_and_deploys_before_the_impact_are_the_leadup() -> None:
    tl = flapping(last_clear=59)
    shape = story(tl)
    lead = [tl.events[i].summary for i in shape.leadup]
    assert lead == [
        "Merged PR #818: retry backoff",
        "Merged PR #820: lower session timeout",
        "Deployed order-consumer 1a2b3c4",
    ], "the rollback at 40 is no leadup"
    text = mermaid(tl)
    leadup = text.split("section Leadup\n", 1)[1].split("section Detection", 1)[0]
    mitigation = text.split("section Mitigation\n", 1)[1].split("section Recovery", 1)[0]
    assert "Merged PR 820" in leadup and "Deployed order-consumer 1a2b3c4" in leadup
    assert re.search(r"\w{3} \d\d Merged PR 818", leadup), "the earlier change is named"
    assert "1a2b3c4" not in mitigation and "9f8e7d6" in mitigation
