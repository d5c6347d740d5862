"""The post-mortem's heading reads like a title a person writes (#11).

An incident Grafana's or Alertmanager's PagerDuty notifier opened is titled with the alert's
default ``__subject`` (``[{{ .Status | toUpper }}:{{ .Alerts.Firing | len }}{{ if gt
(.Alerts.Resolved | len) 0 }}, RESOLVED:n{{ end }}] {{ .GroupLabels.SortedPairs.Values | join " "
}} ({{ other common label values }})``, Grafana ``default_template.go``, Alertmanager
``template/default.tmpl``): PagerDuty's ``GET /incidents/{id}`` ``title`` is that summary as
sent. The heading keeps the group's words; the trigger's row keeps the subject without its
status bracket (a count of that moment, "\\[FIRING:3\\]" in Markdown); the data keeps the title as
PagerDuty sent it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconstruct.config import Config
from reconstruct.pipeline import build_timeline
from reconstruct.render import RenderOptions, render
from reconstruct.subject import parse_subject
from tests.test_rows import bundle, trigger


@pytest.mark.parametrize(
    ("title", "heading"),
    [
        ("[FIRING:1] RedisMemoryHigh (redis-checkout-0:9121 prod critical)", "RedisMemoryHigh"),
        (
            "[FIRING:2, RESOLVED:1] PostgresDiskUsageHigh orders-pg pgdata",
            "PostgresDiskUsageHigh orders-pg pgdata",
        ),
        ("[RESOLVED] KafkaConsumerLag orders (prod)", "KafkaConsumerLag orders"),
        # a person's title stays as written, parentheses and brackets too
        ("Public API 5xx (api.northwind.example)", "Public API 5xx (api.northwind.example)"),
        ("[SEV-1] Checkout down", "[SEV-1] Checkout down"),
    ],
)  # fmt: skip
def test_the_heading_drops_a_notifiers_state_prefix_and_label_dump(
    tmp_path: Path, title: str, heading: str
) -> None:
    tl = build_timeline(bundle(tmp_path, [trigger()], title=title), Config())
    md = render(tl, RenderOptions(), Config())
    first = md.splitlines()[0]
    assert first.replace("\\", "") == f"# Post-mortem: {heading}"
    html = render(tl, RenderOptions(fmt="html"), Config())
    assert f"<h1>Post-mortem: {heading}</h1>" in html
    # the data keeps PagerDuty's title as written; the trigger's row drops the status bracket
    assert json.loads(render(tl, RenderOptions(fmt="json"), Config()))["incident"]["title"] == title
    subject = parse_subject(title)
    said = subject.title if subject is not None else title
    (row,) = [e for e in tl.events if "triggered" in e.summary]
    assert row.summary == f"Incident #4711 triggered: {said}"
    assert "[" not in said or title.startswith("[SEV")
