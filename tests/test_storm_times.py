"""An alert storm's rows at the time things happened, in the rows an author keeps (#11).

Grafana ``GET /api/annotations`` items of unified alerting's state history, as Grafana writes
them (``historian.BuildAnnotationTextAndData``: ``text`` is ``"<rule title> {<labels>} -
<refID>=<value %f>, ..."``, ``data.values`` the same values; ``newState`` / ``prevState`` are
``state.Formatted()``: ``Pending``, ``Alerting``, ``Normal``; ``alertId`` the rule's id,
``alertName`` its title, the dashboard and panel of the rule's annotations). A TLS certificate
expires at the edge: the rule goes Pending on gw-1, fires on the eight gateways within a minute,
clears on five when the rollback lands and on the last three after a pod restart.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.config import CollapseConfig, Config, load_config
from reconstruct.errors import ConfigError
from reconstruct.model import Event, Timeline
from reconstruct.render import RenderOptions, render
from reconstruct.render.metrics import compute, milestones
from tests.test_row_storms import RULE as PAY
from tests.test_row_storms import slack_alert_post
from tests.test_rows import T0, ms, one, said, slack_user, texts, timeline, trigger, ts

RULE = "EdgeTLSHandshakeErrors"
_ids = iter(range(90_001, 99_999))


def state(
    minutes: float, instance: str, prev: str, new: str, rule: str = RULE, rule_id: int = 301
) -> dict[str, Any]:
    """One state annotation of ``rule`` for ``instance``."""
    b, c = (0.6, 1.0) if new in ("Pending", "Alerting") else (0.0, 0.0)
    labels = f"alertname={rule}, grafana_folder=Edge, instance={instance}, severity=critical"
    return {
        "id": next(_ids),
        "alertId": rule_id,
        "alertName": rule,
        "dashboardId": 77,
        "dashboardUID": "edge-overview",
        "panelId": 2,
        "userId": 0,
        "newState": new,
        "prevState": prev,
        "created": ms(minutes) + 120,
        "updated": ms(minutes) + 120,
        "time": ms(minutes),
        "timeEnd": ms(minutes),
        "text": f"{rule} {{{labels}}} - B={b:f}, C={c:f}",
        "tags": [],
        "login": "",
        "email": "",
        "data": {"values": {"B": b, "C": c}},
    }


GATEWAYS = [f"gw-{n}" for n in range(1, 9)]


def tls_storm(
    pending: bool = True, late: tuple[float, ...] = (41, 41.5, 42)
) -> list[dict[str, Any]]:
    """gw-1 Pending at -2 and firing at -1, the others firing every 12 s after it; gw-1..gw-5
    clear at 33..34 (the rollback), gw-6..gw-8 at ``late`` (the pod restart)."""
    notes = [state(-2, "gw-1", "Normal", "Pending")] if pending else []
    for k, gw in enumerate(GATEWAYS):
        notes.append(state(-1 + 0.2 * k, gw, "Pending" if pending and k == 0 else "Normal",
                           "Alerting"))  # fmt: skip
    for k, gw in enumerate(GATEWAYS[:5]):
        notes.append(state(33 + 0.25 * k, gw, "Alerting", "Normal"))
    for gw, minute in zip(GATEWAYS[5:], late, strict=True):
        notes.append(state(minute, gw, "Alerting", "Normal"))
    return notes


def rows_of(tl: Timeline, needle: str = RULE) -> list[tuple[str, str]]:
    return [(f"{e.time:%H:%M:%S}", e.summary) for e in tl.events if needle in e.summary]


def gateways(event: Event) -> list[str]:
    return sorted(
        {t.split("=", 1)[1] for m in event.members for t in m.tags if t.startswith("label:inst")},
        key=lambda g: int(g[3:]),
    )


# -- the storm's firing joins the incident's first firing ----------------------------------------
def test_a_storms_firing_is_the_first_firing_row_with_count_span_and_instances(
    tmp_path: Path,
) -> None:
    tl = timeline(tmp_path, [trigger()], [], [], tls_storm())
    rows = rows_of(tl)
    assert rows[0] == (
        "09:41:00",
        f"Grafana alert {RULE} (instance=gw-1) firing (pending since 09:40); 8"
        " instances firing by 09:42",
    ), rows
    row = tl.events[[e.summary for e in tl.events].index(rows[0][1])]
    assert len(row.members) == 9, "the pending record and the eight firings"
    assert row.members[0].summary.endswith("pending (condition met, not firing yet)")
    assert "values:B=0.6, C=1" in row.members[0].tags, "JSON keeps the values"
    assert gateways(row) == GATEWAYS
    labels = [ln.label for ln in row.links]
    assert labels == ["Grafana panel", "last: Grafana panel"], labels
    assert row.links[-1].url == row.members[-1].links[0].url, "the last firing's panel"
    assert not any("its own row" in summary for _, summary in rows)


def test_a_rule_without_a_milestone_fires_and_clears_at_its_own_times(tmp_path: Path) -> None:
    """The incident's first firing and last clearing are another rule's: this rule's firings
    are one row at its first firing, its clearings one row at its first clearing."""
    first = [state(-5, "lb-1", "Normal", "Alerting", "EdgeDown", 300),
             state(50, "lb-1", "Alerting", "Normal", "EdgeDown", 300)]  # fmt: skip
    tl = timeline(
        tmp_path, [trigger()], [], [], [*first, *tls_storm(pending=False, late=(34,) * 3)]
    )
    assert rows_of(tl) == [
        ("09:41:00", f"8 alerts of {RULE} fired across 8 instances, 09:41–09:42"),
        ("10:15:00", f"{RULE} cleared on all 8 instances, 10:15–10:16"),
    ]
    assert [len(e.members) for e in tl.events if RULE in e.summary] == [8, 8]
    assert [e.members for e in tl.events if "EdgeDown" in e.summary] == [(), ()]


# -- clearings in waves ---------------------------------------------------------------------
def test_two_clearing_waves_are_a_partial_recovery_row_and_the_last_clearing_row(
    tmp_path: Path,
) -> None:
    tl = timeline(tmp_path, [trigger()], [], [], tls_storm())
    rows = rows_of(tl)
    assert rows[1:] == [
        ("10:15:00", f"{RULE} cleared on 5 of 8 instances (gw-1 … gw-5), 10:15–10:16"),
        (
            "10:24:00",
            f"Grafana alert {RULE} (instance=gw-8) resolved; the last 3 of 8 instances"
            " (gw-6 … gw-8) cleared, this one last, 10:23–10:24",
        ),
    ], rows
    partial, last = [e for e in tl.events if RULE in e.summary][1:]
    assert gateways(partial) == GATEWAYS[:5] and gateways(last) == GATEWAYS[5:]
    assert [ln.label for ln in last.links] == ["Grafana panel", "first: Grafana panel"]
    assert last.links[-1].url == last.members[0].links[0].url, "gw-6's panel, the wave's first"


def test_an_instance_firing_again_says_so_and_the_last_clearing_counts_instances(
    tmp_path: Path,
) -> None:
    """gw-3 clears with the rollback, fires again alone and is the last to clear: its firing
    row says when it cleared, and the last clearing counts instances (5 + 3 = 8), gw-3's second
    clearing being the row's own (named once, not again in its list), never "the last of 8"
    next to four names after "5 of 8"."""
    again = [state(37, "gw-3", "Normal", "Alerting"), state(42, "gw-3", "Alerting", "Normal")]
    tl = timeline(tmp_path, [trigger()], [], [], [*tls_storm(late=(41, 41.5, 41.8)), *again])
    assert rows_of(tl)[1:] == [
        ("10:15:00", f"{RULE} cleared on 5 of 8 instances (gw-1 … gw-5), 10:15–10:16"),
        (
            "10:19:00",
            f"Grafana alert {RULE} (instance=gw-3) firing again (cleared 10:15)",
        ),
        (
            "10:24:00",
            f"Grafana alert {RULE} (instance=gw-3) resolved; the last 3 of 8 instances"
            " (gw-6 … gw-8) cleared, then this one again, 10:23–10:24",
        ),
    ], rows_of(tl)
    last = [e for e in tl.events if RULE in e.summary][-1]
    assert gateways(last) == ["gw-3", *GATEWAYS[5:]]


def test_two_instances_firing_again_a_minute_apart_are_one_row(tmp_path: Path) -> None:
    """gw-3 and gw-4 cleared with the rollback and fire again a minute apart, too few for a
    wave's row (``min_series``): one row as an author writes it, not two "firing again (cleared
    10:15)" rows; every firing a member."""
    again = [state(37, "gw-3", "Normal", "Alerting"), state(38, "gw-4", "Normal", "Alerting")]
    again += [state(41.9, "gw-3", "Alerting", "Normal"), state(41.95, "gw-4", "Alerting", "Normal")]
    tl = timeline(tmp_path, [trigger()], [], [], [*tls_storm(), *again])
    rows = rows_of(tl)
    assert ("10:19:00", f"{RULE} firing again on gw-3 and gw-4, 10:19–10:20") in rows, rows
    assert not [r for r in rows if "(cleared 10:15)" in r[1]], rows
    (row,) = [e for e in tl.events if "firing again" in e.summary]
    assert [m.time for m in row.members] == [T0 + timedelta(minutes=m) for m in (37, 38)]
    # one of them new (never fired before): one row that says which fired again
    other = [state(37, "gw-3", "Normal", "Alerting"), state(38, "gw-9", "Normal", "Alerting")]
    other += [state(41.9, "gw-3", "Alerting", "Normal"), state(41.95, "gw-9", "Alerting", "Normal")]
    rows = rows_of(timeline(tmp_path / "new", [trigger()], [], [], [*tls_storm(), *other]))
    assert [r[1] for r in rows if r[0] in ("10:19:00", "10:20:00")] == [
        f"{RULE} fired on gw-9 and again on gw-3, 10:19–10:20",
    ]


