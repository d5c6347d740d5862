"""A chat notification Alertmanager held back joins the tool's record of that alert instance.

Inputs are Grafana ``GET /api/annotations`` alert state items (unified alerting's text, as
``historian.buildAnnotationTextAndData`` writes it) and Grafana's Slack notifier posts
(``conversations.history`` bot messages with one attachment whose text lists ``Labels:``).
Alertmanager's defaults (group_wait 30 s, group_interval 5 m) can post an alert that joins an
already notified group 5 m 30 s after it fired: ``[normalize] instance_window`` (6 m).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from reconstruct.config import CollapseConfig, Config, NormalizeConfig
from reconstruct.model import Event
from tests.test_row_storms import RULE, grafana_state, pods_of, slack_alert_post
from tests.test_rows import texts, timeline, trigger


def rows_of(
    tmp_path: Path, post_at: float, post_pod: str, config: Config | None = None
) -> list[Event]:
    notes = [grafana_state(5, "payments-a", "Normal", "Alerting")]
    post = slack_alert_post(post_at, post_pod)
    tl = timeline(tmp_path, [trigger()], [post], [], notes, config=config)
    return [e for e in tl.events if RULE in e.summary]


def test_a_post_five_and_a_half_minutes_late_joins_its_instances_firing(tmp_path: Path) -> None:
    rows = rows_of(tmp_path, 5 + 5.5, "payments-a")
    assert len(rows) == 1, [e.summary for e in rows]
    assert sorted(rows[0].sources) == ["grafana", "slack"]
    assert pods_of(rows[0]) == {"payments-a"}
    assert "Labels:" not in rows[0].summary, "the tool's own words, not the raw post"


def test_a_late_post_of_another_instance_never_joins(tmp_path: Path) -> None:
    """Never one alert: the row names both instances (``collapse._small_wave``), each record a
    member of its own; expanded, two rows."""
    (row,) = rows_of(tmp_path, 5 + 1, "payments-b")
    assert row.summary.endswith("(pod=payments-a) firing; also on payments-b at 09:48"), row
    assert [m.sources for m in row.members] == [("grafana",), ("slack",)]
    assert [pods_of(m) for m in row.members] == [{"payments-a"}, {"payments-b"}]
    expand = Config(collapse=CollapseConfig(expand=True))
    rows = rows_of(tmp_path / "expand", 5 + 1, "payments-b", expand)
    assert len(rows) == 2, [e.summary for e in rows]
    assert all(len(e.sources) == 1 for e in rows)


def test_a_post_beyond_the_instance_window_stays_its_own_row(tmp_path: Path) -> None:
    assert len(rows_of(tmp_path, 5 + 7, "payments-a")) == 2
    narrow = Config(normalize=NormalizeConfig(instance_window=timedelta(minutes=5)))
    assert len(rows_of(tmp_path / "narrow", 5 + 5.5, "payments-a", narrow)) == 2


def test_records_without_instance_labels_keep_the_merge_window(tmp_path: Path) -> None:
    """A post naming its pod by value only (no Labels: block) is no instance record: 5.5
    minutes late, it stays its own row."""
    notes = [grafana_state(5, "payments-a", "Normal", "Alerting")]
    post = slack_alert_post(5 + 5.5, "payments-a")
    post["attachments"][0]["text"] = "**Firing**\n\nValue: B=2.1\n"
    tl = timeline(tmp_path, [trigger()], [post], [], notes)
    assert len([e for e in tl.events if RULE in e.summary]) == 2, texts(tl)
