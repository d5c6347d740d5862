"""The ledger finds the row a record joined even when an earlier row, passed through unchanged,
holds a link of the same URL (two records of one tool may link one page: a PagerDuty log entry
and a re-served copy of it under another key, the incident's page)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from reconstruct.config import Config
from reconstruct.model import Event, Kind, Link
from reconstruct.normalize import normalize
from tests.test_accounting_properties import NORMALIZE_INCIDENT, NORMALIZE_WINDOW

PD_URL = "https://pagerduty.example/28"
EARLY = datetime(2026, 3, 13, 22, 35, 32, tzinfo=UTC)
START = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def record(
    when: datetime,
    kind: Kind,
    text: str,
    source: str,
    key: str,
    url: str,
    refs: frozenset[str] = frozenset(),
    tags: frozenset[str] = frozenset(),
) -> Event:
    return Event(
        time=when,
        kind=kind,
        summary=text,
        sources=(source,),
        links=(Link(source, url, ""),),
        key=key,
        refs=refs,
        tags=tags,
        scope=f"{source}:scope",
    )


def test_a_start_post_is_counted_in_the_deployment_row_it_joined() -> None:
    said = "Deployed abc1234 to production"
    stream = [
        record(EARLY, Kind.ACK, said, "slack", "slack:28", "https://slack.example/28"),
        record(EARLY, Kind.ACK, said, "pagerduty", "pagerduty:28", PD_URL),
        record(
            START,
            Kind.DEPLOY,
            "see https://github.com/a/b/pull/1",
            "slack",
            "slack:14",
            "https://slack.example/14",
            frozenset({"sha:abc1234"}),
        ),
        record(
            START,
            Kind.ACK,
            said,
            "pagerduty",
            "pagerduty:28:again",
            PD_URL,
            tags=frozenset({"bot"}),
        ),
    ]
    result = normalize(stream, NORMALIZE_INCIDENT, NORMALIZE_WINDOW, Config())
    given = Counter(event.sources[0] for event in stream)
    for source, n in given.items():
        left = sum(result.left_out.get(source, {}).values())
        assert result.shown.get(source, 0) + left == n, (source, result.shown, result.left_out)
    (row,) = [e for e in result.events if e.kind is Kind.DEPLOY]
    assert row.sources == ("pagerduty", "slack")
    assert result.shown == {"pagerduty": 1, "slack": 1}