def test_a_first_firing_or_a_notifiers_repeat_is_never_firing_again(tmp_path: Path) -> None:
    """Firing twice without a clearing between (a repeat) is no "firing again"."""
    notes = [state(-1, "gw-1", "Normal", "Alerting"), state(10, "gw-1", "Alerting", "Alerting"),
             state(20, "gw-1", "Alerting", "Normal")]  # fmt: skip
    tl = timeline(tmp_path, [trigger()], [], [], notes)
    assert not any("again" in summary for _, summary in rows_of(tl)), rows_of(tl)


def test_one_clearing_wave_joins_the_last_clearing(tmp_path: Path) -> None:
    tl = timeline(tmp_path, [trigger()], [], [], tls_storm(late=(35, 35.5, 36)))
    assert rows_of(tl)[1:] == [
        (
            "10:18:00",
            f"Grafana alert {RULE} (instance=gw-8) resolved; all 8 instances cleared,"
            " this one last, 10:15–10:18",
        )
    ]


def test_the_wave_gap_is_a_config_key(tmp_path: Path) -> None:
    config = Config(collapse=CollapseConfig(wave_gap=timedelta(minutes=10)))
    tl = timeline(tmp_path, [trigger()], [], [], tls_storm(), config=config)
    assert rows_of(tl)[1][1].endswith("; all 8 instances cleared, this one last, 10:15–10:24")


