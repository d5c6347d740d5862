"""A rule flaps when one of its instances does (#11): state changes are counted per instance.

Inputs are Grafana ``GET /api/annotations`` alert state items as unified alerting writes them
(``historian.buildAnnotationTextAndData``: ``text`` = ``"<rule title> {<labels.String()>} -
<refID>=<%f value>, ..."``, ``newState``/``prevState`` as ``state.Formatted()``), and the posts
Alertmanager's Slack notifier makes of a group (``[FIRING:6] <rule>`` naming no instance).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconstruct.model import Event
from tests.test_rows import alert_state, ms, one, texts, timeline, trigger, ts

RULE = "CoreDNSForwardLatency"
PODS = [f"coredns-7d9f6c8b5-{n}" for n in range(6)]
UP, DOWN = ("Normal", "Alerting"), ("Alerting", "Normal")


def state(minutes: float, pod: str, prev: str, new: str, rule: str = RULE) -> dict[str, Any]:
    record = alert_state(minutes, rule, prev, new)
    value = "B=2.400000, C=1.000000" if new == "Alerting" else "B=0.200000, C=0.000000"
    labels = f"alertname={rule}, grafana_folder=DNS, namespace=kube-system, pod={pod}"
    record["text"] = f"{rule} {{{labels}}} - {value}"
    return record


def one_pod_flapping() -> list[dict[str, Any]]:
    """Every pod fires at minute 1 and clears at minute 40; pod 0 also clears and fires again
    every 2 minutes in between: 2 + 8 = 10 changes of its own, 2 for each other pod."""
    records = [state(1 + 0.1 * n, pod, *UP) for n, pod in enumerate(PODS)]
    for k in range(4):
        records.append(state(3 + 4 * k, PODS[0], *DOWN))
        records.append(state(5 + 4 * k, PODS[0], *UP))
    records += [state(40 + 0.1 * n, pod, *DOWN) for n, pod in enumerate(PODS)]
    return records


APART = "; resolved on all by 10:22; 09:43 firing shown separately"
"""The incident's first firing, a row of its own; its last clearing, the rule's last record
with every pod cleared: the rule's resolution, said in the row."""


def flapped(tl: Any) -> Event:
    return one(tl, "flapped")


def test_one_pod_flapping_is_said_per_pod_with_every_pods_changes(tmp_path: Path) -> None:
    tl = timeline(tmp_path, [trigger(0)], [], [], one_pod_flapping())
    row = flapped(tl)
    assert row.summary == (
        f"{RULE} flapped on 1 of 6 pods (coredns-7d9f6c8b5-0), 20 state changes 09:43–10:22 "
        "(10 firings, 10 clearings)" + APART
    ), "10 changes of pod 0, 2 of each other pod; another pod's firing is no repeat"
    assert "repeat" not in row.summary


def test_six_pods_each_changing_once_do_not_flap(tmp_path: Path) -> None:
    """Fire, clear interleaved across pods: the rule's states alternate 11 times in 6 minutes,
    but each pod changed once (fired, then cleared): no instance flaps."""
    records = []
    for n, pod in enumerate(PODS):
        records.append(state(1 + n, pod, *UP))
        records.append(state(1.5 + n, pod, *DOWN))
    tl = timeline(tmp_path, [trigger(0)], [], [], records)
    assert not [t for t in texts(tl) if "flapped" in t], texts(tl)


def test_of_two_rules_only_the_flapping_one_is_said_to_flap(tmp_path: Path) -> None:
    steady = [state(2 + 0.1 * n, f"web-{n}", *UP, rule="CheckoutErrors") for n in range(4)]
    tl = timeline(tmp_path, [trigger(0)], [], [], [*one_pod_flapping(), *steady])
    assert flapped(tl).summary.startswith(f"{RULE} flapped on 1 of 6 pods")
    assert not [t for t in texts(tl) if "CheckoutErrors flapped" in t], texts(tl)
    assert [t for t in texts(tl) if "CheckoutErrors" in t], "the steady rule keeps its rows"


