"""Issue #7, hostile text: what people and bots write cannot break the draft, forge links, run
script, ping a channel when the draft is pasted into Slack or GitHub, hide text behind bidi
overrides, or carry a secret into any format or into what the sinks deliver."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from reconstruct.config import Config
from reconstruct.model import Kind, Link
from reconstruct.render import RenderOptions, render
from reconstruct.render.table import md_said as md_text
from tests.test_render_fixture import ev, timeline

CONFIG = Config()
SLACK = Link("slack", "https://acme.slack.com/archives/C1/p1", "thread")
TOKEN = "xoxb-2231-998877-HostileTextTok3n"


def hostile(summary: str, *, actor: str | None = "Kim", links: tuple[Link, ...] = (SLACK,)) -> str:
    base = timeline()
    extra = ev(base.incident.started_at, Kind.UPDATE, summary, links, "z:hostile", actor=actor)
    tl = replace(base, events=(*base.events, extra))
    return render(tl, RenderOptions(timeline_only=True), CONFIG)


def row_of(text: str, needle: str) -> str:
    rows = [line for line in text.splitlines() if needle in line]
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("@channel deploy done", "@\u200bchannel deploy done"),
        ("ping @here and @everyone", "ping @\u200bhere and @\u200beveryone"),
        ("cc @acme/sre @kim-lee", "cc @\u200bacme/sre @\u200bkim-lee"),
        ("mail kim@acme.com", "mail kim@acme.com"),  # not a mention
        ("![x](http://evil)", "!\\[x\\](http://evil)"),
        ("[ok](javascript:alert(1))", "\\[ok\\](javascript:alert(1))"),
        ("<img src=x onerror=alert(1)>", "\\<img src=x onerror=alert(1)>"),
        ("&#8238;gnp.exe", "\\&#8238;gnp.exe"),
        ("a\u202eevil\u202c b\u2066c\u2069", "aevil bc"),
        ("bell\x07 esc\x1b[31m nul\x00", "bell esc\\[31m nul"),
        ("two\nlines\u2028and\x85more", "two lines and more"),
        ("a | b `c`", "a \\| b `c`"),  # a balanced pair: a code span (test_render_code_spans)
        ("a | b `c", "a \\| b \\`c"),
    ],
)
def test_md_text_neutralises(raw: str, shown: str) -> None:
    assert md_text(raw) == shown


def test_hostile_row_stays_one_row_and_inert() -> None:
    text = hostile(
        "@channel ![x](http://evil) <script>x</script> \u202eevil | `rm` [a](data:text/html,x)",
        links=(SLACK, Link("slack", "javascript:alert(1)", "x"), Link("slack", "data:,x", "y")),
    )
    row = row_of(text, "evil")
    assert "@\u200bchannel" in row and "\u202e" not in row
    assert not re.search(r"(?<!\\)(?:\\\\)*\]\((?:javascript|data):", row), "no unsafe link"
    assert "\\[a\\](data:text/html,x)" in row  # shown as text
    assert "\\<script>" in row and "!\\[x\\](http://evil)" in row


def test_very_long_message_is_shortened() -> None:
    row = row_of(hostile("word " * 5000), "word")
    assert "…" in row and len(row) < 600


@pytest.mark.parametrize("fmt", ["markdown", "json", "html", "csv"])
def test_bidi_and_control_characters_reach_no_format(fmt: str) -> None:
    base = timeline()
    extra = ev(base.incident.started_at, Kind.UPDATE, "x\u202ey\x00z\x1b", (SLACK,), "z:b")
    out = render(replace(base, events=(*base.events, extra)), RenderOptions(fmt=fmt), CONFIG)
    assert "\u202e" not in out and "\x00" not in out and "\x1b" not in out
    if fmt == "json":
        assert any(e["summary"] == "xyz" for e in json.loads(out)["events"])


def test_secret_redacted_in_what_sinks_receive(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A sink is handed a Draft built from the render output: its Markdown is already redacted."""
    from reconstruct.deliver.base import Draft

    monkeypatch.setenv("SLACK_TOKEN", TOKEN)
    base = timeline()
    extra = ev(base.incident.started_at, Kind.UPDATE, f"token {TOKEN}", (SLACK,), "z:s")
    tl = replace(base, events=(*base.events, extra))
    draft = Draft(
        incident=tl.incident, markdown=render(tl, RenderOptions(), CONFIG), bundle_path=tmp_path
    )
    assert TOKEN not in draft.markdown and "token \\[redacted: SLACK_TOKEN\\]" in draft.markdown