def test_a_wave_of_two_joins_the_last_clearing_and_a_wave_of_one_stays_its_row(
    tmp_path: Path,
) -> None:
    """The last three clear in two waves: gw-6 at 10:23 (a row of its own), gw-7 and gw-8 ten
    minutes later, too few for a series: the incident's last clearing (gw-8) keeps its row and
    time and names gw-7 with it, never a row of two."""
    tl = timeline(tmp_path, [trigger()], [], [], tls_storm(late=(41, 51, 51.5)))
    rows = rows_of(tl)
    assert [t for t, _ in rows] == ["09:41:00", "10:15:00", "10:23:00", "10:33:30"]
    assert rows[2][1] == f"Grafana alert {RULE} (instance=gw-6) resolved"
    assert rows[3][1] == (
        f"Grafana alert {RULE} (instance=gw-8) resolved; the last 2 of 8 instances (gw-7, gw-8)"
        " cleared, this one last, at 10:33"
    )
    last = one(tl, "(instance=gw-8) resolved")
    assert gateways(last) == ["gw-7", "gw-8"]


def test_two_rules_storming_together_never_join(tmp_path: Path) -> None:
    other = [state(-0.9 + 0.2 * k, gw, "Normal", "Alerting", "EdgeLatencyP99", 302)
             for k, gw in enumerate(GATEWAYS[:4])]  # fmt: skip
    other += [state(20 + 0.2 * k, gw, "Alerting", "Normal", "EdgeLatencyP99", 302)
              for k, gw in enumerate(GATEWAYS[:4])]  # fmt: skip
    tl = timeline(tmp_path, [trigger()], [], [], [*tls_storm(), *other])
    assert rows_of(tl, "EdgeLatencyP99") == [
        ("09:41:06", "4 alerts of EdgeLatencyP99 fired across 4 instances, at 09:41"),
        ("10:02:00", "EdgeLatencyP99 cleared on all 4 instances, at 10:02"),
    ]
    for event in tl.events:
        names = {t for m in event.members or (event,) for t in m.tags if t.startswith("alertname:")}
        assert len(names) <= 1, (event.summary, names)
    assert rows_of(tl)[0][1].endswith("8 instances firing by 09:42")


