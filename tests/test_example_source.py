"""A new source touches only its own package and one registry line (issue #13).

``tests/example_source`` is a complete source that nothing in ``reconstruct/`` names. Registered
with one line, it is collected by the orchestrator (with its token, its skip reason, the shared
retry policy and page guard), parsed into the timeline, ranked and counted by its traits, and
the contract suite (``test_collector_contract``) runs over it like over every built-in source.
"""

from __future__ import annotations

import json
import time
import types
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
from reconstruct.config import Config, Secret, load_config
from reconstruct.errors import ConfigError
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


def _config(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "reconstruct.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, environ={}, source_tables=collectors.config_models())


def test_its_own_config_table_is_validated_like_the_built_in_ones(
    registered: None, tmp_path: Path
) -> None:
    config = _config(tmp_path, '[example]\nurl = "https://status.example.com"\n')
    assert config.table("example") == example.ExampleConfig(url="https://status.example.com")
    assert collectors.get_source("example").skip_reason(config, {}) is None
    with pytest.raises(ConfigError) as info:
        _config(tmp_path, '[example]\nurll = "https://status.example.com"\n')
    assert str(info.value) == (
        f"{tmp_path / 'reconstruct.toml'}: [example] urll: unknown key; remove it or check the "
        "spelling (see README, Config)"
    )
    with pytest.raises(ConfigError, match=r"\[example\] url: "):
        _config(tmp_path, "[example]\nurl = 3\n")
    # set from the environment like any key
    path = tmp_path / "empty.toml"
    path.write_text("", encoding="utf-8")
    config = load_config(
        path,
        environ={"RECONSTRUCT_EXAMPLE__URL": "https://env.example.com"},
        source_tables=collectors.config_models(),
    )
    assert config.table("example").url == "https://env.example.com"


def test_no_table_means_not_collected(registered: None, tmp_path: Path) -> None:
    config = _config(tmp_path, "")
    assert config.table("example") is None
    assert collectors.get_source("example").skip_reason(config, {}) == (
        "no example API configured (set [example] url)"
    )


def test_unregistered_its_table_is_unknown(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[example\]: unknown table"):
        _config(tmp_path, '[example]\nurl = "https://status.example.com"\n')


def test_a_line_in_the_registry_literal_gives_it_its_table(tmp_path: Path) -> None:
    # the README's one line, written in REGISTRY's dict literal: the registry module's own
    # source with that line added, run as a module of its own
    text = Path(collectors.__file__).read_text(encoding="utf-8")
    line = '    "grafana": "reconstruct.collectors.grafana",\n'
    assert line in text
    text = text.replace(line, line + '    "example": "tests.example_source",\n')
    module = types.ModuleType("registry_with_example")
    exec(compile(text, "registry_with_example", "exec"), module.__dict__)
    assert "example" in module.names()
    assert "example" not in module.BUILTIN
    path = tmp_path / "reconstruct.toml"
    path.write_text('[example]\nurl = "https://status.example.com"\n', encoding="utf-8")
    config = load_config(path, environ={}, source_tables=module.config_models())
    assert config.table("example") is not None


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
    config = _config(
        tmp_path, f'[tls]\nca_bundle = "{ca_bundle}"\n[example]\nurl = "{server.base_url}"\n'
    )
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


def test_cut_off_by_the_deadline_it_hands_over_the_pages_read(
    registered: None, make_server: MakeServer, ca_bundle: Path, tmp_path: Path
) -> None:
    # page 1 answers; page 2 trickles its status line and headers past the deadline, so no read
    # timeout fires: the orchestrator cuts the source off and writes what it handed over
    server = make_server()
    page1 = {"events": [{"id": "e1", "at": "2026-03-14T09:05:00+00:00", "text": "Degraded"}]}
    server.route("GET", r"/api/events", lambda req, _: Response(200, {**page1, "next": "c2"}))
    slow = Response(200, {"events": [], "next": None}, trickle=0.5, trickle_head=True)
    server.fail_next("GET", r"/api/events", *[slow] * 10, after=1)
    config = _config(
        tmp_path, f'[tls]\nca_bundle = "{ca_bundle}"\n[example]\nurl = "{server.base_url}"\n'
    )
    deadline = time.monotonic() + 1.5
    ctx = CollectContext(
        config=config,
        incident=INCIDENT,
        incident_raw={},
        window=WINDOW,
        token=Secret("ex-token", "EXAMPLE_TOKEN"),
        source="example",
        deadline=deadline,
        policy=RetryPolicy(backoff=0.01, jitter=0, timeout=30),
    )
    with BundleWriter(tmp_path / "b", INCIDENT.id) as writer:
        run_sources(["example"], {"example": ctx}, writer, deadline)
        writer.finish(WINDOW, WINDOW.end)
    status = Bundle.open(tmp_path / "b").source("example")
    assert status is not None and status.status == "failed"
    assert status.error == (
        "events page 2: no complete answer by the --timeout deadline (the server did not "
        "answer, or kept sending); rerun later or with a larger --timeout (kept: events (1))"
    )
    events = list(collectors.get_source("example").parse(Bundle.open(tmp_path / "b")))
    assert [e.summary for e in events] == ["Degraded"]


PAGE_2_FAULTS = {
    "5xx": lambda: Response(503, "down"),
    "hang": lambda: Response(200, {"events": [], "next": None}, delay=2),
}


@pytest.mark.parametrize("fault", list(PAGE_2_FAULTS))
def test_its_own_retries_spent_it_keeps_the_pages_read(
    registered: None, make_server: MakeServer, ca_bundle: Path, tmp_path: Path, fault: str
) -> None:
    # page 1 answers; page 2 fails (or hangs past each request's timeout) until the source's
    # own retry loop gives up before the run's deadline: page 1 is still written and named
    server = make_server()
    page1 = {"events": [{"id": "e1", "at": "2026-03-14T09:05:00+00:00", "text": "Degraded"}]}
    server.route("GET", r"/api/events", lambda req, _: Response(200, {**page1, "next": "c2"}))
    server.fail_next("GET", r"/api/events", *[PAGE_2_FAULTS[fault]() for _ in range(10)], after=1)
    config = _config(
        tmp_path, f'[tls]\nca_bundle = "{ca_bundle}"\n[example]\nurl = "{server.base_url}"\n'
    )
    ctx = CollectContext(
        config=config,
        incident=INCIDENT,
        incident_raw={},
        window=WINDOW,
        token=Secret("ex-token", "EXAMPLE_TOKEN"),
        source="example",
        deadline=time.monotonic() + 30,
        policy=RetryPolicy(retries=1, backoff=0.01, jitter=0, timeout=0.3),
    )
    with BundleWriter(tmp_path / "b", INCIDENT.id) as writer:
        run_sources(["example"], {"example": ctx}, writer, None)
        writer.finish(WINDOW, WINDOW.end)
    status = Bundle.open(tmp_path / "b").source("example")
    assert status is not None and status.status == "failed"
    assert status.error is not None
    assert status.error.startswith("events page 2: "), status.error
    assert status.error.endswith(" (kept: events (1))"), status.error
    events = list(collectors.get_source("example").parse(Bundle.open(tmp_path / "b")))
    assert [e.summary for e in events] == ["Degraded"]
