"""--format json (the contract other tools read), html (autoescaped), csv."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

from reconstruct.config import Config
from reconstruct.model import Kind, Link
from reconstruct.render import RenderOptions, render
from tests.test_render_fixture import (
    GITHUB_TOKEN_IN_TEXT,
    SLACK_TOKEN_IN_TEXT,
    at,
    check_snapshot,
    ev,
    timeline,
)

CONFIG = Config()


def out(fmt: str, **options: object) -> str:
    return render(timeline(), RenderOptions(fmt=fmt, **options), CONFIG)  # type: ignore[arg-type]


def test_json_snapshot_and_format() -> None:
    text = out("json")
    check_snapshot("timeline.json", text)
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n"


def test_json_contract_shape() -> None:
    doc = json.loads(out("json"))
    assert list(doc) == [
        "schema_version",
        "incident",
        "events",
        "omitted",
        "warnings",
        "metrics",
        "milestones",
        "summary",
        "records",
    ]
    assert doc["incident"] == {
        "id": "Q1ABC23",
        "number": 1234,
        "title": "Checkout errors after Redis failover",
        "severity": "P1",
        "services": ["checkout", "payments"],
        "started_at": "2026-03-14T09:42:07Z",
        "resolved_at": "2026-03-14T10:29:40Z",
        "url": "https://acme.pagerduty.com/incidents/Q1ABC23",
    }
    events = doc["events"]
    assert len(events) == 11
    for event in events:
        assert set(event) == {
            "time",
            "kind",
            "summary",
            "actor",
            "sources",
            "reason",
            "links",
            "edited_at",
        }
        assert event["time"].endswith("Z") and event["reason"]
        assert event["links"], "every event has at least one link"
        for link in event["links"]:
            assert set(link) == {"source", "url", "label"}
            assert link["url"].startswith("https://")
    assert [e["time"] for e in events] == sorted(e["time"] for e in events)
    assert events[2] == {
        "time": "2026-03-14T09:42:07Z",
        "kind": "alert",
        "summary": "[FIRING:1] CheckoutErrorRate: 5xx above 20% for 2m",
        "actor": None,
        "sources": ["pagerduty", "slack"],
        "reason": "PagerDuty state change; also seen in slack",
        "links": [
            {
                "source": "pagerduty",
                "url": "https://acme.pagerduty.com/incidents/Q1ABC23/log_entries/R1",
                "label": "",
            },
            {
                "source": "slack",
                "url": "https://acme.slack.com/archives/C024BE91L/p1773481327000100",
                "label": "",
            },
        ],
        "edited_at": None,
    }
    assert doc["omitted"] == {
        "github:acme/checkout": 23,
        "outside window": 5,
        "slack:#inc-1234": 412,
    }
    assert doc["warnings"] == [
        "grafana: 403 Forbidden from https://grafana.acme.io/api/annotations "
        "(check that the token has the Viewer role)"
    ]
    assert doc["metrics"] == {
        "time_to_detect_s": 0,
        "time_to_ack_s": 130,
        "time_to_mitigate_s": 1916,
        "time_to_resolve_s": 2853,
    }
    assert doc["summary"]["draft"] is True
    assert doc["summary"]["lede"].startswith(
        "On 2026-03-14, between 09:42 and 10:29 UTC, checkout, payments ___ (what users saw"
    )


def test_json_text_is_redacted_not_escaped_or_shortened() -> None:
    text = out("json")
    assert SLACK_TOKEN_IN_TEXT not in text and GITHUB_TOKEN_IN_TEXT not in text
    events = json.loads(text)["events"]
    hostile = events[6]
    assert hostile["summary"].startswith("see `kubectl logs` and [dashboard](javascript:alert(1))")
    assert hostile["actor"] == "Kim | Lee"
    assert [link["url"] for link in hostile["links"]] == [
        "https://acme.slack.com/archives/C024BE91L/p1773481900000300"
    ]
    assert (
        len(events[9]["summary"]) > 280
        and "[redacted: github token] (rotated)" in events[9]["summary"]
    )


def test_json_ongoing_and_missing_metrics_are_null() -> None:
    tl = timeline(resolved=False, severity=None)
    tl = replace(tl, events=tuple(e for e in tl.events if e.kind is not Kind.MITIGATE))
    doc = json.loads(render(tl, RenderOptions(fmt="json"), CONFIG))
    assert doc["incident"]["resolved_at"] is None and doc["incident"]["severity"] is None
    assert doc["metrics"] == {
        "time_to_detect_s": 0,
        "time_to_ack_s": 130,
        "time_to_mitigate_s": None,
        "time_to_resolve_s": None,
    }
    assert doc["milestones"]["resolved"] is None and doc["milestones"]["mitigated"] is None
    assert doc["summary"]["lede"].startswith("On 2026-03-14, since 09:42 UTC (ongoing), checkout")


def test_html_snapshot() -> None:
    check_snapshot("timeline.html", out("html", why=True))


def test_html_escapes_everything() -> None:
    text = out("html")
    assert text.startswith("<!DOCTYPE html>\n") and text.endswith("</html>\n")
    assert "<script>" not in text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text
    assert "javascript:alert(document" not in text and "data:text/html" not in text
    assert 'href="javascript' not in text
    assert "Kim | Lee: see `kubectl logs`" in text  # HTML needs no Markdown escaping
    assert SLACK_TOKEN_IN_TEXT not in text
    assert text.count("<tr><td>") == 11
    assert '<p class="warning">Warning: grafana: 403 Forbidden' in text


def test_html_escapes_attributes_and_titles() -> None:
    tl = timeline()
    inc = replace(tl.incident, title='Bad "title" <b>&', url='https://x.io/"><img src=x>')
    link = Link("slack", 'https://x.io/a"onmouseover="alert(1)', 'lab"el<')
    row = ev(at(9, 50), Kind.UPDATE, "x", (link,), "k")
    text = render(replace(tl, incident=inc, events=(row,)), RenderOptions(fmt="html"), CONFIG)
    assert "<title>Post-mortem: Bad &#34;title&#34; &lt;b&gt;&amp;</title>" in text
    assert '"onmouseover' not in text and "<img" not in text
    assert 'href="https://x.io/a%22onmouseover=%22alert%281%29">lab&#34;el&lt;</a>' in text


def test_html_timeline_only_has_no_header() -> None:
    text = out("html", timeline_only=True)
    assert "<h1>" not in text and "<table>" in text and "Time to acknowledge" not in text


def test_csv_snapshot_and_columns() -> None:
    text = out("csv")
    check_snapshot("timeline.csv", text)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["time", "kind", "summary", "actor", "sources", "reason", "links"]
    assert len(rows) == 12
    assert rows[3] == [
        "2026-03-14T09:42:07Z",
        "alert",
        "[FIRING:1] CheckoutErrorRate: 5xx above 20% for 2m",
        "",
        "pagerduty slack",
        "PagerDuty state change; also seen in slack",
        "https://acme.pagerduty.com/incidents/Q1ABC23/log_entries/R1 "
        "https://acme.slack.com/archives/C024BE91L/p1773481327000100",
    ]
    assert SLACK_TOKEN_IN_TEXT not in text


def test_csv_neutralises_formulas() -> None:
    row = ev(at(9, 50), Kind.UPDATE, '=HYPERLINK("http://evil")', (Link("s", "https://a.io"),), "k")
    row = replace(row, actor="@bob", reason="-1")
    text = render(replace(timeline(), events=(row,)), RenderOptions(fmt="csv"), CONFIG)
    fields = list(csv.reader(io.StringIO(text)))[1]
    assert fields[2] == '\'=HYPERLINK("http://evil")'
    assert fields[3] == "'@bob" and fields[5] == "'-1"  # data: the name as written, no formula