# -- pending, then firing -------------------------------------------------------------------
def test_pending_then_firing_of_one_instance_is_one_row(tmp_path: Path) -> None:
    notes = [state(-2, "gw-1", "Normal", "Pending"), state(-1, "gw-1", "Pending", "Alerting")]
    tl = timeline(tmp_path, [trigger()], [], [], notes)
    (row,) = [e for e in tl.events if RULE in e.summary]
    assert row.summary == (f"Grafana alert {RULE} (instance=gw-1) firing (pending since 09:40)")
    assert row.time == T0 - timedelta(minutes=1), "at the firing's time"
    assert [m.time for m in row.members] == [T0 - timedelta(minutes=2), row.time]
    assert all(m.links for m in row.members), "the pending record keeps its link"


def test_another_instances_pending_or_a_pending_that_never_fired_is_no_firing(
    tmp_path: Path,
) -> None:
    """Another instance's firing and a firing past ``pending_window`` leave the pending its own
    row; a pending that ended back to normal is one row with its end, never a firing."""
    never = [state(5, "gw-3", "Normal", "Pending"), state(6, "gw-3", "Pending", "Normal")]
    tl = timeline(tmp_path / "never", [trigger()], [], [], never)
    (row,) = [e for e in tl.events if RULE in e.summary]
    assert row.summary == (
        f"Grafana alert {RULE} (instance=gw-3) pending 09:47, back to normal 09:48 without firing"
    )
    assert row.kind == "annotation" and len(row.members) == 2 and "state:normal" not in row.tags
    assert milestones(tl).detected is not None and milestones(tl).detected.event is not row
    cases = {
        "another instance fires": [
            state(-2, "gw-2", "Normal", "Pending"),
            state(-1, "gw-1", "Normal", "Alerting"),
        ],
        "fires past the window": [
            state(10, "gw-4", "Normal", "Pending"),
            state(21, "gw-4", "Pending", "Alerting"),
        ],
    }
    for n, (case, notes) in enumerate(cases.items()):
        tl = timeline(tmp_path / str(n), [trigger()], [], [], notes)
        assert len(rows_of(tl)) == 2 and not any(e.members for e in tl.events), (case, texts(tl))
    wider = Config(collapse=CollapseConfig(pending_window=timedelta(minutes=15)))
    notes = cases["fires past the window"]
    tl = timeline(tmp_path / "wider", [trigger()], [], [], notes, config=wider)
    assert [len(e.members) for e in tl.events if RULE in e.summary] == [2], "pending_window"


