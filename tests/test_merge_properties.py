"""Properties of the cross-tool merge (``normalize.merge.merge_tools``) alone, over generated
records of one occurrence told by several tools, keys repeated on purpose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reconstruct.model import Event, Kind, Link
from reconstruct.normalize.merge import NEIGHBOURS, merge_tools

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=5)
SOURCES = ("slack", "pagerduty", "grafana")
REFS = ("sha:abc1234", "pd:pabc123", "rule:x:firing")
TAGS = ("bot", "human", "state:triggered", "label:pod=web-0", "label:pod=web-1")


@st.composite
def records(draw: st.DrawFn) -> Event:
    """A record whose key another record may carry with other refs, tags or time (a copy read
    twice, or two records a parser keyed alike): what ``dedup_exact`` folds before the merge."""
    source = draw(st.sampled_from(SOURCES))
    number = draw(st.integers(0, 2))
    return Event(
        time=T0 + timedelta(seconds=draw(st.sampled_from((0, 200, 400)))),
        kind=draw(st.sampled_from((Kind.ALERT, Kind.DEPLOY))),
        summary=draw(st.sampled_from(("Triggered #4711", "[FIRING:1] X (web-0)", "x"))),
        sources=(source,),
        links=(Link(source, f"https://{source}.example/{number}"),),
        key=f"{source}:{number}",
        refs=frozenset(draw(st.sets(st.sampled_from(REFS), min_size=1, max_size=2))),
        tags=frozenset(draw(st.sets(st.sampled_from(TAGS), max_size=2))),
        scope=draw(st.sampled_from((f"{source}:inc", f"{source}:ops"))),
    )


def _deploy(source: str, seconds: int) -> Event:
    return Event(
        T0 + timedelta(seconds=seconds),
        Kind.DEPLOY,
        "Deployed abc1234 to production",
        (source,),
        (Link(source, f"https://{source}.example/1"),),
        f"{source}:1",
        refs=frozenset({"sha:abc1234"}),
        scope=f"{source}:inc",
    )


def _as_set(events: list[Event]) -> list[str]:
    return sorted(map(repr, events))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), max_size=NEIGHBOURS))
# Grafana's and GitHub's records 150 s apart join; Slack's 200 s before the row's time (350 s
# before its last record) stays apart, and stays apart on a second pass
@example([_deploy("slack", 0), _deploy("grafana", 200), _deploy("github", 350)])
def test_a_second_merge_joins_nothing_even_with_repeated_keys(stream: list[Event]) -> None:
    """Idempotent without unique keys (at most ``NEIGHBOURS`` records: none is crowded out of
    another's candidates): a row of several tools stays as it is, and two records left apart
    stay apart; a person's message joins no row."""
    once = merge_tools(stream, WINDOW)
    assert _as_set(merge_tools(once, WINDOW)) == _as_set(once)
    for event in once:
        assert len(event.sources) == len(set(event.sources))
        if len(event.sources) > 1:
            assert "human" not in event.tags
