"""A notifier's chat post of an alert group is a link of its storm's row, not an alert (#11).

Grafana's Slack contact point posts one message per alert group (grafana/alerting
``receivers/slack``: one legacy attachment, ``title`` the ``default.title`` template, ``text``
the ``default.message`` template, ``fallback`` the title, ``footer`` ``Grafana v<version>``;
``templates/default_template.go``): the title ``[FIRING:8] <group label values> (<other common
label values>)``, ``[FIRING:3, RESOLVED:5] ...`` when some of the group resolved, ``[RESOLVED]
...`` when all did; the text ``**Firing**`` then one ``__text_alert_list`` block per firing
alert (``Value:``, ``Labels:`` `` - key = value`` lines, ``Annotations:``, ``Source:``,
``Silence:``), a blank line, ``**Resolved**`` and the resolved alerts' blocks. Posted through an
incoming webhook, ``conversations.history`` returns it as ``subtype: bot_message`` with the
webhook's ``bot_id`` and ``username``. The group's labels every alert shares (here ``cluster``,
one of the instance labels) are in every block.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconstruct.collectors.slack.markup import plain
from reconstruct.config import Config
from reconstruct.model import Kind, Timeline
from reconstruct.normalize.groupposts import group_post
from reconstruct.render import RenderOptions, render
from tests.test_rows import GRAFANA, T0, ms, one, texts, timeline, trigger, ts
from tests.test_storm_times import GATEWAYS, RULE, rows_of, state, tls_storm

RULE_URL = f"{GRAFANA}/alerting/grafana/edge301/view?orgId=1"
EDGE_DOWN = [state(-5, "lb-1", "Normal", "Alerting", "EdgeDown", 300),
             state(50, "lb-1", "Alerting", "Normal", "EdgeDown", 300)]  # fmt: skip
"""Another rule's first firing and last clearing: the incident's milestones, so the TLS storm's
parts are rows of their own."""


def alert_list(instances: list[str], value: str, rule: str = RULE, cluster: bool = True) -> str:
    """Grafana's ``__text_alert_list``: one block per alert (``cluster=False``: a rule whose
    alerts carry no ``cluster`` label)."""
    out = ""
    where = " - cluster = edge-eu-1\n" if cluster else ""
    for instance in instances:
        out += (
            f"\nValue: {value}\nLabels:\n - alertname = {rule}\n{where}"
            f" - grafana_folder = Edge\n - instance = {instance}\n - severity = critical\n"
            "Annotations:\n - summary = TLS handshakes failing at the edge\n"
            f"Source: {RULE_URL}\n"
            f"Silence: {GRAFANA}/alerting/silence/new?alertmanager=grafana&matcher="
            f"alertname%3D{rule}&matcher=instance%3D{instance}\n"
        )
    return out


def grafana_post(
    minutes: float,
    firing: list[str],
    resolved: list[str] = (),  # type: ignore[assignment]
    rule: str = RULE,
    sections: bool = True,
    cluster: bool = True,
) -> dict[str, Any]:
    """Grafana's Slack notification of the group: ``firing`` and ``resolved`` instances;
    ``sections=False``: only the resolved list under ``**Resolved**`` (a template that leaves
    the still-firing alerts out)."""
    status = f"FIRING:{len(firing)}" if firing else "RESOLVED"
    if firing and resolved:
        status += f", RESOLVED:{len(resolved)}"
    title = f"[{status}] {rule} Edge (edge-eu-1 critical)"
    text = ""
    if firing and sections:
        text += "**Firing**\n" + alert_list(firing, "B=0.6, C=1", rule, cluster)
        text += "\n\n" if resolved else ""
    if resolved:
        text += "**Resolved**\n" + alert_list(resolved, "B=0, C=0", rule, cluster)
    stamp = T0.timestamp() + minutes * 60
    return {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B07GRFNHOOK",
        "username": "Grafana",
        "text": "",
        "ts": ts(minutes),
        "attachments": [
            {
                "id": 1,
                "color": "D63232" if firing else "36a64f",
                "ts": int(stamp),
                "title": title,
                "title_link": RULE_URL,
                "text": text,
                "fallback": title,
                "footer": "Grafana v11.4.0",
                "footer_icon": "https://grafana.com/static/assets/img/fav32.png",
            }
        ],
    }


def by_app(post: dict[str, Any]) -> dict[str, Any]:
    """The same notification sent with a bot token (``chat.postMessage``): no subtype, the app's
    bot user and ``bot_profile`` instead of the webhook's ``username``."""
    app = {k: v for k, v in post.items() if k not in ("subtype", "username")}
    app |= {"user": "U07GRFNBOT1", "app_id": "A07GRFNAPP1", "team": "T0ACME0001"}
    app["bot_profile"] = {"id": post["bot_id"], "name": "Grafana", "app_id": "A07GRFNAPP1",
                          "deleted": False, "team_id": "T0ACME0001"}  # fmt: skip
    return app


