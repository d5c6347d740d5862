"""PagerDuty live collection: the real ``pagerduty`` client against the loopback fake (HTTPS)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import reconstruct.collectors.pagerduty.live as live
import reconstruct.collectors.pagerduty.parse as pd
from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collectors._http import Pace, RetryPolicy
from reconstruct.collectors.base import CollectContext
from reconstruct.config import Config, Secret, load_config
from reconstruct.errors import (
    ConfigError,
    SourceAuthError,
    SourceNotFound,
    SourceUnavailable,
)
from reconstruct.model import Window
from tests.fakes.pagerduty import FakePagerDuty, error, rate_limited, sample_incident
from tests.fakes.server import FakeServer, Request, Response
from tests.test_pagerduty_parse import sample_files, write_bundle

KEY = "s3cr3t-pd-key"
TOKEN = Secret(KEY, "PAGERDUTY_TOKEN")
LOG = r"/incidents/PABC123/log_entries"
ALERTS = r"/incidents/PABC123/alerts"
NOTES = r"/incidents/PABC123/notes"
PEOPLE = 4
"""GET /users/{id} once per person the sample's log entries and notes name (their emails)."""
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


POLICY = RetryPolicy(backoff=0.25, jitter=0)
"""Three retries per request, backoff 0.25 s doubling, no jitter (exact waits to assert)."""


