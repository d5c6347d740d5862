"""A new source touches only its own package and one registry line (issue #13).

``tests/example_source`` is a complete source that nothing in ``reconstruct/`` names. Registered
with one line, it is collected by the orchestrator (with its token, its skip reason, the shared
retry policy and page guard), parsed into the timeline, ranked and counted by its traits, and
the contract suite (``test_collector_contract``) runs over it like over every built-in source.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import tests.example_source as example
from reconstruct import collectors
from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collect import run_sources
from reconstruct.collectors._http import RetryPolicy
from reconstruct.collectors.base import CollectContext
from reconstruct.config import Config, Secret
from reconstruct.model import Incident, Window
from reconstruct.normalize.authority import primary_source
from reconstruct.render.coverage import omitted_sentence
from tests.fakes.server import FakeServer, Request, Response
from tests.test_live_end_to_end import MakeServer

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
WINDOW = Window(T0 - timedelta(hours=1), T0 + timedelta(hours=1), T0 - timedelta(days=14))
INCIDENT = Incident("PEX1", 1, "Example", "P1", (), T0, T0 + timedelta(minutes=30), None)


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(collectors.REGISTRY, "example", "tests.example_source")  # the one line


def _fake(make_server: MakeServer) -> FakeServer:
    server = make_server()
    pages = {
        "": {
            "events": [{"id": "e1", "at": "2026-03-14T09:05:00+00:00", "text": "Degraded"}],
            "next": "c2",
        },
        "c2": {
            "events": [{"id": "e2", "at": "2026-03-14T09:40:00+00:00", "text": "Fixed"}],
            "next": None,
        },
    }

    def events(req: Request, _: Any) -> Response:
        if req.headers.get("authorization") != "Bearer ex-token":
            return Response(401, {"error": "bad token"})
        return Response(200, pages[req.param("cursor", "") or ""])

    server.route("GET", r"/api/events", events)
    server.fail_next(
        "GET", r"/api/events", Response(503, "down"), Response(429, {}, {"Retry-After": "0"})
    )
    return server


def test_registered_with_one_line_it_is_a_source(registered: None) -> None:
    assert "example" in collectors.names()
    source = collectors.get_source("example")
    assert source is example.SOURCE and source.token_env == "EXAMPLE_TOKEN"
    assert collectors.traits()["example"].authority == 5
    assert primary_source(["slack", "example"]) == "slack", "ranked by its traits (5 > 3)"
    assert primary_source(["unregistered", "example"]) == "example"
    assert (
        omitted_sentence("example:status", 2)
        == "2 other status updates in example:status not shown"
    )


def test_its_traits_word_why_its_rows_are_kept(registered: None) -> None:
    # The normalizer names no source: a kept row's reason comes from the traits of the source
    # that speaks for it, here the example's own wording, also for a merged row.
    from reconstruct.model import Event, Kind, Link
    from reconstruct.normalize.reasons import tool_reason

    def update(*sources: str) -> Event:
        link = Link("example", "https://status.example.com/events/1")
        return Event(WINDOW.start, Kind.UPDATE, "Degraded", sources, (link,), key="example:1")

    assert tool_reason(update("example")) == "status page update"
    assert (
        tool_reason(update("example", "unregistered"))
        == "status page update; also seen in unregistered"
    ), "it speaks for the row (5 before an unknown source)"
    assert tool_reason(update("unregistered")) == "update from unregistered"


def test_it_is_collected_through_the_shared_policy_and_parsed(
    registered: None,
    make_server: MakeServer,
    ca_bundle: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = _fake(make_server)
    monkeypatch.setitem(example.BASE_URL, "url", server.base_url)
    config = Config.model_validate({"tls": {"ca_bundle": str(ca_bundle)}})
    assert collectors.get_source("example").skip_reason(config, {}) is None
    sleeps: list[float] = []
    ctx = CollectContext(
        config=config,
        incident=INCIDENT,
        incident_raw={},
        window=WINDOW,
        token=Secret("ex-token", "EXAMPLE_TOKEN"),
        source="example",
        sleep=sleeps.append,
        policy=RetryPolicy(backoff=0.01, jitter=0),
    )
    with BundleWriter(tmp_path / "b", INCIDENT.id) as writer:
        run_sources(["example"], {"example": ctx}, writer, None)
        writer.finish(WINDOW, WINDOW.end)
    bundle = Bundle.open(tmp_path / "b")
    status = bundle.source("example")
    assert status is not None and status.status == "ok", status
    assert status.meta == {"events": 2}
    assert server.count("GET", r"/api/events") == 4, "a 503 and a 429 retried, two pages"
    assert sleeps == [0.01, 0.0]
    events = list(collectors.get_source("example").parse(bundle))
    assert [e.summary for e in events] == ["Degraded", "Fixed"]
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["sources"]["example"]
