"""An alert's instance labels stay in its row: which pod fired first, and how many a storm spans.

Inputs are Grafana ``GET /api/annotations`` alert state items: unified alerting's ``text``
(``"<rule title> {<labels.String()>} - <values>"``, as ``historian.buildAnnotationTextAndData``
writes it) and legacy alerting's ``data.evalMatches[].tags``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconstruct.config import CollapseConfig, Config
from tests.test_rows import alert_state, timeline, trigger


def unified(
    minutes: float, pod: str, prev: str = "Normal", new: str = "Alerting"
) -> dict[str, Any]:
    record = alert_state(minutes, "CheckoutErrors", prev, new)
    labels = f"alertname=CheckoutErrors, grafana_folder=Checkout, pod={pod}, severity=page"
    record["text"] = f"CheckoutErrors {{{labels}}} - B=12.5, C=1"
    return record


def test_the_first_firing_names_its_pod_and_the_storm_counts_pods(tmp_path: Path) -> None:
    storm = [unified(i * 0.25, f"web-{i:02d}") for i in range(10)]
    tl = timeline(tmp_path, [trigger()], [], [], storm)
    (row,) = [e for e in tl.events if "CheckoutErrors" in e.summary]
    assert row.summary.startswith("Grafana alert CheckoutErrors (pod=web-00)"), row
    assert "grafana_folder" not in row.summary and "severity" not in row.summary
    assert row.summary.endswith("; 10 pods firing by 09:44"), (
        "the first firing's row, with the rule's count of pods and when the last fired"
    )
    assert len(row.members) == 10


def test_expanded_storm_rows_differ_by_pod(tmp_path: Path) -> None:
    storm = [unified(i * 0.25, f"web-{i:02d}") for i in range(10)]
    config = Config(collapse=CollapseConfig(expand=True))
    tl = timeline(tmp_path, [trigger()], [], [], storm, config=config)
    rows = [e.summary for e in tl.events if "CheckoutErrors" in e.summary]
    assert [f"(pod=web-{i:02d})" in s for i, s in enumerate(rows)] == [True] * 10, rows


def test_one_pods_storm_has_no_across(tmp_path: Path) -> None:
    storm = [unified(i * 0.25, "web-00", *("Normal", "Alerting")) for i in range(5)]
    tl = timeline(tmp_path, [trigger()], [], [], storm)
    assert not any("across" in e.summary for e in tl.events), [e.summary for e in tl.events]


def test_legacy_eval_matches_tags_name_the_instance(tmp_path: Path) -> None:
    record = alert_state(0, "Disk full", "ok", "alerting")
    record["data"] = {
        "evalMatches": [{"metric": "disk", "tags": {"instance": "db-3:9100"}, "value": 97}]
    }
    both = alert_state(1, "Disk full", "ok", "alerting")
    both["data"] = {
        "evalMatches": [{"tags": {"instance": "db-3:9100"}}, {"tags": {"instance": "db-7:9100"}}]
    }
    tl = timeline(tmp_path, [trigger()], [], [], [record, both])
    rows = [e.summary for e in tl.events if "Disk full" in e.summary]
    assert rows[0].startswith("Grafana alert Disk full (instance=db-3:9100)"), rows
    assert rows[1] == "Grafana alert Disk full firing", "two instances: the row is the rule's"
