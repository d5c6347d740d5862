"""Issue #12: no text a person pastes or a sink posts pings anyone. ``@here``, ``@channel``,
``@user``, ``@org/team`` and Slack's ``<!channel>``, ``<!here>``, ``<!subteam^ID>``, ``<@U123>`` in
titles, services, people's names, notes and link labels come out with a zero-width space after the
``@`` or the ``<`` in Markdown, HTML and the page alike (and in what the sinks send), reading the
same. JSON and CSV are data (#11): their fields keep the text as written, redacted, without the
invisible character; a CSV cell starting with ``@`` is still no formula."""

from __future__ import annotations

import csv
import html
import io
import json
from dataclasses import replace

import pytest

from reconstruct.config import Config
from reconstruct.deliver.safe import Outbound
from reconstruct.model import Kind, Link, Timeline
from reconstruct.render import FORMATS, RenderOptions, render
from reconstruct.render.table import ZWSP, no_mentions
from tests.test_render_fixture import at, ev, timeline

RAW = ["@here", "@channel", "@oncall", "@acme/sre", "<!channel>", "<!here>", "<@U024BE7LH>"]
RAW += ["<!subteam^S0123ABC>"]


def hostile() -> Timeline:
    link = Link("slack", "https://acme.slack.com/archives/C1/p1773481800000100", "@here thread")
    row = ev(
        at(9, 50),
        Kind.UPDATE,
        "@here <!channel> rollback now, cc <@U024BE7LH> <!subteam^S0123ABC> @acme/sre",
        (link,),
        "k:1",
        actor="<!here> @oncall",  # type: ignore[arg-type]
    )
    tl = replace(timeline(), events=(row,))
    incident = replace(
        tl.incident, title="Checkout down <!channel> @channel", services=("@here checkout",)
    )
    return replace(tl, incident=incident)


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f not in ("json", "csv")])
def test_no_format_keeps_a_live_mention(fmt: str) -> None:
    out = render(hostile(), RenderOptions(fmt=fmt), Config())
    text = html.unescape(out) if fmt in ("html", "page") else out
    text = text.replace("\\<", "<")  # Markdown's escape is not what neutralises
    for raw in RAW:
        assert raw not in text, (fmt, raw)
    assert f"@{ZWSP}here" in text and f"<{ZWSP}!channel>" in text, fmt
    if fmt != "csv":  # the CSV has no title line
        assert f"Checkout down <{ZWSP}!channel> @{ZWSP}channel" in text, fmt


def test_json_and_csv_fields_keep_the_text_as_written() -> None:
    doc = json.loads(render(hostile(), RenderOptions(fmt="json"), Config()))
    assert doc["incident"]["title"] == "Checkout down <!channel> @channel"
    assert doc["incident"]["services"] == ["@here checkout"]
    [event] = doc["events"]
    assert event["actor"] == "<!here> @oncall"
    assert event["links"][0]["label"] == "@here thread"
    assert event["summary"] == (
        "@here <!channel> rollback now, cc <@U024BE7LH> <!subteam^S0123ABC> @acme/sre"
    )
    out = render(hostile(), RenderOptions(fmt="csv"), Config())
    assert ZWSP not in out
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[1][2] == "'" + event["summary"]  # a cell starting with @ is no formula


def test_what_is_not_a_mention_is_left_alone() -> None:
    text = "mail ana@example.com, see a<b and x <= y, <https://x.io|x>, npm i @types/node"
    assert no_mentions(text) == text.replace("@types", f"@{ZWSP}types")


def test_sinks_strings_are_neutralised_too() -> None:
    out = Outbound()
    assert out.text("Down <!channel> @here") == f"Down <{ZWSP}!channel> @{ZWSP}here"
    assert out.slack("Down <!channel>") == f"Down &lt;{ZWSP}!channel&gt;"
    assert out.markdown("Down <!here>") == f"Down \\<{ZWSP}!here>"
