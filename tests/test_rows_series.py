"""Series and steps the tools' chattiness makes (#11): a bot's repeated posts, a second push
device, failed notifications, repeats of a state in a flap, two actions of one person.

Inputs are written in each tool's wire format (``tests.test_rows`` builds the bundle): Slack
``conversations.history`` bot messages (``subtype: bot_message``, ``bot_id``, ``username``),
PagerDuty ``notify_log_entry`` with ``channel.notification`` = ``{type, status, address}``
(``status``: ``success``, ``failed``, ``no_answer``), Grafana alert annotations
(``newState``/``prevState``, where a re-evaluation can write ``Alerting`` after ``Alerting``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconstruct.normalize.collapse import shape
from reconstruct.normalize.steps import identifiers
from tests.test_rows import (
    LEE,
    alert_state,
    annotation,
    entry,
    escalate,
    notify,
    one,
    said,
    texts,
    timeline,
    trigger,
    ts,
    user,
)


def bot_post(
    minutes: float, text: str, name: str = "kube-events", bot: str = "B0KUBE01"
) -> dict[str, Any]:
    """A bot's post as ``conversations.history`` returns it (an incoming webhook / app)."""
    return {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": bot,
        "username": name,
        "text": text,
        "ts": ts(minutes),
    }


def page(
    minutes: float, name: str, method: str, status: str = "success", address: str = ""
) -> dict[str, Any]:
    entry = notify(minutes, name, method)
    entry["channel"]["notification"].update({"status": status, "address": address or method})
    return entry


# -- a bot's repeated posts -------------------------------------------------------------------
def test_a_bots_posts_of_one_shape_are_one_row(tmp_path: Path) -> None:
    posts = [
        bot_post(
            1 + i, f"Pod payments-api-6d9f-{i:02d} restarted (OOMKilled), restart count {i % 3 + 1}"
        )
        for i in range(12)
    ]
    reminders = [
        bot_post(2.5 + 5 * i, f":hourglass: {10 + 5 * i} minutes since the last status page update",
                 "incident-bot", "B0INCBOT")
        for i in range(6)
    ]  # fmt: skip
    tl = timeline(tmp_path, [trigger()], posts + reminders)
    kube = one(tl, "restarted")
    assert kube.actor == "kube-events" and len(kube.members) == 12
    assert kube.summary == (
        "12 posts like “Pod payments-api-6d9f-00 restarted (OOMKilled), restart count 1”,"
        " 09:43–09:54"
    )
    assert [ln.label.split(":")[0] for ln in kube.links] == ["first", "last"]
    bot = one(tl, "status page update")
    assert bot.actor == "incident-bot" and len(bot.members) == 6


def test_identical_bot_posts_say_the_text_once(tmp_path: Path) -> None:
    posts = [bot_post(1 + i, "Reminder: update the status page") for i in range(4)]
    tl = timeline(tmp_path, [trigger()], posts)
    assert (
        one(tl, "Reminder").summary
        == "“Reminder: update the status page” posted 4 times, 09:43–09:46"
    )


def test_two_bots_two_shapes_and_a_few_posts_stay_apart(tmp_path: Path) -> None:
    posts = [
        *(bot_post(1 + i, f"Pod api-{i} restarted") for i in range(3)),
        *(bot_post(1.5 + i, f"Pod api-{i} restarted", "other-bot", "B0OTHER1") for i in range(2)),
        *(bot_post(10 + i, f"Node db-{i} drained") for i in range(2)),
    ]
    tl = timeline(tmp_path, [trigger()], posts)
    assert len(one(tl, "posts like “Pod api-0").members) == 3
    assert len([e for e in tl.events if e.actor == "other-bot"]) == 2, "fewer than min_series"
    assert len([e for e in tl.events if "drained" in e.summary]) == 2, "another shape"


