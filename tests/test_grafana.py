"""Grafana annotations -> events: alert states, deploys, regions, links, omitempty records."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from reconstruct.bundle import Bundle
from reconstruct.collectors import get_source
from reconstruct.collectors.grafana.parse import parse, plain_text
from reconstruct.errors import BundleError
from reconstruct.model import Event, Kind
from tests.fakes.grafana import alert, annotation, omit_empty, window, write_bundle

EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "api-examples"
T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
MS0 = int(T0.timestamp()) * 1000
MIN = 60_000
SPAN = window(T0 - timedelta(hours=1), T0 + timedelta(hours=2))
ROOT = "https://grafana.example.com"


def bundle_of(tmp_path: Path, *records: dict, meta: dict | None = None) -> Bundle:
    pages = [[omit_empty(r) for r in records]]
    return write_bundle(
        tmp_path / "bundle", pages, meta={"url": ROOT} if meta is None else meta, span=SPAN
    )


def events_of(tmp_path: Path, *records: dict, meta: dict | None = None) -> list[Event]:
    return list(parse(bundle_of(tmp_path, *records, meta=meta)))


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def explore(url: str, root: str) -> tuple[dict[str, list[str]], list[str], dict[str, str]]:
    """An Explore link: its other parameters, the annotations query's tags, and its range."""
    assert url.startswith(f"{root}/explore?")
    params = query(url)
    (pane,) = json.loads(params.pop("panes")[0]).values()
    (q,) = pane["queries"]
    assert q["queryType"] == "annotations" and q["type"] == "tags"
    assert q["datasource"] == {"type": "datasource", "uid": "grafana"}
    return params, q["tags"], pane["range"]


# -- the documented example ---------------------------------------------------------------


def test_doc_example_conformance(tmp_path: Path) -> None:
    path = EXAMPLES / "grafana" / "annotations.find.json"
    if not path.is_file():
        pytest.skip(f"{path} not present (shared/ is put beside the clone in CI)")
    body = json.loads(path.read_text(encoding="utf-8"))
    bundle = write_bundle(tmp_path / "b", [body], meta={"url": ROOT}, span=SPAN)
    events = list(parse(bundle))
    assert [e.key for e in events] == ["grafana:annotation:1123", "grafana:annotation:1124"]
    first, second = events
    assert first.time == datetime(2017, 10, 6, 4, 45, 11, tzinfo=UTC)
    assert second.time == datetime(2017, 10, 6, 5, 6, 35, tzinfo=UTC)
    for event, uid in ((first, "jcIIG-07z"), (second, "uGlb_lG7z")):
        assert event.kind is Kind.ANNOTATION  # alertId 0 and newState "" are not an alert
        assert event.summary == "test"  # tags are metadata: an author deletes them after words
        assert {"tag:tag1", "tag:tag2"} <= event.tags
        assert event.actor is None  # userName "" is the old, empty field
        assert event.sources == ("grafana",)
        assert event.scope == "grafana"
        assert event.refs == frozenset() and event.tags == {"tag:tag1", "tag:tag2"}
        (link,) = event.links
        assert link.url.startswith(f"{ROOT}/d/{uid}?")
        ms = int(event.time.timestamp()) * 1000
        assert query(link.url) == {
            "from": [str(ms - 30 * MIN)],
            "to": [str(ms + 30 * MIN)],
            "viewPanel": ["panel-2"],
        }


# -- alerts -------------------------------------------------------------------------------