def test_pending_sets_the_impact_start_through_the_firing_row(tmp_path: Path) -> None:
    """Time to detect: gw-1's Pending (09:40) -> its firing (09:41), both in one row."""
    tl = timeline(tmp_path, [trigger()], [], [], tls_storm())
    row = next(e for e in tl.events if RULE in e.summary)
    marks = milestones(tl)
    assert marks.impact_start is not None and marks.detected is not None
    assert marks.impact_start.time == T0 - timedelta(minutes=2)
    assert marks.detected.time == T0 - timedelta(minutes=1)
    assert marks.impact_start.event is row and marks.detected.event is row
    figures = {m.key: m.seconds for m in compute(tl)}
    assert figures["time_to_detect_s"] == 60
    header = render(tl, RenderOptions(), Config())
    assert "(09:40:00 → 09:41:00" in header
    # the lede quotes the record that fired, not the words the storm added to its row
    assert f"by “Grafana alert {RULE} (instance=gw-1) firing”" in header


def test_a_responders_stated_impact_start_still_counts_before_pending(tmp_path: Path) -> None:
    messages = [said("U03KIM", 15, "cert expired; impact started at 09:38 UTC")]
    kim = slack_user("U03KIM", "kim", "Kim Nguyen", "kim@acme.example")
    tl = timeline(tmp_path, [trigger()], messages, [kim], tls_storm())
    figures = {m.key: m.seconds for m in compute(tl)}
    assert figures["time_to_detect_s"] == 180  # 09:38 -> the 09:41 firing


# -- every record still shown -----------------------------------------------------------------
def test_expand_shows_every_record_and_json_keeps_every_member(tmp_path: Path) -> None:
    notes = tls_storm()
    expanded = Config(collapse=CollapseConfig(expand=True))
    tl = timeline(tmp_path, [trigger()], [], [], notes, config=expanded)
    assert len(rows_of(tl)) == len(notes) == 17 and not any(e.members for e in tl.events)
    tl = timeline(tmp_path / "c", [trigger()], [], [], notes)
    doc = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    members = [m for e in doc["events"] for m in e.get("members", ())]
    assert len(members) == 17 and all(m["links"] for m in members)
    assert len({m["time"] + m["summary"] for m in members}) == 17, "each record once"


def test_alertmanager_style_chat_posts_place_their_clearings_in_waves(tmp_path: Path) -> None:
    """Grafana's Slack notifier (Alertmanager's message shape: ``[FIRING:1]`` / ``[RESOLVED]``
    titles, the ``Labels:`` list in the attachment's text), no annotations: the same rows."""
    pods = [f"payments-{k:03d}" for k in range(6)]
    posts = [slack_alert_post(-1 + 0.2 * k, pod) for k, pod in enumerate(pods)]
    posts += [slack_alert_post(20 + 0.2 * k, pod, "RESOLVED") for k, pod in enumerate(pods[:3])]
    posts += [slack_alert_post(30 + 0.2 * k, pod, "RESOLVED") for k, pod in enumerate(pods[3:])]
    tl = timeline(tmp_path, [trigger()], posts, [], [])
    rows = [e for e in tl.events if PAY in e.summary]
    assert [f"{e.time:%H:%M}" for e in rows] == ["09:41", "10:02", "10:12"]
    assert rows[0].summary.endswith("; 6 pods firing by 09:42")
    assert (
        rows[1].summary == f"{PAY} cleared on 3 of 6 pods (payments-000 … payments-002), at 10:02"
    )
    assert rows[2].summary.endswith("; the last 3 of 6 pods (payments-003 … payments-005)"
                                    " cleared, this one last, at 10:12")  # fmt: skip