def posts_in(tl: Timeline) -> list[str]:
    """Rows a chat post of a group heads."""
    return [s for s in texts(tl) if s.startswith("[")]


@pytest.mark.parametrize("app", [False, True], ids=["webhook", "bot-token"])
def test_a_group_post_is_a_member_and_link_of_the_storm_row_never_counted(
    tmp_path: Path, app: bool
) -> None:
    """The post lists all eight alerts; the labels they share (cluster) are in every block, so
    its text names no one instance: "8 alerts", not 9."""
    post = by_app(grafana_post(-0.3, GATEWAYS)) if app else grafana_post(-0.3, GATEWAYS)
    notes = [*EDGE_DOWN, *tls_storm(pending=False, late=(34,) * 3)]
    tl = timeline(tmp_path, [trigger()], [post], [], notes)
    row = one(tl, f"alerts of {RULE} fired")
    assert row.summary == f"8 alerts of {RULE} fired across 8 instances, 09:41–09:42"
    assert row.reason == "alert storm (one rule): 8 rows and 1 chat post"
    assert len(row.members) == 9 and sum("[FIRING:8]" in m.summary for m in row.members) == 1
    assert f"{row.time:%H:%M:%S}" == "09:41:00", "the tool's first firing, not the post's"
    assert [ln.label for ln in row.links] == ["first: Grafana panel", "last: Grafana panel",
                                              "#inc-4711"]  # fmt: skip
    assert posts_in(tl) == []


def test_a_group_post_never_heads_the_incidents_first_firing(tmp_path: Path) -> None:
    """Posted before the tool's first record of the rule, the post is still no first firing."""
    tl = timeline(tmp_path, [trigger()], [grafana_post(-1.5, GATEWAYS)], [], tls_storm())
    rows = rows_of(tl)
    assert rows[0][1].startswith(f"Grafana alert {RULE} (instance=gw-1) firing"), rows
    assert rows[0][1].endswith("; 8 instances firing by 09:42"), rows
    assert posts_in(tl) == []


@pytest.mark.parametrize("sections", [True, False], ids=["firing-and-resolved", "resolved-only"])
def test_a_mixed_group_post_joins_the_partial_recovery_and_is_no_resolution(
    tmp_path: Path, sections: bool
) -> None:
    """``[FIRING:3, RESOLVED:5]`` half a minute after five gateways cleared: a link of the
    partial recovery's row; its "Resolved" never makes it a resolution (three still fire)."""
    post = grafana_post(34.5, GATEWAYS[5:], GATEWAYS[:5], sections=sections)
    tl = timeline(tmp_path, [trigger()], [post], [], tls_storm())
    assert posts_in(tl) == []
    assert not [e for e in tl.events if e.kind is Kind.RESOLVE], texts(tl)
    row = one(tl, "cleared on 5 of 8")
    assert row.summary == f"{RULE} cleared on 5 of 8 instances (gw-1 … gw-5), 10:15–10:16"
    assert row.reason == "alert storm (one rule): 5 rows and 1 chat post"
    assert any("[FIRING:3, RESOLVED:5]" in m.summary for m in row.members)
    permalink = "p" + ts(34.5).replace(".", "")
    assert row.links[-1].label == "#inc-4711" and row.links[-1].url.endswith(permalink)