def test_alert_firing_and_clearing(tmp_path: Path) -> None:
    events = events_of(
        tmp_path,
        alert(11, MS0 + 12 * MIN, "CheckoutErrorRate", "Normal", "Alerting", dashboard_uid="chk"),
        alert(10, MS0, "CheckoutErrorRate", "Alerting", "Normal", dashboard_uid="chk", panel_id=4),
    )
    firing, cleared = events
    assert firing.kind is Kind.ALERT and cleared.kind is Kind.ALERT
    assert firing.time == T0 and cleared.time == T0 + timedelta(minutes=12)
    assert firing.summary == "Grafana alert CheckoutErrorRate firing"
    assert cleared.summary == "Grafana alert CheckoutErrorRate resolved"
    assert firing.refs == {"rule:checkouterrorrate:firing"}
    assert cleared.refs == {"rule:checkouterrorrate:resolved"}
    name = "alertname:CheckoutErrorRate"
    assert firing.tags == {"state:alerting", name} and cleared.tags == {"state:normal", name}
    assert firing.key == "grafana:annotation:10:alerting"
    assert cleared.key == "grafana:annotation:11:normal"
    assert query(firing.links[0].url)["viewPanel"] == ["panel-4"]
    assert "viewPanel" not in query(cleared.links[0].url)
    assert cleared.links[0].label == "Grafana dashboard"


def test_pending_is_not_firing(tmp_path: Path) -> None:
    pending, never = events_of(
        tmp_path,
        alert(1, MS0, "DiskFull", "Pending", "Normal"),
        alert(2, MS0 + MIN, "DiskFull", "Normal", "Pending"),
    )
    assert pending.kind is Kind.ANNOTATION and pending.refs == frozenset()
    assert pending.tags == {"state:pending", "alertname:DiskFull"}
    assert pending.summary == "Grafana alert DiskFull pending (condition met, not firing yet)"
    assert never.kind is Kind.ANNOTATION and never.refs == frozenset()
    assert never.summary == "Grafana alert DiskFull back to normal without firing (never fired)"


def test_legacy_states_and_reasons(tmp_path: Path) -> None:
    legacy_fire, legacy_ok, nodata_fire, nodata, err = events_of(
        tmp_path,
        alert(1, MS0, "Queue Depth", "alerting"),
        alert(2, MS0 + 1 * MIN, "Queue Depth", "ok"),
        alert(3, MS0 + 2 * MIN, "Lag", "Alerting (NoData)", "Normal"),
        alert(4, MS0 + 3 * MIN, "Lag", "NoData", "Normal"),
        alert(5, MS0 + 4 * MIN, "Lag", "Error", "Normal"),
    )
    assert legacy_fire.summary == "Grafana alert Queue Depth firing"
    assert legacy_fire.refs == {"rule:queue depth:firing"}
    assert legacy_ok.summary == "Grafana alert Queue Depth resolved"
    assert legacy_ok.refs == {"rule:queue depth:resolved"}
    assert nodata_fire.kind is Kind.ALERT and nodata_fire.refs == {"rule:lag:firing"}
    assert nodata_fire.tags == {"state:alerting", "alertname:Lag"}
    assert (nodata.kind, nodata.refs, nodata.tags) == (
        Kind.ANNOTATION,
        frozenset(),
        frozenset({"state:nodata", "alertname:Lag"}),
    )
    assert err.kind is Kind.ANNOTATION and err.tags == {"state:error", "alertname:Lag"}


def test_unified_alert_text_without_alert_name(tmp_path: Path) -> None:
    record = alert(
        9,
        MS0,
        "",
        "Alerting",
        "Normal",
        text="HighLatency {alertname=HighLatency, team=payments} - B=3.2",
    )
    (event,) = events_of(tmp_path, record)
    assert event.summary == "Grafana alert HighLatency firing"
    assert event.refs == {"rule:highlatency:firing"}
    # No dashboard: the alert rule list, searched by the rule's name.
    assert event.links[0].url == f"{ROOT}/alerting/list?search=HighLatency"


# -- annotations and deploys ---------------------------------------------------------------


def test_deploy_annotation(tmp_path: Path) -> None:
    record = annotation(
        20,
        MS0 - 5 * MIN,
        'Deployed <b>checkout</b> <a href="https://github.com/acme/checkout/releases/tag/v2.3.1">'
        "v2.3.1</a><br>by CI &amp; friends",
        tags=["deploy", "production", "sha:ABC1234"],
        dashboard_uid="chk",
        login="alice",
        email="alice@example.com",
    )
    (event,) = events_of(tmp_path, record)
    assert event.kind is Kind.DEPLOY
    assert event.summary == (
        "Deployed checkout v2.3.1 (https://github.com/acme/checkout/releases/tag/v2.3.1) "
        "by CI & friends"
    )
    assert event.refs == {"sha:abc1234"}
    assert event.tags == {"production", "written"}  # alice's own words
    assert event.actor == "alice"
    assert event.key == "grafana:annotation:20"