def test_a_bot_post_with_a_milestone_kind_stays_its_own_row(tmp_path: Path) -> None:
    posts = [bot_post(1 + i, f"Pod api-{i} restarted") for i in range(4)]
    posts.append(bot_post(6, "Pod api-9 restarted; rolled back payments-api to v2.14.3"))
    tl = timeline(tmp_path, [trigger()], posts)
    rolled = [e for e in tl.events if "rolled back" in e.summary]
    assert len(rolled) == 1 and not rolled[0].members and rolled[0].kind != "message"


def test_a_pinned_bot_post_stays_its_own_row(tmp_path: Path) -> None:
    posts = [bot_post(1 + i, f"Pod api-{i} restarted") for i in range(4)]
    posts[2]["pinned_to"] = ["C0INC4711A"]  # conversations.history: the channels it is pinned in
    tl = timeline(tmp_path, [trigger()], posts)
    assert len(one(tl, "posts like").members) == 3
    assert "Pod api-2 restarted" in texts(tl)


def test_a_person_repeating_themself_is_no_bot_series(tmp_path: Path) -> None:
    messages = [said("U02LEE", 1 + i, f"restarting pod api-{i} (OOMKilled)") for i in range(4)]
    tl = timeline(tmp_path, [trigger()], messages, [LEE])
    assert not any(e.members for e in tl.events)


def test_shape_masks_numbers_ids_urls_and_mentions_only() -> None:
    assert shape("Pod payments-api-6d9f-00 restarted, count 3") == "Pod # restarted, count #"
    assert shape("<https://x.example/a|run 5> by <@U0ALICE01> on 10.0.3.7:8080") == "# by # on #"
    assert shape("Pod web restarted") != shape("Pod api restarted"), "a word is no id"


# -- pages: a second device, failed notifications ----------------------------------------------
def test_a_second_push_device_at_the_same_second_is_the_same_page(tmp_path: Path) -> None:
    first = [
        page(0.2, "Priya Raman", "push_notification", address="Pixel 9"),
        page(0.2, "Priya Raman", "push_notification", address="iPad"),
        page(0.4, "Priya Raman", "sms_notification"),
        page(0.7, "Priya Raman", "phone_notification"),
        page(0.9, "Priya Raman", "email_notification"),
    ]
    repeats = [page(1.5 + i * 0.5, "Priya Raman", "email_notification") for i in range(6)]
    tl = timeline(tmp_path, [trigger(), *first, *repeats])
    # one round (two push devices at one second), then six more: one row, nothing between
    assert [t for t in texts(tl) if "Priya" in t] == [
        "Priya Raman paged 7 times, 09:42–09:46"
        " (11 notifications: 7 email, 2 push, 1 phone, 1 SMS)",
    ]


def test_a_repeat_by_a_used_method_a_while_later_is_the_next_page(tmp_path: Path) -> None:
    """The next page, not the same step: said with its own time (to the second, as both fall in
    one minute) in the row of the person's pages before anyone answered."""
    tl = timeline(tmp_path, [trigger(), page(0.2, "Priya Raman", "push_notification"),
                             page(0.7, "Priya Raman", "push_notification")])  # fmt: skip
    row = one(tl, "Priya")
    assert row.summary == "Paged Priya Raman by push at 09:42:12 and 09:42:42"
    assert len(row.members) == 2


def test_failed_notifications_are_worded_as_failed(tmp_path: Path) -> None:
    entries = [
        trigger(),
        page(0.2, "Priya Raman", "push_notification"),
        page(0.4, "Priya Raman", "sms_notification", "failed"),
        page(0.7, "Priya Raman", "phone_notification", "no_answer"),
        page(5, "Kim Nguyen", "phone_notification", "failed"),
    ]
    tl = timeline(tmp_path, entries)
    row = one(tl, "Priya")
    assert row.summary == (
        "Paged Priya Raman by push; SMS page failed, phone page failed (no answer)"
    )
    assert "via:phone" not in row.tags and "failed:phone" in row.tags
    assert one(tl, "Kim").summary == "Page to Kim Nguyen by phone failed"


