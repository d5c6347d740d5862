"""Live Grafana collection through real httpx against the loopback fake (HTTPS, test CA)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collectors import get_source
from reconstruct.collectors._http import RetryPolicy
from reconstruct.collectors.base import CollectContext
from reconstruct.collectors.grafana.live import collect
from reconstruct.collectors.grafana.parse import MISSING_TOKEN, configured, parse
from reconstruct.config import Config, Secret
from reconstruct.errors import SourceAuthError, SourceError, SourceUnavailable
from reconstruct.model import Incident, Kind
from tests.fakes.grafana import TOKEN, FakeGrafana, alert, annotation, window
from tests.fakes.server import FakeServer, Response

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
MS0 = int(T0.timestamp()) * 1000
MIN = 60_000
SPAN = window(T0 - timedelta(hours=1), T0 + timedelta(hours=2))
START_MS, END_MS = MS0 - 60 * MIN, MS0 + 120 * MIN
FAST = RetryPolicy(retries=2, backoff=0.5, jitter=0, max_wait=30)
INCIDENT = Incident(
    id="PT4KHLK",
    number=1234,
    title="Checkout errors",
    severity="P1",
    services=("checkout",),
    started_at=T0,
    resolved_at=T0 + timedelta(hours=1),
    url=None,
)


class Recorder:
    def __init__(self) -> None:
        self.messages: list[str] = []
        self.sleeps: list[float] = []

    def progress(self, source: str, message: str) -> None:
        assert source == "grafana"
        self.messages.append(message)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


@pytest.fixture
def fake(make_server: Callable[..., FakeServer]) -> FakeGrafana:
    return FakeGrafana(make_server())


def make_ctx(
    url: str | None,
    ca_bundle: Path | None,
    rec: Recorder | None = None,
    token: str | None = TOKEN,
    **grafana: Any,
) -> CollectContext:
    rec = rec or Recorder()
    data: dict[str, Any] = {"grafana": {"url": url, **grafana} if url else grafana}
    if ca_bundle is not None:
        data["tls"] = {"ca_bundle": str(ca_bundle)}
    return CollectContext(
        config=Config.model_validate(data),
        incident=INCIDENT,
        incident_raw={"id": INCIDENT.id},
        window=SPAN,
        token=Secret(token, "GRAFANA_TOKEN") if token else None,
        progress=rec.progress,
        sleep=rec.sleep,
    )


def run(
    ctx: CollectContext,
    dest: Path,
    rec: Recorder | None = None,
    policy: RetryPolicy = FAST,
) -> tuple[dict[str, Any], Bundle]:
    """collect into a bundle the way the orchestrator does; the bundle, re-opened."""
    rec = rec or Recorder()
    ctx = replace(ctx, policy=policy)
    with BundleWriter(dest, INCIDENT.id) as writer:
        try:
            meta = collect(ctx, writer)
        except SourceError as exc:
            writer.set_source("grafana", "failed", error=exc.detail)
            writer.finish(SPAN, SPAN.end)
            raise
        writer.set_source("grafana", "ok", meta=meta)
        writer.finish(SPAN, SPAN.end)
    return meta, Bundle.open(dest)


# -- the happy path ---------------------------------------------------------------------


def test_collect_window_bundle_and_parse(fake: FakeGrafana, ca_bundle: Path, tmp_path: Path):
    fake.add(
        alert(1, MS0, "CheckoutErrorRate", "Alerting", "Normal", dashboard_uid="chk", panel_id=2),
        annotation(2, MS0 - 10 * MIN, "Deployed checkout v2.3.1", tags=["deploy"], login="ci"),
        annotation(3, START_MS - MIN, "before the window"),
        annotation(4, END_MS + MIN, "after the window"),
        annotation(5, START_MS - 30 * MIN, "region into the window", time_end=START_MS + MIN),
    )
    rec = Recorder()
    ctx = make_ctx(fake.url, ca_bundle, rec)
    with BundleWriter(tmp_path / "b", INCIDENT.id) as writer:
        source_collect = get_source("grafana").collect
        assert source_collect is not None
        meta = source_collect(ctx, writer)
        writer.set_source("grafana", "ok", meta=meta)
        writer.finish(SPAN, SPAN.end)
    bundle = Bundle.open(tmp_path / "b")

    assert meta == {"url": fake.url}
    (req,) = fake.requests()
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert "x-grafana-org-id" not in req.headers
    assert req.query == {"from": [str(START_MS)], "to": [str(END_MS)], "limit": ["1000"]}
    assert bundle.manifest.sources["grafana"].meta == {"url": fake.url}
    (page,) = bundle.pages("grafana/annotations.json")
    assert [r["id"] for r in page] == [1, 2, 5]  # newest first, raw
    assert "alertId" not in page[1] and "panelId" not in page[1]  # omitempty kept raw

    events = list(parse(bundle))
    assert [(e.key, e.kind) for e in events] == [
        ("grafana:annotation:5", Kind.ANNOTATION),
        ("grafana:annotation:2", Kind.DEPLOY),
        ("grafana:annotation:1:alerting", Kind.ALERT),
    ]
    assert events[1].actor == "ci"
    assert events[2].links[0].url.startswith(f"{fake.url}/d/chk?from=")
    assert rec.messages == ["all: 3 annotations"]


def test_sub_path_root(make_server: Callable[..., FakeServer], ca_bundle: Path, tmp_path: Path):
    fake = FakeGrafana(make_server(), prefix="/grafana")
    fake.add(annotation(1, MS0, "x", dashboard_uid="db"))
    meta, bundle = run(make_ctx(fake.url + "/", ca_bundle), tmp_path / "b")
    assert fake.server.count("GET", r"/grafana/api/annotations") == 1
    assert fake.server.count() == 1
    assert meta == {"url": fake.url}
    (event,) = parse(bundle)
    assert event.links[0].url.startswith(f"{fake.url}/d/db?")


def test_wrong_sub_path_is_404(make_server: Callable[..., FakeServer], ca_bundle: Path, tmp_path):
    fake = FakeGrafana(make_server(), prefix="/grafana")
    with pytest.raises(SourceError, match=r"404.*\[grafana\] url.*sub-path") as err:
        run(make_ctx(fake.server.base_url, ca_bundle), tmp_path / "b")
    assert type(err.value) is SourceError
    assert fake.server.count() == 1


def test_dashboards_and_tags_on_the_wire(fake: FakeGrafana, ca_bundle: Path, tmp_path: Path):
    fake.add(
        annotation(1, MS0, "deploy on chk", dashboard_uid="chk", tags=["deploy"]),
        annotation(2, MS0 + MIN, "on pay", dashboard_uid="pay"),
        annotation(3, MS0 + 2 * MIN, "org-wide release", tags=["release"]),
        annotation(4, MS0 + 3 * MIN, "unrelated", dashboard_uid="other"),
        annotation(5, MS0 + 4 * MIN, "both tags", tags=["deploy", "release"]),
    )
    rec = Recorder()
    ctx = make_ctx(
        fake.url,
        ca_bundle,
        rec,
        dashboards=["chk", "pay", "chk"],
        tags=["deploy", "release"],
        org_id=3,
    )
    meta, bundle = run(ctx, tmp_path / "b", rec)
    reqs = fake.requests()
    # The three series run at once: requests arrive in any order, pages are stored in order.
    assert sorted(r.params("dashboardUID") for r in reqs) == [[], ["chk"], ["pay"]]
    (tagged,) = [r for r in reqs if not r.params("dashboardUID")]
    assert tagged.params("tags") == ["deploy", "release"]
    assert tagged.param("matchAny") == "true"
    assert all(r.headers["x-grafana-org-id"] == "3" for r in reqs)
    assert meta == {"url": fake.url, "org_id": 3}
    assert sorted(rec.messages) == [
        "dashboard chk: 1 annotation",
        "dashboard pay: 1 annotation",
        "tagged deploy, release: 3 annotations",
    ]
    pages = bundle.pages("grafana/annotations.json")
    assert [[r["id"] for r in p] for p in pages] == [[1], [2], [5, 3, 1]]
    events = list(parse(bundle))
    assert [e.key for e in events] == [f"grafana:annotation:{i}" for i in (1, 2, 3, 5)]
    assert "orgId=3" in events[0].links[0].url


def test_pages_backwards_when_limit_is_hit(fake: FakeGrafana, ca_bundle: Path, tmp_path: Path):
    fake.add(*(annotation(i, MS0 + i * MIN, f"n{i}") for i in range(1, 26)))
    rec = Recorder()
    meta, bundle = run(make_ctx(fake.url, ca_bundle, rec, page_size=10), tmp_path / "b", rec)
    reqs = fake.requests()
    # to = the oldest time of the previous full page (inclusive): boundary records repeat.
    assert [r.param("to") for r in reqs] == [
        str(END_MS),
        str(MS0 + 16 * MIN),
        str(MS0 + 7 * MIN),
    ]
    assert all(r.param("from") == str(START_MS) and r.param("limit") == "10" for r in reqs)
    assert [len(p) for p in bundle.pages("grafana/annotations.json")] == [10, 10, 7]
    assert len(list(parse(bundle))) == 25
    assert "truncated" not in meta
    assert rec.messages[-1] == "all: 27 annotations"


def test_paging_past_a_crowded_millisecond(fake: FakeGrafana, ca_bundle: Path, tmp_path: Path):
    fake.add(*(annotation(i, MS0, f"same {i}") for i in range(1, 16)))
    fake.add(annotation(99, MS0 - MIN, "older"))
    rec = Recorder()
    _, bundle = run(make_ctx(fake.url, ca_bundle, rec, page_size=10), tmp_path / "b", rec)
    assert [r.param("to") for r in fake.requests()] == [str(END_MS), str(MS0), str(MS0 - 1)]
    assert any("may be missing" in m for m in rec.messages)
    assert "grafana:annotation:99" in {e.key for e in parse(bundle)}


def test_stops_after_max_pages(fake: FakeGrafana, ca_bundle: Path, tmp_path: Path):
    fake.add(*(annotation(i, MS0 + i * MIN, f"n{i}") for i in range(1, 26)))
    rec = Recorder()
    meta, _ = run(
        make_ctx(fake.url, ca_bundle, rec, page_size=5),
        tmp_path / "b",
        rec,
        replace(FAST, max_pages=2),
    )
    assert len(fake.requests()) == 2
    assert meta["truncated"] is True
    assert "stopped after 2 pages" in rec.messages[-1]


# -- errors -------------------------------------------------------------------------------


def test_configured() -> None:
    assert not configured(Config())
    assert not configured(Config.model_validate({"grafana": {"url": "  "}}))
    assert configured(Config.model_validate({"grafana": {"url": "https://g.example.com"}}))


def test_unconfigured_or_bad_url(ca_bundle: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"\[grafana\] url is not set"):
        run(make_ctx(None, ca_bundle), tmp_path / "a")
    with pytest.raises(SourceError, match=r"not an http\(s\) URL"):
        run(make_ctx("grafana.example.com", ca_bundle), tmp_path / "b")


def test_missing_token(fake: FakeGrafana, ca_bundle: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceAuthError) as err:
        run(make_ctx(fake.url, ca_bundle, token=None), tmp_path / "b")
    assert err.value.detail == MISSING_TOKEN
    assert "GRAFANA_TOKEN is missing" in str(err.value) and "Viewer" in str(err.value)
    assert fake.server.count() == 0


def test_rejected_token_401(fake: FakeGrafana, ca_bundle: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceAuthError, match=r"GRAFANA_TOKEN was rejected \(401") as err:
        run(make_ctx(fake.url, ca_bundle, token="glsa_wrong_secret_value"), tmp_path / "b")
    assert "glsa_wrong_secret_value" not in str(err.value)
    assert fake.server.count() == 1  # never retried


def test_forbidden_403_names_viewer_and_dashboards(fake: FakeGrafana, ca_bundle, tmp_path):
    fake.add(annotation(1, MS0, "x", dashboard_uid="chk"))
    fake.forbidden = True
    with pytest.raises(SourceAuthError, match=r"403.*Viewer role \(annotations:read\)") as err:
        run(make_ctx(fake.url, ca_bundle, dashboards=["chk"]), tmp_path / "b")
    assert "on dashboards chk" in str(err.value)
    assert fake.server.count() == 1


def test_unknown_dashboard_400_keeps_partial_evidence(fake: FakeGrafana, ca_bundle, tmp_path):
    fake.add(annotation(1, MS0, "x", dashboard_uid="chk"))
    with pytest.raises(SourceError, match=r"dashboard UID 'nope'.*\[grafana\] dashboards") as err:
        run(make_ctx(fake.url, ca_bundle, dashboards=["chk", "nope"]), tmp_path / "b")
    assert not isinstance(err.value, (SourceAuthError, SourceUnavailable))
    bundle = Bundle.open(tmp_path / "b")
    assert bundle.manifest.sources["grafana"].status == "failed"
    assert [[r["id"] for r in p] for p in bundle.pages("grafana/annotations.json")] == [[1]]
    assert "dashboard nope were not fetched" in err.value.detail
    # The manifest has no meta for a failed source: grafana/source.json keeps the links working.
    (event,) = parse(bundle)
    assert event.links[0].url.startswith(f"{fake.url}/d/chk?")


def test_429_honours_retry_after(fake: FakeGrafana, ca_bundle: Path, tmp_path: Path) -> None:
    fake.add(annotation(1, MS0, "x"))
    slow = Response(429, {"message": "Too many requests"}, {"Retry-After": "2"})
    fake.server.fail_next("GET", fake.path, slow, slow)
    rec = Recorder()
    _, bundle = run(make_ctx(fake.url, ca_bundle, rec), tmp_path / "b", rec)
    assert fake.server.count() == 3
    assert rec.sleeps == [2.0, 2.0]
    assert rec.messages[:2] == [
        "all, page 1: rate limited (429) (retry 1 of 5), waiting 2s",
        "all, page 1: rate limited (429) (retry 2 of 5), waiting 2s",
    ]
    assert len(list(parse(bundle))) == 1


def test_429_too_long_or_too_often(fake: FakeGrafana, ca_bundle: Path, tmp_path: Path) -> None:
    fake.server.fail_next("GET", fake.path, Response(429, {}, {"Retry-After": "3600"}))
    with pytest.raises(SourceUnavailable, match="asked to wait 3600s"):
        run(make_ctx(fake.url, ca_bundle), tmp_path / "a")
    assert fake.server.count() == 1
    fake.server.reset_log()
    fake.server.fail_next("GET", fake.path, *[Response(429, {}, {"Retry-After": "0"})] * 3)
    with pytest.raises(SourceUnavailable, match=r"Grafana still rate limited it after 2 waits"):
        run(
            make_ctx(fake.url, ca_bundle),
            tmp_path / "b",
            policy=replace(FAST, rate_limit_retries=2),
        )
    assert fake.server.count() == 3


def test_5xx_retried_with_backoff(fake: FakeGrafana, ca_bundle: Path, tmp_path: Path) -> None:
    fake.add(annotation(1, MS0, "x"))
    fake.server.fail_next("GET", fake.path, Response(502, "bad gateway"), Response(503, {}))
    rec = Recorder()
    run(make_ctx(fake.url, ca_bundle, rec), tmp_path / "b", rec)
    assert fake.server.count() == 3
    assert rec.sleeps == [0.5, 1.0]
    assert rec.messages[0] == "all, page 1: HTTP 502 (retry 1 of 2), waiting 0.5s"


def test_5xx_persisting_is_unavailable(fake: FakeGrafana, ca_bundle: Path, tmp_path: Path):
    down = Response(500, {"message": "database is locked"})
    fake.server.fail_next("GET", fake.path, down, down, down)
    with pytest.raises(SourceUnavailable, match=r"HTTP 500 3 times.*database is locked"):
        run(
            make_ctx(fake.url, ca_bundle),
            tmp_path / "b",
            policy=replace(FAST, rate_limit_retries=2),
        )
    assert fake.server.count() == 3


def test_invalid_json_is_unavailable(fake: FakeGrafana, ca_bundle: Path, tmp_path: Path):
    login_page = Response(200, "<html>login</html>", {"Content-Type": "text/html"})
    fake.server.fail_next("GET", fake.path, login_page)
    with pytest.raises(SourceUnavailable, match=r"did not return JSON \(text/html\)"):
        run(make_ctx(fake.url, ca_bundle), tmp_path / "a")
    fake.server.fail_next("GET", fake.path, Response(200, {"message": "not a list"}))
    with pytest.raises(SourceUnavailable, match="instead of a JSON array"):
        run(make_ctx(fake.url, ca_bundle), tmp_path / "b")


def test_untrusted_certificate_names_ca_bundle(fake: FakeGrafana, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"TLS certificate.*\[tls\] ca_bundle") as err:
        run(make_ctx(fake.url, None), tmp_path / "b")
    assert isinstance(err.value.__cause__, Exception)


def test_connection_refused_is_unavailable(make_server, ca_bundle: Path, tmp_path: Path):
    server = make_server()
    url = server.base_url
    server.stop()
    rec = Recorder()
    with pytest.raises(SourceUnavailable, match=r"cannot reach .*\[grafana\] url") as err:
        run(make_ctx(url, ca_bundle, rec), tmp_path / "b", rec)
    assert err.value.__cause__ is not None
    assert rec.sleeps == [0.5, 1.0]


def test_timeout_is_unavailable(fake: FakeGrafana, ca_bundle: Path, tmp_path: Path) -> None:
    fake.server.fail_next("GET", fake.path, Response(200, [], delay=1.0))
    with pytest.raises(SourceUnavailable, match=r"did not answer within 0\.2s"):
        run(
            make_ctx(fake.url, ca_bundle),
            tmp_path / "b",
            policy=replace(FAST, retries=0, timeout=0.2),
        )


# -- faults, deadlines, concurrency (issues #7 and #6) --------------------------------------


def test_series_overlap_and_are_stored_in_series_order(
    fake: FakeGrafana, ca_bundle: Path, tmp_path: Path
) -> None:
    uids = ["a", "b", "c", "d"]
    fake.add(
        *(annotation(i, MS0 + i * MIN, f"on {u}", dashboard_uid=u) for i, u in enumerate(uids))
    )
    fake.slow_dashboards = {"a": 0.6, "b": 0.4, "c": 0.2}  # the first series answers last
    started = time.monotonic()
    run(make_ctx(fake.url, ca_bundle, dashboards=uids), tmp_path / "b")
    elapsed = time.monotonic() - started
    assert elapsed < 1.1, f"series ran one after the other ({elapsed:.2f}s)"
    pages = Bundle.open(tmp_path / "b").pages("grafana/annotations.json")
    assert [[r["dashboardUID"] for r in p] for p in pages] == [["a"], ["b"], ["c"], ["d"]]


def test_a_cut_short_body_is_retried_and_a_persistent_one_fails(
    fake: FakeGrafana, ca_bundle: Path, tmp_path: Path
) -> None:
    fake.add(annotation(1, MS0, "x"))
    cut = Response(200, b'[{"id": 1, "ti', {"Content-Type": "application/json"})
    fake.server.fail_next("GET", fake.path, cut)
    rec = Recorder()
    _, bundle = run(make_ctx(fake.url, ca_bundle, rec), tmp_path / "a", rec)
    assert fake.server.count() == 2
    assert rec.sleeps == [0.5]
    assert len(list(parse(bundle))) == 1
    fake.server.fail_next("GET", fake.path, cut, cut, cut)
    with pytest.raises(SourceUnavailable, match="cut-short or invalid JSON body 3 times"):
        run(make_ctx(fake.url, ca_bundle), tmp_path / "b")


def test_no_wait_runs_past_the_deadline(fake: FakeGrafana, ca_bundle: Path, tmp_path: Path):
    fake.server.fail_next("GET", fake.path, Response(503, {}))
    rec = Recorder()
    ctx = replace(make_ctx(fake.url, ca_bundle, rec), deadline=time.monotonic() + 5)
    slow = replace(FAST, backoff=10)
    with pytest.raises(SourceUnavailable, match="would pass the --timeout deadline"):
        run(ctx, tmp_path / "b", rec, slow)
    assert rec.sleeps == []
    assert fake.server.count() == 1


def test_request_timeout_is_capped_by_the_deadline(
    fake: FakeGrafana, ca_bundle: Path, tmp_path: Path
) -> None:
    fake.server.fail_next("GET", fake.path, Response(200, [], delay=5))
    ctx = replace(make_ctx(fake.url, ca_bundle), deadline=time.monotonic() + 0.5)
    started = time.monotonic()
    with pytest.raises(SourceUnavailable, match="the annotations were not fetched"):
        run(ctx, tmp_path / "b", policy=replace(FAST, timeout=30))
    assert time.monotonic() - started < 2.5


def test_forbidden_dashboard_is_skipped_with_a_warning(
    fake: FakeGrafana, ca_bundle: Path, tmp_path: Path
) -> None:
    fake.add(annotation(1, MS0, "on chk", dashboard_uid="chk"))
    fake.add(annotation(2, MS0, "on secret", dashboard_uid="secret"))
    fake.forbidden_dashboards = {"secret"}
    meta, bundle = run(make_ctx(fake.url, ca_bundle, dashboards=["secret", "chk"]), tmp_path / "b")
    (warning,) = meta["warnings"]
    assert warning.startswith("skipped dashboard secret: ")
    assert "Viewer role (annotations:read) on dashboard secret" in warning
    assert list(meta["failed_parts"]) == ["secret"]
    assert [e.key for e in parse(bundle)] == ["grafana:annotation:1"]


def test_a_server_ignoring_to_stops_paging_with_a_warning(
    fake: FakeGrafana, ca_bundle: Path, tmp_path: Path
) -> None:
    fake.add(*(annotation(i, MS0 + i * MIN, f"n{i}") for i in range(1, 8)))
    fake.ignore_to = True
    meta, bundle = run(make_ctx(fake.url, ca_bundle, page_size=3), tmp_path / "b")
    assert fake.server.count() == 2
    (warning,) = meta["warnings"]
    assert "returned page 2 again" in warning and "kept 3 annotations" in warning
    assert len(list(parse(bundle))) == 3