@pytest.mark.parametrize(
    ("text", "tags", "kind"),
    [
        ("checkout deployed to eu-west-1", [], Kind.DEPLOY),
        ("Rolled back checkout to v2.3.0", [], Kind.DEPLOY),
        ("new build", ["type:release"], Kind.DEPLOY),
        ("new build", ["Deployment"], Kind.DEPLOY),
        ("Capacity test started", ["loadtest"], Kind.ANNOTATION),
        ("deployment freeze announced", [], Kind.ANNOTATION),
        ("redeployed payments", [], Kind.DEPLOY),
        ("Redeploy planned", ["maintenance"], Kind.ANNOTATION),
    ],
)
def test_deploy_detection(tmp_path: Path, text: str, tags: list[str], kind: Kind) -> None:
    (event,) = events_of(tmp_path, annotation(1, MS0, text, tags=tags))
    assert event.kind is kind


def test_rollback_tag_and_shas_from_data_and_tags(tmp_path: Path) -> None:
    record = annotation(
        3,
        MS0,
        "Rolled back checkout",
        tags=["deploy", "0123abc", "words", "deadbeef"],
        data={"commit": "9F8E7D6C5B4A39281706F5E4D3C2B1A098765432", "note": "abcdef1"},
        email="bob@example.com",
    )
    (event,) = events_of(tmp_path, record)
    assert event.tags == {"rollback", "written"}  # no production tag or text; bob wrote it
    # bare tags need a digit and a letter; data only under keys naming a commit
    assert event.refs == {"sha:0123abc", "sha:9f8e7d6"}
    assert event.actor == "bob@example.com"


def test_region_mentions_duration_and_end(tmp_path: Path) -> None:
    record = annotation(
        4, MS0, "Maintenance", time_end=MS0 + 12 * MIN, dashboard_uid="db", panel_id=3
    )
    (event,) = events_of(tmp_path, record)
    assert event.summary == "Maintenance (for 12m 00s, until 09:12:00 UTC)"
    assert event.time == T0
    assert query(event.links[0].url) == {
        "from": [str(MS0 - 30 * MIN)],
        "to": [str(MS0 + 42 * MIN)],
        "viewPanel": ["panel-3"],
    }


def test_region_over_midnight_shows_the_date(tmp_path: Path) -> None:
    record = annotation(4, MS0, "Migration", time_end=MS0 + 20 * 60 * MIN)
    (event,) = events_of(tmp_path, record)
    assert event.summary == "Migration (for 20h 00m, until 2026-03-15 05:00:00 UTC)"


def test_sub_path_root_and_org_in_links(tmp_path: Path) -> None:
    meta = {"url": "https://ops.example.com/grafana/", "org_id": 3}
    dash, org_wide, rule = events_of(
        tmp_path,
        annotation(1, MS0, "on a dashboard", dashboard_uid="a b/c"),
        annotation(2, MS0 + MIN, "org wide"),
        alert(3, MS0 + 2 * MIN, "Error Budget", "Alerting", "Normal"),
        meta=meta,
    )
    assert dash.links[0].url == (
        f"https://ops.example.com/grafana/d/a%20b%2Fc?orgId=3&from={MS0 - 30 * MIN}"
        f"&to={MS0 + 30 * MIN}"
    )
    assert explore(org_wide.links[0].url, "https://ops.example.com/grafana") == (
        {"orgId": ["3"], "schemaVersion": ["1"]},
        [],
        {"from": str(MS0 - 29 * MIN), "to": str(MS0 + 31 * MIN)},
    )
    assert org_wide.links[0].label == "Grafana annotations"
    assert rule.links[0].url == (
        "https://ops.example.com/grafana/alerting/list?orgId=3&search=Error%20Budget"
    )