class Clock:
    """A fake sleep: records every wait instead of sleeping (``CollectContext(sleep=...)``,
    ``resolve_incident(pace=clock.pace())``)."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    def pace(self) -> Pace:
        return Pace("pagerduty", POLICY, sleep=self.sleep)


@pytest.fixture
def fake(make_server: Callable[..., FakeServer]) -> FakePagerDuty:
    return FakePagerDuty(make_server(), token=KEY)


def config_for(base_url: str, ca_bundle: Path | None) -> Config:
    tls = {"ca_bundle": str(ca_bundle)} if ca_bundle else {}
    return Config.model_validate({"tls": tls, "pagerduty": {"base_url": base_url}})


@pytest.fixture
def config(fake: FakePagerDuty, ca_bundle: Path) -> Config:
    return config_for(fake.base_url, ca_bundle)


class Progress:
    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def __call__(self, source: str, message: str) -> None:
        self.messages.append((source, message))


def run_collect(
    config: Config,
    body: dict[str, Any],
    dest: Path,
    progress: Progress | None = None,
    clock: Clock | None = None,
) -> tuple[dict[str, Any], Bundle]:
    """collect() as the orchestrator calls it (waits on a fake clock); the bundle also gets
    incident.json."""
    incident = pd.incident_from_record(body["incident"])
    ctx = CollectContext(
        config=config,
        incident=incident,
        incident_raw=body["incident"],
        window=Window(NOW, NOW, NOW),
        token=TOKEN,
        progress=progress or Progress(),
        source="pagerduty",
        sleep=(clock or Clock()).sleep,
        policy=POLICY,
    )
    with BundleWriter(dest, incident.id) as writer:
        writer.add("pagerduty/incident.json", [body])
        meta = dict(live.collect(ctx, writer))
        writer.set_source("pagerduty", "ok", meta=meta)
        writer.finish(ctx.window, NOW)
    return meta, Bundle.open(dest)


# -- resolve_incident ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "ref",
    ["PABC123", "4321", "#4321", "https://acme.pagerduty.com/incidents/PABC123"],
)
def test_resolve_by_id_or_number(fake: FakePagerDuty, config: Config, ref: str) -> None:
    fake.add(sample_incident())
    body = live.resolve_incident(config, TOKEN, ref)
    assert body["incident"]["id"] == "PABC123"
    assert body["incident"]["self"] == f"{fake.base_url}/incidents/PABC123"
    assert fake.server.count() == 1
    request = fake.server.requests[0]
    assert request.headers["authorization"] == f"Token token={KEY}"
    assert request.headers["accept"] == "application/vnd.pagerduty+json;version=2"


def test_missing_token(fake: FakePagerDuty, config: Config) -> None:
    with pytest.raises(SourceAuthError) as info:
        live.resolve_incident(config, None, "PABC123")
    assert str(info.value) == (
        "pagerduty: PAGERDUTY_TOKEN is missing; set it to a read-only REST API key"
    )
    assert fake.server.count() == 0


def test_wrong_token(fake: FakePagerDuty, config: Config, caplog: pytest.LogCaptureFixture) -> None:
    fake.add(sample_incident())
    caplog.set_level(logging.DEBUG)
    wrong = Secret("wrong-key-123", "PAGERDUTY_TOKEN")
    with pytest.raises(SourceAuthError) as info:
        live.resolve_incident(config, wrong, "PABC123")
    message = str(info.value)
    assert "PAGERDUTY_TOKEN" in message
    assert "invalid or revoked" in message
    assert "wrong-key-123" not in message and "123" not in message
    assert "wrong-key" not in caplog.text and KEY not in caplog.text
    assert fake.server.count() == 1  # no retry of a 401


@pytest.mark.parametrize("status", [402, 403])
def test_key_without_access(fake: FakePagerDuty, config: Config, status: int) -> None:
    fake.add(sample_incident())
    fake.server.fail_next("GET", r"/incidents/.*", error(status, "Access Denied", 2010))
    with pytest.raises(SourceAuthError, match="PAGERDUTY_TOKEN lacks access"):
        live.resolve_incident(config, TOKEN, "PABC123")


def test_unknown_incident(fake: FakePagerDuty, config: Config) -> None:
    fake.add(sample_incident())
    with pytest.raises(SourceNotFound) as info:
        live.resolve_incident(config, TOKEN, "9999")
    assert str(info.value) == (
        "pagerduty: incident 9999 not found; check the ID or number "
        "(and [pagerduty] base_url for EU accounts)"
    )
    assert fake.server.count() == 1


def test_plain_http_base_url_is_a_config_error() -> None:
    """Refused when the config is read (naming the file or variable), before any request."""
    with pytest.raises(
        ConfigError, match=r"RECONSTRUCT_PAGERDUTY__BASE_URL: \[pagerduty\] base_url"
    ):
        load_config(environ={"RECONSTRUCT_PAGERDUTY__BASE_URL": "http://127.0.0.1:9"})


def test_untrusted_certificate(fake: FakePagerDuty) -> None:
    fake.add(sample_incident())
    with pytest.raises(
        SourceUnavailable, match=r"cannot reach .*(CERTIFICATE_VERIFY_FAILED|certificate)"
    ):
        live.resolve_incident(config_for(fake.base_url, None), TOKEN, "PABC123")


def test_server_down(make_server: Callable[..., FakeServer], ca_bundle: Path) -> None:
    server = make_server()
    base = server.base_url
    server.stop()
    clock = Clock()
    with pytest.raises(SourceUnavailable, match="cannot reach"):
        live.resolve_incident(config_for(base, ca_bundle), TOKEN, "PABC123", pace=clock.pace())
    assert clock.slept == [0.25, 0.5, 1.0]  # three retries, then the error


# -- collect ---------------------------------------------------------------------------------
def test_collect_paginates_and_writes_what_was_served(
    fake: FakePagerDuty, config: Config, tmp_path: Path
) -> None:
    data = fake.add(sample_incident(filler=230, alerts=150))  # 242 log entries, 152 alerts
    body = live.resolve_incident(config, TOKEN, "4321")
    fake.server.reset_log()
    meta, bundle = run_collect(config, body, tmp_path / "live")

    assert fake.count(LOG) == 3
    assert fake.count(ALERTS) == 2
    assert fake.count(NOTES) == 1
    assert fake.server.count() == 6 + PEOPLE
    assert meta == {
        "log_entries": 242,
        "alerts": 152,
        "notes": 3,
        "users": PEOPLE,
        "requests": 6 + PEOPLE,
    }
    log_requests = [r for r in fake.server.requests if r.path == LOG]
    assert [(r.param("offset"), r.param("limit")) for r in log_requests] == [
        ("0", "100"),
        ("100", "100"),
        ("200", "100"),
    ]
    for request in log_requests:
        assert request.param("time_zone") == "UTC"
        assert request.param("is_overview") == "false"
        assert request.params("include[]") == ["channels"]
    assert [r.param("offset") for r in fake.server.requests if r.path == ALERTS] == ["0", "100"]

    assert bundle.pages("pagerduty/log_entries.json") == fake.served[LOG]
    assert bundle.pages("pagerduty/alerts.json") == fake.served[ALERTS]
    assert bundle.pages("pagerduty/notes.json") == fake.served[NOTES]
    assert bundle.pages("pagerduty/incident.json") == [body]
    assert [len(p["log_entries"]) for p in bundle.pages("pagerduty/log_entries.json")] == [
        100,
        100,
        42,
    ]
    times = [
        e["created_at"] for p in fake.served[LOG] for e in p["log_entries"] if "created_at" in e
    ]
    assert all(t.endswith("Z") for t in times if t[-6] in "+-")  # time_zone=UTC honoured

    # the live bundle parses to exactly what the same records give when written by hand
    expected = sorted(pd.parse(write_bundle(tmp_path / "fixture", sample_files(data))), key=k)
    got = sorted(pd.parse(bundle), key=k)
    assert [e.key for e in got] == [e.key for e in expected]
    assert got == expected
    assert len(got) == 8 + 230 + 3 + 1 + 150  # log entries, notes, standalone alerts
    incident = pd.parse_incident(bundle)
    assert incident.resolved_at == datetime(2026, 3, 14, 10, 12, tzinfo=UTC)


def k(event: Any) -> str:
    return str(event.key)


def test_collect_small_incident_takes_one_request_per_series(
    fake: FakePagerDuty, config: Config, tmp_path: Path
) -> None:
    fake.add(sample_incident(resolved=False))
    body = live.resolve_incident(config, TOKEN, "PABC123")
    fake.server.reset_log()
    meta, bundle = run_collect(config, body, tmp_path / "b")
    assert (fake.count(LOG), fake.count(ALERTS), fake.count(NOTES)) == (1, 1, 1)
    assert meta["requests"] == 3 + PEOPLE
    assert pd.parse_incident(bundle).resolved_at is None


def test_rate_limit_honours_retry_after(
    fake: FakePagerDuty, config: Config, tmp_path: Path
) -> None:
    fake.add(sample_incident())
    body = live.resolve_incident(config, TOKEN, "PABC123")
    fake.server.reset_log()
    fake.server.fail_next("GET", LOG, rate_limited("3"), rate_limited("3"))
    fake.server.fail_next(
        "GET", ALERTS, Response(429, None, {"ratelimit-reset": "7"}), rate_limited()
    )
    progress = Progress()
    clock = Clock()
    meta, bundle = run_collect(config, body, tmp_path / "b", progress, clock)
    # The series run concurrently: each one's waits are in order, the two interleave.
    waits = [m for s, m in progress.messages if s == "pagerduty" and "rate limited" in m]
    assert [m for m in waits if m.startswith("log_entries")] == [
        "log_entries page at offset 0: rate limited (retry 1 of 5), waiting 3s",
        "log_entries page at offset 0: rate limited (retry 2 of 5), waiting 3s",
    ]
    assert [m for m in waits if m.startswith("alerts")] == [
        "alerts page at offset 0: rate limited (retry 1 of 5), waiting 7s",
        "alerts page at offset 0: rate limited (retry 2 of 5), waiting 0.5s",  # no hint: backoff
    ]
    assert sorted(clock.slept) == [0.5, 3, 3, 7]
    assert (fake.count(LOG), fake.count(ALERTS), fake.count(NOTES)) == (3, 3, 1)
    assert meta["requests"] == 7 + PEOPLE
    assert meta["rate_limited_waits"] == 4
    assert len(list(pd.parse(bundle))) == 12  # 8 log entries, 3 notes, 1 alert


def test_rate_limit_is_bounded(fake: FakePagerDuty, config: Config) -> None:
    fake.add(sample_incident())
    fake.server.fail_next("GET", r"/incidents/.*", *[rate_limited("1")] * 50)
    clock = Clock()
    with pytest.raises(SourceUnavailable, match=r"PagerDuty still rate limited it after \d+ waits"):
        live.resolve_incident(config, TOKEN, "PABC123", pace=clock.pace())
    assert fake.server.count() == POLICY.rate_limit_retries + 1
    assert clock.slept == [1.0] * POLICY.rate_limit_retries


def test_rate_limit_too_long_fails_at_once(fake: FakePagerDuty, config: Config) -> None:
    fake.add(sample_incident())
    fake.server.fail_next("GET", r"/incidents/.*", rate_limited("3600"))
    with pytest.raises(SourceUnavailable, match="asked to wait 3600s"):
        live.resolve_incident(config, TOKEN, "PABC123")
    assert fake.server.count() == 1


def test_server_errors_are_retried(fake: FakePagerDuty, config: Config, tmp_path: Path) -> None:
    fake.add(sample_incident())
    fake.server.fail_next("GET", r"/incidents/PABC123", error(503, "Unavailable", 2000))
    clock = Clock()
    body = live.resolve_incident(config, TOKEN, "PABC123", pace=clock.pace())
    assert fake.server.count() == 2
    assert clock.slept == [0.25]
    fake.server.reset_log()
    fake.server.fail_next("GET", LOG, error(500, "oops", 2000), Response(502, "bad gateway"))
    clock = Clock()
    meta, _ = run_collect(config, body, tmp_path / "b", clock=clock)
    assert fake.count(LOG) == 3
    assert meta["requests"] == 5 + PEOPLE
    assert meta["retries"] == 2
    assert clock.slept == [0.25, 0.5]  # backoff doubles


def test_server_errors_forever(
    fake: FakePagerDuty, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    fake.add(sample_incident())
    caplog.set_level(logging.DEBUG)
    fake.server.fail_next("GET", r"/incidents/.*", *[error(500, "Internal error", 2000)] * 20)
    with pytest.raises(SourceUnavailable) as info:
        live.resolve_incident(config, TOKEN, "PABC123", pace=Clock().pace())
    assert "PagerDuty is unavailable (500" in str(info.value)
    assert fake.server.count() == POLICY.retries + 1
    assert KEY not in caplog.text and KEY not in str(info.value)


def test_collect_fails_when_a_series_keeps_failing(
    fake: FakePagerDuty, config: Config, tmp_path: Path
) -> None:
    fake.add(sample_incident())
    body = live.resolve_incident(config, TOKEN, "PABC123")
    fake.server.reset_log()
    fake.server.fail_next("GET", ALERTS, *[error(500, "x", 2000)] * 9)
    with pytest.raises(SourceUnavailable) as info:
        run_collect(config, body, tmp_path / "b")
    assert str(info.value).startswith(
        "pagerduty: alerts page at offset 0: PagerDuty is unavailable "
        "(500 for /incidents/PABC123/alerts: x); retry later"
    )
    # The series are independent: log entries and notes were still fetched (concurrently).
    assert (fake.count(LOG), fake.count(ALERTS), fake.count(NOTES)) == (1, 4, 1)


def test_offset_ceiling(
    fake: FakePagerDuty, config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "PAGE_SIZE", 2)
    monkeypatch.setattr(live, "MAX_OFFSET", 5)
    fake.add(sample_incident())
    body = live.resolve_incident(config, TOKEN, "PABC123")
    fake.server.reset_log()
    meta, bundle = run_collect(config, body, tmp_path / "b")
    assert [
        (r.param("offset"), r.param("limit")) for r in fake.server.requests if r.path == LOG
    ] == [("0", "2"), ("2", "2"), ("4", "1")]
    assert meta["truncated"] is True
    assert meta["log_entries"] == 5
    assert len(bundle.pages("pagerduty/log_entries.json")) == 3


# -- concurrency, determinism, deadline ----------------------------------------------------------
def test_series_are_fetched_concurrently(
    fake: FakePagerDuty, config: Config, tmp_path: Path
) -> None:
    fake.add(sample_incident())
    body = live.resolve_incident(config, TOKEN, "PABC123")
    barrier = threading.Barrier(3, timeout=5)
    met: list[str] = []

    def together(req: Request) -> Response | None:
        if req.path in (LOG, ALERTS, NOTES):
            barrier.wait()  # breaks (and the test fails) unless all three are in flight at once
            met.append(req.path)
        return None

    fake.intercept(together)
    progress = Progress()
    meta, _ = run_collect(config, body, tmp_path / "b", progress)
    assert sorted(met) == sorted([LOG, ALERTS, NOTES])
    assert meta["requests"] == 3 + PEOPLE
    pages = [m for s, m in progress.messages if m.startswith("pages fetched")]
    assert len(pages) == 3
    assert pages[-1] == "pages fetched: log_entries 1, alerts 1, notes 1"


def test_bundle_bytes_do_not_depend_on_completion_order(
    fake: FakePagerDuty, config: Config, tmp_path: Path
) -> None:
    fake.add(sample_incident(filler=230, alerts=150))
    body = live.resolve_incident(config, TOKEN, "PABC123")
    files = ("log_entries", "alerts", "notes")

    def slow(path: str) -> Callable[[Request], Response | None]:
        def hook(req: Request) -> Response | None:
            if req.path == path:
                time.sleep(0.2)
            return None

        return hook

    results = []
    for name, path in (("slow-log", LOG), ("slow-alerts", ALERTS)):
        fake.hooks.clear()
        fake.intercept(slow(path))
        run_collect(config, body, tmp_path / name)
        results.append([(tmp_path / name / "pagerduty" / f"{f}.json").read_bytes() for f in files])
    assert results[0] == results[1]


def deadline_ctx(config: Config, body: dict[str, Any], seconds: float) -> CollectContext:
    return CollectContext(
        config=config,
        incident=pd.incident_from_record(body["incident"]),
        incident_raw=body["incident"],
        window=Window(NOW, NOW, NOW),
        token=TOKEN,
        source="pagerduty",
        deadline=time.monotonic() + seconds,
        sleep=Clock().sleep,
        policy=POLICY,
    )


def test_a_wait_past_the_deadline_fails_at_once(
    fake: FakePagerDuty, config: Config, tmp_path: Path
) -> None:
    fake.add(sample_incident())
    body = live.resolve_incident(config, TOKEN, "PABC123")
    fake.server.reset_log()
    fake.server.fail_next("GET", LOG, rate_limited("60"))
    with (
        BundleWriter(tmp_path / "b", "PABC123") as writer,
        pytest.raises(SourceUnavailable) as info,
    ):
        live.collect(deadline_ctx(config, body, 10), writer)
    assert (
        "log_entries page at offset 0: rate limited (retry 1 of 5), but waiting 60s would pass "
        in str(info.value)
    )
    assert fake.count(LOG) == 1


def test_a_slow_answer_is_retried_within_the_deadline(
    fake: FakePagerDuty, config: Config, tmp_path: Path
) -> None:
    fake.add(sample_incident())
    body = live.resolve_incident(config, TOKEN, "PABC123")
    fake.server.reset_log()
    fake.server.fail_next("GET", NOTES, Response(delay=2.0))
    started = time.monotonic()
    with BundleWriter(tmp_path / "b", "PABC123") as writer:
        meta = live.collect(deadline_ctx(config, body, 2.0), writer)  # a request may take 1 s
    assert time.monotonic() - started < 1.8
    assert meta["retries"] == 1 and meta["notes"] == 3
    assert fake.count(NOTES) == 2