def test_a_rule_firing_again_later_is_a_row_at_that_time(tmp_path: Path) -> None:
    """The storm clears, then three gateways fire again half an hour later: the first firing's
    row says only its own wave; the second is a row at its own time."""
    again = [state(60 + 0.1 * k, gw, "Normal", "Alerting") for k, gw in enumerate(GATEWAYS[:3])]
    tl = timeline(tmp_path, [trigger()], [], [], [*tls_storm(), *again])
    rows = rows_of(tl)
    assert rows[0][1].endswith("; 8 instances firing by 09:42")
    assert ("10:42:00", f"{RULE} firing again on 3 instances (gw-1 … gw-3), at 10:42") in rows


def test_the_new_thresholds_are_read_from_the_config_file_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "reconstruct.toml"
    path.write_text('[collapse]\npending_window = "3m"\nwave_gap = "90s"\n')
    collapse = load_config(path).collapse
    assert (collapse.pending_window, collapse.wave_gap) == (
        timedelta(minutes=3),
        timedelta(seconds=90),
    )
    assert (Config().collapse.pending_window, Config().collapse.wave_gap) == (
        timedelta(minutes=10),
        timedelta(minutes=5),
    ), "the README's defaults"
    path.write_text('[collapse]\nwave_gap = "0s"\n')
    with pytest.raises(ConfigError, match=r"\[collapse\] wave_gap"):
        load_config(path)


def test_a_partial_recovery_names_instances_that_are_no_run_one_by_one(tmp_path: Path) -> None:
    notes = [state(-1 + 0.2 * k, gw, "Normal", "Alerting") for k, gw in enumerate(GATEWAYS)]
    back = ["gw-1", "gw-3", "gw-4", "gw-7"]
    notes += [state(30 + 0.2 * k, gw, "Alerting", "Normal") for k, gw in enumerate(back)]
    rest = [gw for gw in GATEWAYS if gw not in back]
    notes += [state(45 + 0.2 * k, gw, "Alerting", "Normal") for k, gw in enumerate(rest)]
    tl = timeline(tmp_path, [trigger()], [], [], notes)
    rows = rows_of(tl)
    assert rows[1] == ("10:12:00", f"{RULE} cleared on 4 of 8 instances (gw-1, gw-3, gw-4, gw-7),"
                                   " at 10:12")  # fmt: skip
    assert rows[2][1].endswith("; the last 4 of 8 instances (gw-2, gw-5, gw-6, gw-8)"
                               " cleared, this one last, at 10:27")  # fmt: skip


def test_the_first_firings_words_quoted_in_the_summary_are_redacted(tmp_path: Path) -> None:
    """The lede quotes the record that fired (a member of its row): cleaned like the row."""
    secret = "xoxb-2231-998877-AbCdEfGhIjKl"
    notes = tls_storm()
    notes[1]["text"] = notes[1]["text"].replace(" - B=", f" - token {secret} B=")
    tl = timeline(tmp_path, [trigger()], [], [], notes)
    for fmt in ("markdown", "html", "json", "csv"):
        out = render(tl, RenderOptions(fmt=fmt), Config())  # type: ignore[arg-type]
        assert secret not in out, fmt
    doc = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    values = [v for e in doc["events"] for m in e.get("members", ()) for v in m.get("values", ())]
    assert [v for v in values if "token [redacted: " in v], "the values JSON keeps, cleaned"


def test_a_storm_whose_every_instance_goes_pending_first_is_no_flapping(tmp_path: Path) -> None:
    """A rule with a one-minute pending period: each gateway goes Pending, fires a minute later
    (Pending and Alerting of different gateways interleave), then clears."""
    notes = []
    for k, gw in enumerate(GATEWAYS):
        notes.append(state(-2 + 0.2 * k, gw, "Normal", "Pending"))
        notes.append(state(-1 + 0.2 * k, gw, "Pending", "Alerting"))
        notes.append(state(35 + 0.2 * k, gw, "Alerting", "Normal"))
    tl = timeline(tmp_path, [trigger()], [], [], notes)
    assert not any("flapped" in e.summary for e in tl.events), texts(tl)
    rows = [e for e in tl.events if RULE in e.summary]
    assert [(f"{e.time:%H:%M}", len(e.members)) for e in rows] == [("09:41", 16), ("10:18", 8)]
    assert rows[0].summary.endswith("(pending since 09:40); 8 instances firing by 09:42")