def test_a_failed_page_after_an_escalation_is_said(tmp_path: Path) -> None:
    entries = [
        trigger(),
        escalate(5, "Priya Raman", "Kim Nguyen"),
        page(5.2, "Kim Nguyen", "push_notification"),
        page(5.4, "Kim Nguyen", "phone_notification", "failed"),
    ]
    row = one(timeline(tmp_path, entries), "Escalated")
    assert row.summary == "Escalated to Kim Nguyen by Priya Raman; paged by push; phone page failed"


# -- a flap's repeats of a state ----------------------------------------------------------------
OTHER = [
    alert_state(1, "Other", "Normal", "Alerting"),
    alert_state(90, "Other", "Alerting", "Normal"),
]
"""Another rule's first firing and last clearing: the incident's milestones, so none of the
flapping rule's rows is."""


def test_a_repeated_state_is_no_state_change(tmp_path: Path) -> None:
    states = [("Normal", "Alerting"), ("Alerting", "Alerting"), ("Alerting", "Normal"),
              ("Normal", "Normal"), ("Normal", "Alerting"), ("Alerting", "Normal"),
              ("Normal", "Alerting"), ("Alerting", "Normal")]  # fmt: skip
    flaps = [alert_state(20 + 4 * i, "SettlementBacklog", p, n) for i, (p, n) in enumerate(states)]
    tl = timeline(tmp_path, [trigger()], [], [], [*OTHER, *flaps])
    row = one(tl, "flapped")
    assert len(row.members) == 8
    assert row.summary.startswith("SettlementBacklog flapped 6 times 10:02–10:30")
    assert row.summary.endswith("(3 firings, 3 clearings; 2 repeats of a state not counted)")


def test_a_flap_without_repeats_says_none(tmp_path: Path) -> None:
    flaps = [
        alert_state(20 + 4 * i, "SettlementBacklog", *(("Normal", "Alerting") if i % 2 == 0
                                                       else ("Alerting", "Normal")))
        for i in range(6)
    ]  # fmt: skip
    row = one(timeline(tmp_path, [trigger()], [], [], [*OTHER, *flaps]), "flapped")
    assert "flapped 6 times" in row.summary and "repeat" not in row.summary


# -- one person, two actions -------------------------------------------------------------------
def _carol(tmp_path: Path, message: str, note: str) -> list[str]:
    notes = [annotation(20.8, note, "lee", "lee@acme.example")]
    tl = timeline(tmp_path, [trigger()], [said("U02LEE", 20, message)], [LEE], notes)
    return [t for t in texts(tl) if "olling back" in t]


def test_two_services_rolled_back_are_two_rows(tmp_path: Path) -> None:
    rows = _carol(
        tmp_path, "rolling back payments-api to v2.14.3", "Rolling back ledger-api to v2.14.3"
    )
    assert len(rows) == 2


def test_two_versions_are_two_rows(tmp_path: Path) -> None:
    rows = _carol(
        tmp_path, "rolling back payments-api to v2.14.3", "Rolling back payments-api to v2.14.2"
    )
    assert len(rows) == 2


def test_the_same_action_in_other_case_and_punctuation_is_one_row(tmp_path: Path) -> None:
    rows = _carol(
        tmp_path,
        "rolling back payments-api to v2.14.3 now",
        "Rolling back payments-api to v2.14.3.",
    )
    assert len(rows) == 1


def test_identifiers_are_tokens_with_digits_or_inner_marks() -> None:
    assert identifiers("Rolling back Payments-API to v2.14.3, (rollback) now.") == {
        "payments-api",
        "v2.14.3",
    }
    assert identifiers("scaling -> done; see https://x.example/a") == {"https://x.example/a"}


def test_failed_repeats_are_counted_apart_in_a_series(tmp_path: Path) -> None:
    repeats = [
        page(
            1 + i * 0.5, "Priya Raman", "email_notification", "failed" if i % 4 == 3 else "success"
        )
        for i in range(8)
    ]
    tl = timeline(tmp_path, [trigger(), *repeats])
    row = one(tl, "times")
    assert row.summary == (
        "Priya Raman paged 8 times, 09:43–09:46 (8 notifications: 6 email; 2 by email failed)"
    )
    assert len(row.members) == 8


