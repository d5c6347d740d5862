"""Issue #7, property tests: whatever the events (any unicode text, pipes, newlines, backticks,
brackets, HTML, control and bidi characters, very long text; aware times in several zones; 0-50
events), every format renders them safely, completely, deterministically and in UTC."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconstruct.config import Config
from reconstruct.model import Event, Incident, Kind, Link, Timeline, Window
from reconstruct.normalize.order import ordered
from reconstruct.render import RenderOptions, render
from reconstruct.render.table import time_label

CONFIG = Config()
PROPS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
ZONES = [
    UTC,
    ZoneInfo("America/New_York"),
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("Asia/Kolkata"),
    ZoneInfo("Australia/Lord_Howe"),
    timezone(timedelta(hours=-5)),
]
HOSTILE = [
    "|",
    "\\|",
    "\n",
    "\r\n",
    "`",
    "```",
    "[x](javascript:alert(1))",
    "![x](http://evil)",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "&#8238;",
    "\u202e",
    "\u2066",
    "\x00",
    "\x1b[31m",
    "\u2028",
    "\x85",
    "@channel",
    "@here",
    "data:text/html,<b>",
    "x" * 500,
]
START = datetime(2026, 3, 14, 9, 42, 7, tzinfo=UTC)

text = st.lists(st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE)), max_size=6).map("".join)
url = st.one_of(
    st.sampled_from(
        ["https://acme.slack.com/archives/C1/p1", "javascript:alert(1)", "data:text/html,x"]
    ),
    st.text(max_size=30).map(lambda t: "https://example.com/" + t),
)
when = st.datetimes(
    min_value=datetime(2026, 3, 1),
    max_value=datetime(2026, 3, 31),
    timezones=st.sampled_from(ZONES),
)


@st.composite
def events(draw: st.DrawFn) -> list[Event]:
    n = draw(st.integers(min_value=0, max_value=50))
    found = []
    for i in range(n):
        links = tuple(
            Link(source=draw(st.sampled_from(["slack", "pagerduty", "github"])), url=u, label=lb)
            for u, lb in draw(st.lists(st.tuples(url, text), max_size=3))
        )
        found.append(
            Event(
                time=draw(when),
                kind=draw(st.sampled_from(list(Kind))),
                summary=draw(text),
                sources=tuple(sorted({lk.source for lk in links})) or ("slack",),
                links=links,
                key=f"k:{i:03d}",
                actor=draw(st.one_of(st.none(), text)),
                reason=draw(text),
            )
        )
    return found


def timeline(found: list[Event], title: str = "Checkout down") -> Timeline:
    utc = [Event(**{**_fields(e), "time": e.time.astimezone(UTC)}) for e in found]
    incident = Incident(
        id="Q1ABC23",
        number=1234,
        title=title,
        severity="P1",
        services=("checkout",),
        started_at=START,
        resolved_at=START + timedelta(minutes=47),
        url="https://acme.pagerduty.com/incidents/Q1ABC23",
    )
    window = Window(
        start=datetime(2026, 3, 1, tzinfo=UTC),
        end=datetime(2026, 4, 1, tzinfo=UTC),
        leadup_start=datetime(2026, 2, 1, tzinfo=UTC),
    )
    return Timeline(incident=incident, window=window, events=tuple(ordered(utc)))


def _fields(event: Event) -> dict[str, object]:
    return {name: getattr(event, name) for name in Event.__slots__}


UNESCAPED_PIPE = re.compile(r"(?<!\\)(?:\\\\)*\|")


def table_rows(markdown: str) -> list[str]:
    lines = markdown.split("\n")
    assert lines[1].startswith("|---")
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def _github_mentions(text: str) -> list[str]:
    """The logins and teams GitHub would link (and notify) in an issue or comment:
    html-pipeline's MentionFilter, an ``@`` after the start or a non-word character (ASCII),
    a login of letters, digits and ``-``, not followed by ``/`` (``org/team`` is a team when a
    letter or digit follows), then dots only before a non-word character or the end, else any
    character that cannot be in a login. A link's URL is no text: GitHub links nothing in it."""
    text = re.sub(r"\]\(https?://[^)\s]*\)", "]()", text)
    found = []
    for match in re.finditer(r"(?<![A-Za-z0-9_])@([A-Za-z0-9][A-Za-z0-9-]*)", text):
        rest = text[match.end() :]
        if rest.startswith("/"):
            if re.match(r"/[A-Za-z0-9]", rest):
                found.append(match.group(1))
            continue
        if re.match(r"\.+(?![A-Za-z0-9_])|[^A-Za-z0-9_.]|$", rest):
            found.append(match.group(1))
    return found


@PROPS
@given(found=events(), why=st.booleans())
def test_markdown_table_has_one_row_per_event_and_the_right_columns(
    found: list[Event], why: bool
) -> None:
    tl = timeline(found)
    text = render(tl, RenderOptions(timeline_only=True, why=why), CONFIG)
    rows = table_rows(text)
    assert len(rows) == len(found)
    columns = 3 if why else 2
    for row, event in zip(rows, tl.events, strict=True):
        assert len(UNESCAPED_PIPE.findall(row)) == columns + 1, row
        assert row.startswith(f"| {time_label(event.time, START.date())} |")
        assert row.splitlines() == [row], "one line, whatever the line separators"
        assert not re.search(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\x00-\x1f\x7f-\x9f]", row)
        assert not re.search(r"(?<!\\)<", row), "no raw HTML"
        assert not re.search(r"(?<!\\)(?:\\\\)*\]\((?!https?://)", row), "links: http(s) only"
        assert not _github_mentions(row), "no live mention"
        assert len(row) < 2000, "long text is shortened"


@PROPS
@given(found=events())
def test_json_has_every_event_in_utc(found: list[Event]) -> None:
    tl = timeline(found)
    doc = json.loads(render(tl, RenderOptions(fmt="json"), CONFIG))
    assert len(doc["events"]) == len(found)
    expected = sorted(e.time.astimezone(UTC) for e in found)
    got = [datetime.fromisoformat(e["time"].replace("Z", "+00:00")) for e in doc["events"]]
    assert all(e["time"].endswith("Z") for e in doc["events"])
    assert [g.replace(microsecond=0) for g in got] == [t.replace(microsecond=0) for t in expected]
    for event in doc["events"]:
        assert all(link["url"].startswith(("http://", "https://")) for link in event["links"])
        assert not re.search(r"[\u202a-\u202e\u2066-\u2069\x00-\x08]", event["summary"])


@PROPS
@given(found=events(), title=text)
def test_html_has_no_script_and_every_row(found: list[Event], title: str) -> None:
    html = render(timeline(found, title or "t"), RenderOptions(fmt="html", why=True), CONFIG)
    lower = html.lower()
    assert "<script" not in lower
    assert 'href="javascript:' not in lower and 'href="data:' not in lower
    assert html.count("<tr><td>") == len(found)


@PROPS
@given(found=events(), fmt=st.sampled_from(["markdown", "json", "html", "csv"]))
def test_output_is_deterministic(found: list[Event], fmt: str) -> None:
    tl = timeline(found)
    first = render(tl, RenderOptions(fmt=fmt), CONFIG)
    again = render(timeline(list(reversed(found))), RenderOptions(fmt=fmt), CONFIG)
    assert first == render(tl, RenderOptions(fmt=fmt), CONFIG)
    if len({(e.time.astimezone(UTC), e.kind, e.key) for e in found}) == len(found):
        assert first == again, "input order does not matter"
