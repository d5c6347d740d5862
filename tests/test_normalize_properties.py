"""Properties of ``normalize`` over generated event streams."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconstruct.config import Config
from reconstruct.model import Event, Incident, Kind, Link, Window
from reconstruct.normalize import normalize
from reconstruct.normalize.order import order_key

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
WINDOW = Window(T0 - timedelta(hours=1), T0 + timedelta(hours=2), T0 - timedelta(days=2))
INCIDENT = Incident("PABC123", 1234, "Checkout errors", "P1", ("checkout",), T0, None, None)
CONFIG = Config()

SOURCES = ("slack", "pagerduty", "github", "grafana")
KINDS = (Kind.MESSAGE, Kind.ALERT, Kind.DEPLOY, Kind.CHANGE, Kind.ACK, Kind.ANNOTATION)
REFS = ("sha:abc1234", "pd:pabc123", "pd#1234", "rule:x:firing", "rule:x:resolved", "pr:a/b#1")
TAGS = ("bot", "human", "pinned", "reaction:pushpin", "incident-channel", "production")
TEXTS = (
    "looking",
    "root cause is the ttl",
    "[FIRING:1] X",
    "[RESOLVED] X",
    "Deployed abc1234 to production",
    "Triggered [#1234]",
    "see https://github.com/a/b/pull/1",
    "Reduce cache TTL",
)
REPOS = ("scope", "acme/checkout", "acme/billing")
ZONES = (UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30)))


@st.composite
def events(draw: st.DrawFn) -> Event:
    source = draw(st.sampled_from(SOURCES))
    number = draw(st.integers(0, 40))
    key = f"{source}:{number}"
    # One record per key: what the same key says does not vary (copies may differ in tags).
    seconds = (number * 7919) % (4 * 86400) - 3 * 86400 + draw(st.sampled_from((0, 0, 30)))
    zone = draw(st.sampled_from(ZONES))
    return Event(
        time=(T0 + timedelta(seconds=seconds)).astimezone(zone),
        kind=KINDS[number % len(KINDS)],
        summary=TEXTS[number % len(TEXTS)],
        sources=(source,),
        links=(Link(source, f"https://{source}.example/{number}"),),
        key=key,
        # what a record refers to is read from what it says, so copies share it too
        # (``merge_tools`` needs one record per key; a copy varies only in its tags)
        refs=frozenset(REFS[(number * 5 + k) % len(REFS)] for k in range(number % 4)),
        tags=frozenset(draw(st.sets(st.sampled_from(TAGS), max_size=3))),
        # A tool's change of the affected service's repository, another's, or no repository:
        # the window's changes with no tie to the incident are counted (``normalize.during``).
        scope=f"github:{REPOS[number % 3]}" if source == "github" else f"{source}:scope",
    )


@st.composite
def clustered(draw: st.DrawFn) -> list[Event]:
    """Events close together (many merge candidates), plus some spread over the days."""
    spread = draw(st.lists(events(), max_size=25))
    dense = [
        _at(e, T0 + timedelta(seconds=draw(st.integers(-400, 400))))
        for e in draw(st.lists(events(), max_size=25))
    ]
    return spread + dense


def _at(event: Event, when: datetime) -> Event:
    return Event(
        when,
        event.kind,
        event.summary,
        event.sources,
        event.links,
        event.key + ":dense",
        event.actor,
        event.refs,
        event.tags,
        event.scope,
    )


def run(stream: list[Event]) -> tuple[Event, ...]:
    return normalize(stream, INCIDENT, WINDOW, CONFIG).events


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clustered(), st.randoms(use_true_random=False))
def test_normalize_is_deterministic_sorted_utc_and_stable(stream: list[Event], rnd: object) -> None:
    first = normalize(stream, INCIDENT, WINDOW, CONFIG)
    shuffled = list(stream)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert normalize(shuffled, INCIDENT, WINDOW, CONFIG) == first
    out = first.events
    assert [order_key(e) for e in out] == sorted(order_key(e) for e in out)
    assert len({e.key for e in out}) == len(out)
    for event in out:
        assert event.time.tzinfo is UTC
        assert WINDOW.leadup_start <= event.time <= WINDOW.end
        assert len(event.links) >= 1
        assert event.reason
        assert list(event.sources) == sorted(set(event.sources))
        if "human" in event.tags and not event.members:
            assert len(event.sources) == 1  # a person's message never merges (a series row
            # holds its members' tags and sources, each member one tool's)
    assert run(list(out)) == out
    # everything is accounted for: every record (copies too) in a row or omitted, where
    # ``omitted`` (per scope) counts records, as ``left_out`` (per source and reason) does
    assert sum(first.shown.values()) + sum(first.omitted.values()) == len(stream)
    left = sum(sum(reasons.values()) for reasons in first.left_out.values())
    assert sum(first.omitted.values()) == left
    assert first.duplicates == len(stream) - len({e.key for e in stream})


def test_a_row_tagged_human_takes_no_deploy_start_post() -> None:
    # found by the property above: a bot post naming a commit joined a deploy row tagged human
    def record(key: str, kind: Kind, text: str, tags: tuple[str, ...]) -> Event:
        source = key.partition(":")[0]
        return Event(
            T0,
            kind,
            text,
            (source,),
            (Link(source, f"https://{source}.example/{key}"),),
            key,
            refs=frozenset({"sha:abc1234"}),
            tags=frozenset(tags),
            scope=f"{source}:scope",
        )

    out = run(
        [
            record("slack:0", Kind.MESSAGE, "looking", ("bot",)),
            record("pagerduty:26", Kind.DEPLOY, "[FIRING:1] X", ("human",)),
        ]
    )
    assert [(e.key, e.sources) for e in out if "human" in e.tags] == [
        ("pagerduty:26", ("pagerduty",))
    ]


def test_a_post_joining_a_record_never_moves_it_near_other_posts() -> None:
    # found by the property above: the app's post 5 min before the record joined it and moved
    # the row to its own time, within reach of a post 1 s earlier: a second run joined that too
    def post(when: datetime, kind: Kind, n: int, refs: set[str], src: str = "slack") -> Event:
        link = Link(src, f"https://{src}.example/{n}", "")
        tags = frozenset({"bot"}) if src == "slack" else frozenset()
        return Event(
            when, kind, "root cause is the ttl", (src,), (link,), f"{src}:{n}:dense",
            None, frozenset(refs), tags, f"{src}:scope", "", (), None,
        )  # fmt: skip

    stream = [
        post(T0 + timedelta(minutes=-5), Kind.ALERT, 1, {"pd:pabc123"}),
        post(T0 + timedelta(minutes=-5, seconds=-1), Kind.ANNOTATION, 17, {"pd:pabc123"}),
        post(T0, Kind.ALERT, 1, {"pd:pabc123"}, src="pagerduty"),
    ]
    out = run(stream)
    assert run(list(out)) == out
    (row,) = (e for e in out if "pagerduty" in e.sources)
    assert row.time == T0, "the record's own time"


def test_a_chat_post_joined_as_a_link_makes_no_tools_row_a_bots() -> None:
    # found by the property above: a group post ("[RESOLVED] X", a bot's) joined a Slack alert
    # row as a link; the row took the post's "bot" tag, so a second run read it as an echo of
    # PagerDuty's alert of the other state and merged the two
    def alert(key: str, text: str, refs: set[str], tags: set[str]) -> Event:
        source = key.partition(":")[0]
        link = Link(source, f"https://{source}.example/{key}", "")
        return Event(
            T0, Kind.ALERT, text, (source,), (link,), key, None, frozenset(refs),
            frozenset(tags), f"{source}:scope", "", (), None,
        )  # fmt: skip

    stream = [
        alert("slack:19", "[RESOLVED] X", set(), {"bot"}),
        alert("slack:1", "root cause is the ttl", {"pd:pabc123", "rule:x:resolved"}, set()),
        alert("pagerduty:1", "root cause is the ttl", {"pd:pabc123", "rule:x:firing"}, set()),
    ]
    out = run(stream)
    assert run(list(out)) == out
    (row,) = [e for e in out if e.key == "slack:1"]
    assert "bot" not in row.tags and len(row.members) == 2