def test_the_incidents_first_firing_inside_a_flap_stays_a_row(tmp_path: Path) -> None:
    """Pod 0's first firing is the incident's first: a row of its own, named in the flap's
    row; its change is still counted."""
    records = one_pod_flapping()
    records[0] = state(0.5, PODS[0], *UP)  # the first firing of all
    tl = timeline(tmp_path, [trigger(3)], [], [], records)
    first = one(tl, f"Grafana alert {RULE} (pod=coredns-7d9f6c8b5-0) firing")
    assert first.time.strftime("%H:%M") == "09:42"
    row = flapped(tl)
    assert "20 state changes 09:42–10:22" in row.summary, row.summary
    assert row.summary.endswith(
        " (10 firings, 10 clearings); resolved on all by 10:22; 09:42 firing shown separately"
    )
    assert first.key not in {m.key for m in row.members}


def test_a_repeat_is_the_same_instance_in_the_same_state_again(tmp_path: Path) -> None:
    """A re-evaluation that keeps pod 0 firing (Grafana's ``Alerting -> Alerting``) is a
    repeat; pod 1 firing after pod 0 is a change of pod 1."""
    records = [*one_pod_flapping(), state(6, PODS[0], "Alerting", "Alerting")]
    tl = timeline(tmp_path, [trigger(0)], [], [], records)
    row = flapped(tl)
    assert "20 state changes" in row.summary
    assert row.summary.endswith(
        " (10 firings, 10 clearings; 1 repeat of a state not counted)" + APART
    ), row.summary
    assert len(row.members) == 21 - 1, "every record but the first firing"


def test_pods_left_in_different_states_are_said_apart(tmp_path: Path) -> None:
    """Pod 0 never clears: its last state is not the others'."""
    last = [r for r in one_pod_flapping() if r["time"] >= ms(40) and PODS[0] in r["text"]]
    records = [r for r in one_pod_flapping() if r["time"] not in {x["time"] for x in last}]
    tl = timeline(tmp_path, [trigger(0)], [], [], records)
    assert flapped(tl).summary.endswith(
        "; last state Normal on 5 pods, Alerting on coredns-7d9f6c8b5-0"
        + " (10 firings, 9 clearings)"
        + "; 09:43 firing and 10:22 clearing shown separately"
    ), "pod 0 still firing: no resolution, the last clearing a row of its own"


def test_every_pod_flapping(tmp_path: Path) -> None:
    records = []
    for n, pod in enumerate(PODS[:3]):
        for k in range(6):
            records.append(state(1 + 2 * k + 0.1 * n, pod, *(UP if k % 2 == 0 else DOWN)))
    tl = timeline(tmp_path, [trigger(0)], [], [], records)
    assert flapped(tl).summary == (
        f"{RULE} flapped on all 3 pods, 18 state changes 09:43–09:53"
        " (9 firings, 9 clearings); resolved on all by 09:53; 09:43 firing shown separately"
    )


def test_a_rule_naming_no_instance_is_one_instance(tmp_path: Path) -> None:
    """No labels: the rule's records are one instance's, in today's words."""
    records = [alert_state(1 + k, "QueueDepth", *(UP if k % 2 == 0 else DOWN)) for k in range(8)]
    tl = timeline(tmp_path, [trigger(0)], [], [], records)
    assert flapped(tl).summary == (
        "QueueDepth flapped 8 times 09:43–09:50 (4 firings, 4 clearings); resolved 09:50;"
        " 09:43 firing shown separately"
    )


def test_one_instance_keeps_the_rules_words(tmp_path: Path) -> None:
    records = [state(1 + k, PODS[2], *(UP if k % 2 == 0 else DOWN)) for k in range(6)]
    tl = timeline(tmp_path, [trigger(0)], [], [], records)
    assert flapped(tl).summary == (
        f"{RULE} flapped 6 times 09:43–09:48 (3 firings, 3 clearings); resolved 09:48;"
        " 09:43 firing shown separately"
    )


def am_post(minutes: float, status: str, count: int) -> dict[str, Any]:
    """Alertmanager's Slack notifier (default ``slack.default.title``: ``[FIRING:6] <group
    labels>``), a post of the group naming no instance."""
    title = f"[{status}{f':{count}' if status == 'FIRING' else ''}] {RULE} (kube-system)"
    return {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B0ALERTMGR",
        "username": "alertmanager",
        "text": "",
        "ts": ts(minutes),
        "attachments": [{"id": 1, "title": title, "text": "", "fallback": title}],
    }