def test_the_resolved_post_of_the_group_is_a_link_of_the_last_clearing(tmp_path: Path) -> None:
    posts = [grafana_post(-0.3, GATEWAYS), grafana_post(42.3, [], GATEWAYS[5:])]
    tl = timeline(tmp_path, [trigger()], posts, [], tls_storm())
    last = rows_of(tl)[-1]
    assert last[0] == "10:24:00" and last[1].startswith(f"Grafana alert {RULE} (instance=gw-8)")
    row = one(tl, last[1])
    assert any(m.summary.startswith("[RESOLVED]") for m in row.members)
    assert row.links[-1].label == "#inc-4711"
    assert posts_in(tl) == []


def test_a_post_listing_several_instances_joins_no_one_instances_record(tmp_path: Path) -> None:
    """``[RESOLVED]`` listing gw-6, gw-7 and gw-8 (no label every alert shares names an
    instance) names each of them, and is none of them: it is a link of the wave's row, not
    merged into gw-8's clearing."""
    post = grafana_post(42.3, [], GATEWAYS[5:], cluster=False)
    tl = timeline(tmp_path, [trigger()], [post], [], [*EDGE_DOWN, *tls_storm()])
    row = one(tl, "cleared on the last 3 of 8")
    assert row.reason == "alert storm (one rule): 3 rows and 1 chat post"
    assert row.links[-1].label == "#inc-4711"
    assert [len(m.sources) for m in row.members] == [1, 1, 1, 1], "no record merged with it"
    assert posts_in(tl) == []


def recoveries() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Eight gateways fire; three clear at 10:02, three at 10:12, the last two at 10:22, each
    time followed by the group's notification (two of them of both states)."""
    notes = [state(-1 + 0.2 * k, gw, "Normal", "Alerting") for k, gw in enumerate(GATEWAYS)]
    for start, cleared in ((20, GATEWAYS[:3]), (30, GATEWAYS[3:6]), (40, GATEWAYS[6:])):
        notes += [state(start + 0.1 * k, gw, "Alerting", "Normal") for k, gw in enumerate(cleared)]
    posts = [
        grafana_post(-0.3, GATEWAYS),
        grafana_post(20.5, GATEWAYS[3:], GATEWAYS[:3]),
        grafana_post(30.5, GATEWAYS[6:], GATEWAYS[3:6]),
        grafana_post(40.5, [], GATEWAYS[6:]),
    ]
    return posts, [*EDGE_DOWN, *notes]


def test_a_storms_mixed_posts_between_its_recoveries_are_no_flapping(tmp_path: Path) -> None:
    """The posts' states (firing, firing and resolved, resolved) between the tool's clearings
    are no state changes of the rule: it never reads as flapping."""
    posts, notes = recoveries()
    tl = timeline(tmp_path, [trigger()], posts, [], notes)
    assert not [t for t in texts(tl) if "flapped" in t], texts(tl)
    assert rows_of(tl)[:3] == [
        ("09:41:00", f"8 alerts of {RULE} fired across 8 instances, 09:41–09:42"),
        ("10:02:00", f"{RULE} cleared on 3 of 8 instances (gw-1 … gw-3), at 10:02"),
        ("10:12:00", f"{RULE} cleared on 3 of 8 instances (gw-4 … gw-6), at 10:12"),
    ]


