"""A row leaves its ``actor:`` prefix out only when the text names the actor as whole words:
``Jonathan Parker is looking at...`` written by Jonathan Park still shows who wrote it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconstruct.config import Config
from reconstruct.model import Kind, Link
from reconstruct.render import RenderOptions, render
from reconstruct.render.table import names
from tests.test_render_fixture import at, ev, timeline

LINK = Link("slack", "https://acme.slack.com/archives/C0INC7702/p1795014900900000", "slack")


@pytest.mark.parametrize(
    ("actor", "text", "named"),
    [
        ("Jonathan Park", "Jonathan Park is looking at the ETL", True),
        ("Jonathan Park", "jonathan park: on it", True),
        ("Jonathan Park", "paged Jonathan Park.", True),
        ("Jonathan Park", "Jonathan Parker is looking at the ETL", False),
        ("Jonathan Park", "Jonathan Parkers team owns it", False),
        ("Jonathan Park", "XJonathan Park", False),
        ("Alex Chen (@alexc)", "Alex Chen (@alexc) is IC", True),
        ("Alex Chen (@alexc)", "Alex Chen (@achen) is IC", False),
        ("kim", "kimberly is on it", False),
        ("kim", "ask kim", True),
    ],
)
def test_names_matches_whole_words(actor: str, text: str, named: bool) -> None:
    assert names(actor, text) is named


def test_every_format_keeps_the_author_of_a_prefix_match() -> None:
    events = (
        replace(
            ev(at(9, 50), Kind.UPDATE, "Jonathan Parker is looking at the ETL", (LINK,), "k:1"),
            actor="Jonathan Park",
        ),
        replace(
            ev(at(9, 51), Kind.UPDATE, "Jonathan Park is taking IC", (LINK,), "k:2"),
            actor="Jonathan Park",
        ),
    )
    tl = replace(timeline(), events=events)
    for fmt in ("markdown", "html", "page"):
        out = render(tl, RenderOptions(fmt=fmt), Config())
        assert "Jonathan Park: Jonathan Parker is looking at the ETL" in out, fmt
        assert "Jonathan Park is taking IC" in out, fmt
        assert "Jonathan Park: Jonathan Park is taking IC" not in out, fmt