# -- a notifier's chat posts of the group are no alerts of their own ------------------------------
def am_post(minutes: float, status: str, firing: int = 8) -> dict[str, Any]:
    """Alertmanager's Slack receiver with its default templates (``slack.default.title``:
    ``[FIRING:<n>] <group labels> (<common labels>)``, ``[RESOLVED] ...``; ``fallback`` the title
    and ``|`` the Alertmanager link; ``title_link`` the alerts view): one post per notification
    of the group, not per alert."""
    title = f"[{status}{f':{firing}' if status == 'FIRING' else ''}] {RULE} (critical)"
    link = f"https://alertmanager.acme.example/#/alerts?receiver=slack&filter=%7Balertname%3D%22{RULE}%22%7D"
    return {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B07ALRTMGR1",
        "username": "alertmanager",
        "text": "",
        "ts": ts(minutes),
        "attachments": [
            {
                "id": 1,
                "color": "danger" if status == "FIRING" else "good",
                "title": title,
                "title_link": link,
                "fallback": f"{title} | {link}",
                "text": f"*Alert:* {RULE} - {status.lower()}\n*Instances:* {firing}\n",
                "mrkdwn_in": ["text"],
            }
        ],
    }


def test_a_notifiers_posts_of_the_group_never_stretch_count_or_head_the_storm_rows(
    tmp_path: Path,
) -> None:
    """The first notification, its repeat 3 minutes on (``repeat_interval``) and the resolved
    notification after the last clearing: the rows keep Grafana's own times and counts, the
    posts are members (uncounted) and the last clearing links the resolved post."""
    posts = [am_post(-0.5, "FIRING"), am_post(3, "FIRING"), am_post(42.5, "RESOLVED")]
    tl = timeline(tmp_path, [trigger()], posts, [], tls_storm())
    rows = rows_of(tl)
    assert rows[0][1].endswith("; 8 instances firing by 09:42"), rows
    assert rows[-1][0] == "10:24:00" and rows[-1][1].startswith(
        f"Grafana alert {RULE} (instance=gw-8) resolved"
    ), rows
    assert not any(summary.startswith("[") for _, summary in rows), "no post is a row"
    first, last = (one(tl, summary) for _, summary in (rows[0], rows[-1]))
    assert sum("[FIRING:8]" in m.summary for m in first.members) == 2
    (resolved,) = [m for m in last.members if "[RESOLVED]" in m.summary]
    assert resolved.links[0].url in [ln.url for ln in last.links], "the post joins as a link"


def test_a_notifiers_post_is_a_member_of_a_storm_row_not_one_more_alert(tmp_path: Path) -> None:
    first = [state(-5, "lb-1", "Normal", "Alerting", "EdgeDown", 300),
             state(50, "lb-1", "Alerting", "Normal", "EdgeDown", 300)]  # fmt: skip
    posts = [am_post(-0.5, "FIRING")]
    tl = timeline(
        tmp_path, [trigger()], posts, [], [*first, *tls_storm(pending=False, late=(34,) * 3)]
    )
    row = one(tl, f"alerts of {RULE} fired")
    assert row.summary == f"8 alerts of {RULE} fired across 8 instances, 09:41–09:42"
    assert len(row.members) == 9 and any("[FIRING:8]" in m.summary for m in row.members)