def test_only_failed_repeats_say_so(tmp_path: Path) -> None:
    repeats = [page(1 + i * 2, "Priya Raman", "phone_notification", "failed") for i in range(5)]
    tl = timeline(tmp_path, [trigger(), *repeats])
    assert one(tl, "failed,").summary == "5 phone pages to Priya Raman failed, 09:43–09:51"


def test_unanswered_phone_pages_inside_a_series_are_said_with_why(tmp_path: Path) -> None:
    rounds = [
        page(1 + i, "Alex Chen", method, "no_answer" if method.startswith("phone") else "success")
        for i in range(8)
        for method in ("sms_notification", "email_notification")
        + (("phone_notification",) if i in (2, 5) else ())
    ]
    tl = timeline(tmp_path, [trigger(), *rounds])
    row = one(tl, "times")
    assert row.summary == (
        "Alex Chen paged 8 times, 09:43–09:50"
        " (18 notifications: 8 email, 8 SMS; 2 by phone failed, no answer)"
    )


def test_every_failure_wording_says_no_answer(tmp_path: Path) -> None:
    entries = [
        trigger(),
        page(0.2, "Priya Raman", "push_notification"),
        page(0.4, "Priya Raman", "phone_notification", "no_answer"),
        page(5, "Kim Nguyen", "phone_notification", "no_answer"),
        page(5.2, "Kim Nguyen", "sms_notification", "no_answer"),
        escalate(9, "Priya Raman", "Sam Lee"),
        page(9.2, "Sam Lee", "push_notification"),
        page(9.4, "Sam Lee", "phone_notification", "busy"),
    ]
    tl = timeline(tmp_path, entries)
    assert one(tl, "Paged Priya").summary == (
        "Paged Priya Raman by push; phone page failed (no answer)"
    )
    assert one(tl, "Kim").summary == "Page to Kim Nguyen by phone and SMS failed (no answer)"
    assert one(tl, "Escalated").summary == (
        "Escalated to Sam Lee by Priya Raman; paged by push; phone page failed (line busy)"
    )


def test_only_unanswered_repeats_say_why(tmp_path: Path) -> None:
    repeats = [page(1 + i * 2, "Priya Raman", "phone_notification", "no_answer") for i in range(5)]
    tl = timeline(tmp_path, [trigger(), *repeats])
    assert one(tl, "pages to").summary == (
        "5 phone pages to Priya Raman failed (no answer), 09:43–09:51"
    )


# -- an escalation no person did ----------------------------------------------------------------
POLICY = {"id": "PESCPOL", "type": "escalation_policy_reference", "summary": "Checkout"}


@pytest.mark.parametrize(
    ("channel", "own", "said"),
    [
        ("timeout", "Escalated to level 2 due to timeout.", ", level 2, due to timeout"),
        ("auto", "Escalated to level 3.", ", level 3, automatically"),
        ("timeout", "Escalated.", ", due to timeout"),
    ],
)
def test_an_automatic_escalation_says_its_level_and_why(
    tmp_path: Path, channel: str, own: str, said: str
) -> None:
    auto = entry(
        "escalate",
        5,
        summary=own,
        agent=POLICY,
        assignees=[user("Kim Nguyen")],
        channel={"type": channel},
    )
    tl = timeline(tmp_path, [trigger(), auto])
    assert one(tl, "Escalated").summary == f"Escalated to Kim Nguyen{said}"


def test_a_persons_escalation_says_who_not_the_level(tmp_path: Path) -> None:
    tl = timeline(tmp_path, [trigger(), escalate(5, "Priya Raman", "Kim Nguyen")])
    assert one(tl, "Escalated").summary == "Escalated to Kim Nguyen by Priya Raman"