def test_omitempty_records(tmp_path: Path) -> None:
    bare = {"id": 5, "time": MS0}
    no_id = {"time": MS0 + MIN, "text": "no id"}
    no_time = {"id": 6, "text": "never placed"}
    junk = {"id": "x", "time": "yesterday", "tags": "not-a-list"}
    events = events_of(tmp_path, bare, no_id, no_time, junk, {"id": 8, "time": MS0, "tags": 3})
    assert [e.summary for e in events] == ["Grafana annotation", "Grafana annotation", "no id"]
    assert [e.kind for e in events] == [Kind.ANNOTATION] * 3
    first = events[0]
    assert first.key == "grafana:annotation:5"
    assert first.actor is None and first.refs == frozenset() and first.tags == frozenset()
    assert explore(first.links[0].url, ROOT)[2] == {
        "from": str(MS0 - 30 * MIN),
        "to": str(MS0 + 30 * MIN),
    }
    assert events[2].key.startswith("grafana:annotation:x")
    # The record without an id gets the same content-derived key on every parse.
    assert events[2].key == events_of(tmp_path / "again", no_id)[0].key


def test_epoch_seconds_and_milliseconds_agree(tmp_path: Path) -> None:
    seconds, millis = events_of(
        tmp_path,
        annotation(1, MS0 // 1000, "seconds"),
        annotation(2, MS0 + 250, "millis"),
    )
    assert seconds.time == T0
    assert millis.time == T0 + timedelta(milliseconds=250)
    assert millis.time.tzinfo is UTC


def test_duplicates_across_pages_and_series_are_one_event(tmp_path: Path) -> None:
    a = omit_empty(annotation(1, MS0, "a", dashboard_uid="x"))
    b = omit_empty(annotation(2, MS0 - MIN, "b"))
    bundle = write_bundle(tmp_path / "b", [[a, b], [b], [a]], meta={"url": ROOT}, span=SPAN)
    events = list(parse(bundle))
    assert [e.key for e in events] == ["grafana:annotation:2", "grafana:annotation:1"]


def test_no_url_in_meta(tmp_path: Path) -> None:
    empty = write_bundle(tmp_path / "empty", None, meta={}, span=SPAN)
    assert list(parse(empty)) == []
    with pytest.raises(BundleError, match=r"sources\.grafana\.meta\.url"):
        events_of(tmp_path, annotation(1, MS0, "x"), meta={"url": "grafana.example.com"})


def test_parse_is_deterministic_and_ordered(tmp_path: Path) -> None:
    records = [annotation(i, MS0 + (i * 7919 % 13) * MIN, f"n{i}") for i in range(1, 30)]
    bundle = bundle_of(tmp_path, *records)
    once, twice = list(parse(bundle)), list(parse(Bundle.open(bundle.root)))
    assert once == twice
    assert once == sorted(once, key=lambda e: (e.time, e.key))
    assert list(get_source("grafana").parse(Bundle.open(bundle.root))) == once


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("plain  text\nover lines", "plain text over lines"),
        ("latency < 200ms & rising", "latency < 200ms & rising"),
        ("<p>one</p><p>two</p>", "one two"),
        ('<a href="https://x.example/a">https://x.example/a</a>', "https://x.example/a"),
        ('<a href="javascript:alert(1)">click</a>', "click"),
        ("a &lt;b&gt; &#x27;c&#39;", "a <b> 'c'"),
    ],
)
def test_plain_text(html: str, text: str) -> None:
    assert plain_text(html) == text


def test_production_from_text(tmp_path: Path) -> None:
    deploy, note = events_of(
        tmp_path,
        annotation(1, MS0, "Deployed checkout 4f2c9e1 to production (PR #1203)", tags=["deploy"]),
        annotation(2, MS0 + MIN, "Scaled up in production"),
    )
    assert deploy.kind is Kind.DEPLOY and deploy.tags == {"production"}
    assert note.kind is Kind.ANNOTATION and note.tags == frozenset()