def test_a_long_list_of_instances_in_the_last_clearing_is_a_count_with_first_and_last(
    tmp_path: Path,
) -> None:
    """Twelve databases (odd numbers, no run to shorten): six clear, fire again and clear with
    the other six; every instance cleared in the last wave, so the last clearing says so by
    count ("all 12 ... (6 after firing again)"), never a list the renderer would cut mid-name
    (nc16a: 16 and 9 of 25 pods by random suffix, "a to b", meant nothing)."""
    dbs = [f"db-{n}" for n in range(1, 24, 2)]
    notes = [state(-1 + 0.05 * k, db, "Normal", "Alerting") for k, db in enumerate(dbs)]
    notes += [state(20 + 0.05 * k, db, "Alerting", "Normal") for k, db in enumerate(dbs[:6])]
    notes += [state(30 + 0.05 * k, db, "Normal", "Alerting") for k, db in enumerate(dbs[:6])]
    notes += [state(50 + 0.05 * k, db, "Alerting", "Normal") for k, db in enumerate(dbs)]
    tl = timeline(tmp_path, [trigger()], [], [], notes)
    assert rows_of(tl)[-1][1].endswith(
        "; all 12 instances cleared, this one last, at 10:32 (6 after firing again)"
    ), rows_of(tl)
    # one of them not cleared in the last wave: the wave's own and the others are named
    tl = timeline(tmp_path / "less", [trigger()], [], [], notes[:-1])
    last = rows_of(tl)[-1][1]
    assert "; the last 5 of" in last and "all " not in last, last


def test_the_last_clearing_lists_others_cleared_again_but_not_its_own_instance(
    tmp_path: Path,
) -> None:
    """gw-2 and gw-3 clear with the rollback and fire again; gw-3 is the last to clear: its row
    names gw-3 once (its head) and gw-2 among those cleared again."""
    again = [state(37, gw, "Normal", "Alerting") for gw in ("gw-2", "gw-3")]
    again += [state(41.9, "gw-2", "Alerting", "Normal"), state(42, "gw-3", "Alerting", "Normal")]
    tl = timeline(tmp_path, [trigger()], [], [], [*tls_storm(late=(41, 41.5, 41.8)), *again])
    last = rows_of(tl)[-1][1]
    assert last.endswith(
        "; the last 3 of 8 instances (gw-6 … gw-8) cleared, then this one again, 10:23–10:24;"
        " gw-2 cleared again"
    ), "gw-2 and the row's own gw-3 said to clear again, gw-3 last"
    assert last.count("gw-3") == 1, last


def unlabelled(minutes: float, prev: str, new: str) -> dict[str, Any]:
    """A state annotation of a rule whose labels name no instance (only its own name)."""
    record = state(minutes, "", prev, new)
    record["text"] = f"{RULE} {{alertname={RULE}, grafana_folder=Edge}} - B=0, C=0"
    return record


def test_the_last_clearing_of_a_rule_naming_no_instance_counts_alerts(tmp_path: Path) -> None:
    """No label tells the alerts apart: the last clearing's wave counts clearings, in one wave
    ("all 6 alerts of the rule") or the last of several ("the last 3 of 6")."""
    fired = [unlabelled(-1 + 0.2 * k, "Normal", "Alerting") for k in range(6)]
    cleared = [unlabelled(30 + 0.2 * k, "Alerting", "Normal") for k in range(3)]
    cleared += [unlabelled(41 + 0.2 * k, "Alerting", "Normal") for k in range(3)]
    tl = timeline(tmp_path, [trigger()], [], [], [*fired, *cleared])
    assert rows_of(tl)[-1][1].endswith(
        "; the last 3 of 6 alerts of the rule cleared, this one last, at 10:23"
    ), rows_of(tl)
    cleared = [unlabelled(41 + 0.2 * k, "Alerting", "Normal") for k in range(6)]
    tl = timeline(tmp_path, [trigger()], [], [], [*fired, *cleared])
    assert rows_of(tl)[-1][1].endswith(
        "; all 6 alerts of the rule cleared, this one last, 10:23–10:24"
    ), rows_of(tl)