def test_a_notifiers_posts_of_the_group_are_no_instance_and_no_repeat(tmp_path: Path) -> None:
    posts = [am_post(1.2, "FIRING", 6), am_post(3.1, "RESOLVED", 1), am_post(5.1, "FIRING", 6)]
    posts += [am_post(7.1, "RESOLVED", 1), am_post(9.1, "FIRING", 6)]
    posts += [am_post(11.1, "RESOLVED", 1), am_post(40.7, "RESOLVED", 6)]
    tl = timeline(tmp_path, [trigger(0)], posts, [], one_pod_flapping())
    row = flapped(tl)
    assert row.summary == (
        f"{RULE} flapped on 1 of 6 pods (coredns-7d9f6c8b5-0), 20 state changes 09:43–10:22 "
        "(10 firings, 10 clearings)" + APART
    ), "the posts are members, neither an instance of their own nor repeats"
    assert len(row.members) == 20 - 1 + len(posts), [t for t in texts(tl) if "kube-system" in t]


def test_two_pods_flapping_are_both(tmp_path: Path) -> None:
    records = []
    for n, pod in enumerate(PODS[:2]):
        for k in range(6):
            records.append(state(1 + 2 * k + 0.1 * n, pod, *(UP if k % 2 == 0 else DOWN)))
    tl = timeline(tmp_path, [trigger(0)], [], [], records)
    assert flapped(tl).summary.startswith(f"{RULE} flapped on both pods, 12 state changes ")


def _flapping_then(later: float) -> list[dict[str, Any]]:
    """One pod fires and clears 4 times from minute 25 to 39 (8 changes), then fires again at
    ``later`` and clears 10 minutes after that (the incident resolves at minute 60)."""
    records = []
    for k in range(4):
        records.append(state(25 + 4 * k, PODS[0], *UP))
        records.append(state(27 + 4 * k, PODS[0], *DOWN))
    records += [state(later, PODS[0], *UP), state(later + 10, PODS[0], *DOWN)]
    return records


def test_a_firing_long_after_the_flapping_stopped_is_a_row_of_its_own(tmp_path: Path) -> None:
    """Quiet for longer than ``flap_window`` (1h) ends the flapping episode: the firing 65 min
    later (the old primary going down in a failover) is its own row, not inside "flapped …"."""
    tl = timeline(tmp_path, [trigger(0)], [], [], _flapping_then(later=39 + 65))
    row = flapped(tl)
    assert "10:07–10:21" in row.summary and "12:" not in row.summary, row.summary
    later = [e for e in tl.events if e.time.strftime("%H:%M") in ("11:26", "11:36")]
    assert len(later) == 2 and not any("flapped" in e.summary for e in later), texts(tl)


def test_a_pause_shorter_than_the_flap_window_stays_in_the_flapping_row(tmp_path: Path) -> None:
    tl = timeline(tmp_path, [trigger(0)], [], [], _flapping_then(later=39 + 50))
    row = flapped(tl)
    assert "10:07–11:21" in row.summary, row.summary
    assert not [e for e in tl.events if e.time.strftime("%H:%M") in ("11:11",)]


def test_a_series_rows_author_is_its_own_records_not_a_notice_it_holds(tmp_path: Path) -> None:
    """The flapping row holds Alertmanager's posts of the group (a bot's, in Slack) as members;
    who wrote the row is its own records', as a milestone's row a storm joins says it
    (``collapse._row_tags``, one helper for both): no tool's row reads as a bot's post."""
    posts = [am_post(1.2, "FIRING", 6), am_post(3.1, "RESOLVED", 1), am_post(5.1, "FIRING", 6)]
    tl = timeline(tmp_path, [trigger(0)], posts, [], one_pod_flapping())
    row = flapped(tl)
    held = [m for m in row.members if "kube-system)" in m.summary]
    assert held and all("bot" in m.tags for m in held), "the posts are members, bots' posts"
    assert "bot" not in row.tags, sorted(row.tags)
    # every other tag of its records stays: the pods it names, the series mark
    assert "series" in row.tags
    assert {f"label:pod={pod}" for pod in PODS} <= row.tags


def test_a_bots_repeated_posts_row_is_the_bots(tmp_path: Path) -> None:
    """A series of one bot's own posts (no notice of a group the tool recorded) keeps "bot"."""
    posts = [
        {"type": "message", "subtype": "bot_message", "bot_id": "B0KUBEEV1",
         "username": "kube-events", "text": f"Pod payments-api-6d9f-{n:02d} restarted (OOMKilled)",
         "ts": ts(1 + n)}
        for n in range(4)
    ]  # fmt: skip
    tl = timeline(tmp_path, [trigger(0)], posts, [], [])
    row = one(tl, "4 posts like")
    assert "bot" in row.tags and "series" in row.tags