def test_a_post_beside_a_wave_of_two_is_a_link_of_its_row(tmp_path: Path) -> None:
    """The last two gateways' clearings are one row (too few for a series, one each of two
    instances: ``_small_wave``): their post is a link and a member of it, uncounted, never a
    third row, and the row's words stay the tool's."""
    posts, notes = recoveries()
    tl = timeline(tmp_path, [trigger()], posts, [], notes)
    assert posts_in(tl) == []
    row = one(tl, "(gw-7, gw-8)")
    assert row.summary == f"{RULE} cleared on the last 2 of 8 instances (gw-7, gw-8), at 10:22"
    assert row.reason == "alert storm (one rule): 2 rows and 1 chat post", row.reason
    assert [ln.label for ln in row.links] == [
        "first: Grafana panel",
        "last: Grafana panel",
        "#inc-4711",
    ]
    assert len(row.members) == 3, "both clearings and the post"
    assert not [t for t in texts(tl) if "(instance=gw-7) resolved" in t], texts(tl)


def test_a_post_beside_a_single_clearing_links_that_records_row(tmp_path: Path) -> None:
    """A wave of one clearing stays its row: the post beside it is a link of that row, its
    words unchanged."""
    posts, notes = recoveries()
    for note in notes:  # gw-7 clears with the wave before: gw-8 clears alone
        if "instance=gw-7," in note["text"] and note["newState"] == "Normal":
            note["time"] = note["timeEnd"] = ms(30.4)
    tl = timeline(tmp_path, [trigger()], posts, [], notes)
    assert posts_in(tl) == []
    row = one(tl, f"Grafana alert {RULE} (instance=gw-8) resolved")
    assert row.summary == f"Grafana alert {RULE} (instance=gw-8) resolved"
    assert row.reason.endswith("; alert storm (one rule): 1 chat post joined"), row.reason
    assert [ln.label for ln in row.links] == ["Grafana panel", "#inc-4711"]


def test_two_rules_group_posts_never_join_each_others_storm(tmp_path: Path) -> None:
    """Another rule's group post in the same minute, of the same gateways: a row of its own
    (no record of that rule to join), and the TLS storm's count stays its own."""
    other = grafana_post(-0.2, GATEWAYS[:3], rule="EdgeOriginLatency")
    posts = [grafana_post(-0.3, GATEWAYS), other]
    notes = [*EDGE_DOWN, *tls_storm(pending=False, late=(34,) * 3)]
    tl = timeline(tmp_path, [trigger()], posts, [], notes)
    assert one(tl, f"alerts of {RULE} fired").summary.startswith(f"8 alerts of {RULE} fired")
    (row,) = posts_in(tl)
    assert row.startswith("[FIRING:3] EdgeOriginLatency Edge (edge-eu-1 critical) — Firing")


def test_a_post_counts_the_instances_no_record_of_the_tool_has(tmp_path: Path) -> None:
    """The dashboard recorded six gateways firing, the notification lists eight: the row
    counts the tool's six records and the two only the post names, once (its repeat three
    minutes on lists them again); a post naming only recorded instances adds nothing."""
    notes = [
        *EDGE_DOWN,
        *(state(-1 + 0.2 * k, gw, "Normal", "Alerting") for k, gw in enumerate(GATEWAYS[:6])),
        *(state(33 + 0.25 * k, gw, "Alerting", "Normal") for k, gw in enumerate(GATEWAYS[:6])),
    ]
    posts = [grafana_post(-0.3, GATEWAYS), grafana_post(2.7, GATEWAYS)]
    tl = timeline(tmp_path, [trigger()], posts, [], notes)
    row = one(tl, f"alerts of {RULE} fired")
    assert row.summary == f"8 alerts of {RULE} fired across 8 instances, 09:41–09:42"
    assert row.reason == "alert storm (one rule): 6 rows and 2 chat posts"
    assert one(tl, "cleared on").summary == (
        f"{RULE} cleared on 6 of 8 instances (gw-1 … gw-6), 10:15–10:16"
    )
    tl = timeline(tmp_path / "b", [trigger()], [grafana_post(-0.3, GATEWAYS[:6])], [], notes)
    assert one(tl, f"alerts of {RULE} fired").summary.startswith(f"6 alerts of {RULE} fired")


