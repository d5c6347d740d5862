"""Slack's inline code is a Markdown code span in the draft (issue #11).

Slack mrkdwn writes inline code between single backticks ("serving `true`",
https://api.slack.com/reference/surfaces/formatting#inline-code); a Markdown renderer shows
"\\`true\\`" as the backticks themselves, so the author deletes the backslashes. A balanced pair
is a code span, shown as written (CommonMark shows a code span's content literally: no link,
image, HTML or entity inside one); a lone backtick, a run of them, a blank pair or one around a
pipe stay escaped. The draft is read here with markdown-it-py (CommonMark with GFM tables, the
parser ``rich`` brings), as GitHub would read it. Other formats keep the text as written;
redaction applies inside the backticks as anywhere.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace

import pytest
from markdown_it import MarkdownIt

from reconstruct.config import Config
from reconstruct.model import Kind, Link
from reconstruct.render import RenderOptions, render
from reconstruct.render.table import md_said
from tests.test_render_fixture import ev, timeline

SLACK = Link("slack", "https://acme.slack.com/archives/C1/p1", "#inc-4711")
TOKEN = "xoxb-2231-998877-CodeSpanTok3n"
GFM = MarkdownIt("commonmark").enable("table")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("flag is serving `true` again", "flag is serving `true` again"),
        (
            "`kubectl rollout undo deploy/checkout` done",
            "`kubectl rollout undo deploy/checkout` done",
        ),
        ("`a` and `b`", "`a` and `b`"),
        ("a lone ` backtick", "a lone \\` backtick"),
        ("``double``", "\\`\\`double\\`\\`"),
        ("` `", "\\` \\`"),
        ("`grep x | wc -l`", "\\`grep x \\| wc -l\\`"),  # a pipe: escaped, no code span
        ("`a`b`", "`a`b\\`"),
        ("ping `@here`", "ping `@\u200bhere`"),  # no mention, in a code span too
    ],
)
def test_a_balanced_pair_is_a_code_span_anything_else_stays_escaped(raw: str, shown: str) -> None:
    assert md_said(raw) == shown


def cells(markdown: str, needle: str) -> list[str]:
    """The HTML of the cells of the table row holding ``needle``, as GFM reads the draft."""
    row = next(line for line in markdown.splitlines() if needle in line)
    html = GFM.render(f"| Time | Event |\n|---|---|\n{row}\n")
    return re.findall(r"<td>(.*?)</td>", html, re.DOTALL)


def draft(summary: str, fmt: str = "markdown") -> str:
    base = timeline()
    extra = ev(base.incident.started_at, Kind.UPDATE, summary, (SLACK,), "z:code", actor="Kim")
    tl = replace(base, events=(*base.events, extra))
    return render(tl, RenderOptions(fmt=fmt, timeline_only=fmt == "markdown"), Config())


def test_inline_code_reads_as_code_in_the_table_and_nothing_else_does() -> None:
    text = (
        "serving `true` on `checkout-pricing-v2` | `<img src=x onerror=alert(1)>` [x](javascript:y)"
    )
    time, event = cells(draft(text), "checkout-pricing-v2")
    assert re.fullmatch(r"\d\d:\d\d", time), "the pipe outside code stays inside the cell"
    assert "<code>true</code>" in event and "<code>checkout-pricing-v2</code>" in event
    assert "`&lt;img src=x onerror=alert(1)&gt;`" in event, "shown escaped, never run"
    assert "<img" not in event.replace("&lt;img", "") and 'href="javascript' not in event
    assert "[x](javascript:y)" in event
    assert '<a href="https://acme.slack.com/archives/C1/p1">#inc-4711</a>' in event


def test_a_lone_backtick_never_opens_a_span_over_the_links() -> None:
    (_, event) = cells(draft("rolled back to `v2.3.0"), "rolled back")
    assert "<code>" not in event and "`v2.3.0" in event
    assert '<a href="https://acme.slack.com/archives/C1/p1">#inc-4711</a>' in event


@pytest.mark.parametrize("fmt", ["markdown", "html", "csv", "json"])
def test_a_secret_in_inline_code_is_redacted_in_every_format(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_TOKEN", TOKEN)
    out = draft(f"rotated the bot token, old one was `{TOKEN}`, flag serving `true`", fmt)
    assert TOKEN not in out
    if fmt == "json":
        (row,) = [e for e in json.loads(out)["events"] if "rotated the bot" in e["summary"]]
        assert "`true`" in row["summary"], "JSON keeps the text as written"
    elif fmt == "csv":
        (row,) = [r for r in csv.reader(io.StringIO(out)) if any("rotated the bot" in c for c in r)]
        assert any("`true`" in c for c in row)
    elif fmt == "html":
        assert "`true`" in out and "\\`" not in out
    else:
        assert "`true`" in out and "\\`true" not in out


def test_a_pair_holding_html_or_link_marks_stays_escaped() -> None:
    """CommonMark: raw HTML and autolinks bind tighter than a code span, so "`<img ... `>" is a
    tag; such a pair (and one holding a bracket) stays escaped, every mark inert (Hypothesis
    found `` `<` `` and `` `](` `` in a row's reason)."""
    from reconstruct.render.table import md_said

    for text in ("`<img src=x onerror=alert(1) `>", "`<`", "`](`", "run `[x](javascript:1)`"):
        said = md_said(text)
        assert "\\`" in said, said
        assert not re.search(r"(?<!\\)<", said) and not re.search(r"(?<!\\)\]\(", said), said
    assert md_said("serving `true`") == "serving `true`"