def test_a_group_posts_markdown_bold_is_no_literal_asterisks_in_any_format(
    tmp_path: Path,
) -> None:
    """A group post that stays a row (no record of its rule): Grafana's ``**Firing**`` reads
    as the word, in every format."""
    tl = timeline(tmp_path, [trigger()], [grafana_post(-0.3, GATEWAYS[:2], rule="EdgeDNS")])
    (row,) = posts_in(tl)
    assert row.startswith("[FIRING:2] EdgeDNS Edge (edge-eu-1 critical) — Firing Value: B=0.6")
    for fmt in ("markdown", "html", "json", "csv"):
        out = render(tl, RenderOptions(fmt=fmt), Config())  # type: ignore[arg-type]
        assert "**Firing" not in out and "Firing**" not in out, fmt
        assert "Firing Value" in out, fmt


# -- reading a group post -------------------------------------------------------------------------
def test_group_post_reads_grafanas_and_alertmanagers_titles_and_alert_lists() -> None:
    one_line = " ".join(grafana_post(0, GATEWAYS[5:], GATEWAYS[:5])["attachments"][0]["text"]
                        .split())  # fmt: skip
    post = group_post(f"[FIRING:3, RESOLVED:5] {RULE} Edge (edge-eu-1 critical) — {one_line}")
    assert post is not None
    assert (post.firing, post.resolved, post.states) == (3, 5, ("resolved", "firing"))
    assert [a["instance"] for a in post.alerts["firing"]] == GATEWAYS[5:]
    assert [a["instance"] for a in post.alerts["resolved"]] == GATEWAYS[:5]
    assert post.several
    read = group_post(f"[RESOLVED] {RULE} — {plain('**Resolved**')} Labels: - instance = gw-1")
    assert read is not None and read.states == ("resolved",) and read.resolved is None
    assert not read.several, "one alert"
    am = group_post("[FIRING:44] KafkaLag (critical)")  # Alertmanager's slack.default.title
    assert am is not None and am.states == ("firing",) and am.several and am.alerts == {}
    assert group_post("we are [FIRING:2] on all cylinders") is None


def test_markdown_strong_in_slack_text_is_read_words_and_urls_kept() -> None:
    assert plain("**Firing**\n\nValue: B=1") == "Firing\n\nValue: B=1"
    assert plain("a **b c** and *d*") == "a b c and d"
    assert plain("2**10**3 and https://x.example/**a**") == "2**10**3 and https://x.example/**a**"


def test_alertmanagers_firing_post_resent_as_others_clear_joins_that_clearing(
    tmp_path: Path,
) -> None:
    """Alertmanager's default Slack title has no resolved count (``slack.default.title``:
    ``[FIRING:3] X``): the group's post re-sent when five of eight cleared (``group_interval``)
    lists the three still firing. It reports no firing of its own: a member and link of the
    partial recovery's row, never a row of labels and values."""
    post = grafana_post(34.5, GATEWAYS[5:])
    tl = timeline(tmp_path, [trigger()], [post], [], tls_storm())
    assert posts_in(tl) == [], texts(tl)
    row = one(tl, "cleared on 5 of 8")
    assert any(m.summary.startswith("[FIRING:3]") for m in row.members)
    assert row.links[-1].url.endswith("p" + ts(34.5).replace(".", ""))
    # far from every wave of its rule (20 minutes after the partial recovery), it stays a row
    tl = timeline(tmp_path / "far", [trigger()], [grafana_post(20, GATEWAYS[5:])], [],
                  tls_storm())  # fmt: skip
    assert len(posts_in(tl)) == 1
