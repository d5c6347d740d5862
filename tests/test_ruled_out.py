"""A change the responders ruled out is no tie, says so in its row, and the Summary's lede never
names it as the change that preceded the incident; nor a lead-up change shown for its words
alone (nc16a: a PayGate outage, nothing of ours at fault, whose lede named PR #2219 and its
deploy four days earlier although the responders had cleared it, and a search-api deploy shown
because a responder named its commit while calling it unrelated).

Wire shapes, written here as the APIs write them: Slack ``conversations.history`` and
``conversations.replies`` messages (``user``, ``ts``, ``thread_ts``) with ``users.list``
members; PagerDuty ``/incidents/{id}/notes`` (``content``, ``user`` reference,
``created_at``) and log entries; GitHub search ``is:pr is:merged`` items, ``GET /pulls/{n}``
(``merge_commit_sha``), ``GET /repos/o/r/deployments`` and their statuses.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.config import Config
from reconstruct.model import Event, Kind, Timeline, Window
from reconstruct.pipeline import build_timeline
from reconstruct.render import RenderOptions, render
from tests.test_figures_wire import (
    CHANNEL,
    PD_ID,
    at,
    deployment,
    log_entry,
    merged_pr,
    pd_incident,
    search_item,
    slack_ts,
    z,
)

START = at(14, 4)
TOM, PRIYA = "U04TOMH001", "U03PRIYA01"
USERS = [
    {
        "id": uid,
        "name": handle,
        "real_name": real,
        "is_bot": False,
        "profile": {"real_name": real, "display_name": handle, "email": f"{handle}@acme.example"},
    }
    for uid, handle, real in ((TOM, "tomh", "Tom Hendricks"), (PRIYA, "priya", "Priya Kapoor"))
]
PR_SHA = "14f0eb1" + "a" * 33
SEARCH_SHA = "3e9a1f0c4d5b6a7980f1e2d3c4b5a69788f7e6d5"
MERGED = START - timedelta(days=4, hours=4)
PR_2219 = merged_pr(2219, "Lower PayGate client retry timeout from 10s to 4s", "", MERGED, PR_SHA)
NOTE = "PayGate authorize API timing out for all regions, client retry timeout never reached"


def said(when: datetime, text: str, user: str = TOM, **extra: Any) -> dict[str, Any]:
    """A Slack message as ``conversations.history`` returns it."""
    return {"type": "message", "user": user, "text": text, "ts": slack_ts(when), **extra}


def note(when: datetime, text: str) -> dict[str, Any]:
    """A PagerDuty note as ``GET /incidents/{id}/notes`` returns it."""
    return {
        "id": f"PN{int(when.timestamp())}",
        "user": {"id": "PMARC02", "type": "user_reference", "summary": "Marcus Oyelaran"},
        "channel": {"summary": "The PagerDuty website or APIs"},
        "content": text,
        "created_at": z(when),
    }


def search_deploy(when: datetime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    record, statuses = deployment(990512, SEARCH_SHA, when)
    record["url"] = "https://api.github.com/repos/acme/search-api/deployments/990512"
    record["repository_url"] = "https://api.github.com/repos/acme/search-api"
    return record, statuses


def timeline(
    tmp_path: Path,
    messages: list[dict[str, Any]],
    *,
    notes: list[dict[str, Any]] | None = None,
    replies: dict[str, list[dict[str, Any]]] | None = None,
    searching: bool = False,
) -> Timeline:
    """The PayGate incident (trigger 14:04, resolved 15:42) of service ``checkout``: PR #2219
    merged four days before and deployed 25 minutes later, a note naming PayGate (unless
    ``notes`` are given), ``messages`` in the incident channel (``replies``: thread ts -> its
    replies), and with ``searching`` a search-api deploy live at 14:31."""
    writer = BundleWriter(tmp_path / "bundle", PD_ID)
    resolved = at(15, 42)
    writer.add("pagerduty/incident.json", [{"incident": pd_incident(START, resolved)}])
    entries = [log_entry("RTRIG", "trigger", START), log_entry("RRES", "resolve", resolved)]
    writer.add(
        "pagerduty/log_entries.json",
        [{"log_entries": entries, "limit": 100, "offset": 0, "more": False}],
    )
    writer.add("pagerduty/alerts.json", [{"alerts": [], "more": False}])
    notes = notes if notes is not None else [note(at(14, 20), NOTE)]
    writer.add("pagerduty/notes.json", [{"notes": notes}])
    writer.set_source("pagerduty", "ok")
    writer.add(
        f"slack/{CHANNEL}/conversations.history.json",
        [{"ok": True, "messages": messages, "has_more": False}],
    )
    for thread_ts, thread in (replies or {}).items():
        parent = next(m for m in messages if m["ts"] == thread_ts)
        writer.add(
            f"slack/{CHANNEL}/replies/{thread_ts}.json",
            [{"ok": True, "messages": [parent, *thread], "has_more": False}],
        )
    writer.add("slack/users.list.json", [{"ok": True, "members": USERS}])
    writer.set_source(
        "slack",
        "ok",
        meta={
            "incident_channel": CHANNEL,
            "channels": {CHANNEL: "inc-4711"},
            "workspace_url": "https://acme.slack.com/",
        },
    )
    base = "github/acme/checkout/"
    writer.add(base + "repo.json", [{"full_name": "acme/checkout"}])
    shipped = deployment(880117, PR_SHA, MERGED + timedelta(minutes=25))
    writer.add(base + "deployments.json", [[shipped[0]]])
    writer.add(f"{base}statuses/880117.json", [shipped[1]])
    writer.add(base + "merged_prs.json", [{"total_count": 1, "items": [search_item(PR_2219)]}])
    writer.add(f"{base}pulls/2219.json", [PR_2219])
    if searching:
        other = "github/acme/search-api/"
        record, statuses = search_deploy(at(14, 31))
        writer.add(other + "repo.json", [{"full_name": "acme/search-api"}])
        writer.add(other + "deployments.json", [[record]])
        writer.add(f"{other}statuses/990512.json", [statuses])
        writer.add(other + "merged_prs.json", [{"total_count": 0, "items": []}])
    writer.set_source("github", "ok")
    window = Window(
        start=START - timedelta(hours=1),
        end=resolved + timedelta(minutes=30),
        leadup_start=START - timedelta(days=14),
    )
    return build_timeline(Bundle.open(writer.finish(window, at(16, 30))), Config())


def summary(tl: Timeline) -> str:
    text = render(tl, RenderOptions(), Config())
    return text.split("## Summary\n", 1)[1].split("## Impact", 1)[0]


def row(tl: Timeline, kind: Kind, needle: str) -> Event:
    return next(e for e in tl.events if e.kind is kind and needle in e.summary)


def test_a_ruled_out_pr_and_its_deploy_say_who_ruled_them_out_and_the_lede_names_neither(
    tmp_path: Path,
) -> None:
    """Tom suspects #2219, then rules it out in the thread: the latest says."""
    asked = said(at(14, 27), "did we ship anything? #2219 lowered the PayGate client retry timeout")
    reply = said(
        at(14, 28, 50),
        "rolling back #2219 won't help, the calls hang for 30s at the TCP level",
        thread_ts=asked["ts"],
        parent_user_id=TOM,
    )
    tl = timeline(tmp_path, [asked], replies={asked["ts"]: [reply]})
    change = row(tl, Kind.CHANGE, "PR #2219")
    deploy = row(tl, Kind.DEPLOY, "PR #2219")
    for shown in (change, deploy):
        assert shown.summary.endswith("(ruled out by Tom Hendricks at 14:28)")
        ruling = shown.links[-1]
        assert ruling.label == "ruled out: #inc-4711"
        assert ruling.url.endswith(f"/p{reply['ts'].replace('.', '')}?thread_ts={asked['ts']}"
                                   f"&cid={CHANNEL}")  # fmt: skip
    # still shown for its words in common with the note, no longer as named in the evidence
    assert "named in the evidence" not in change.reason
    text = summary(tl)
    assert "#2219" not in text and "preceded" not in text


def test_a_later_naming_overrides_an_earlier_ruling_out(tmp_path: Path) -> None:
    messages = [
        said(at(14, 27), "not #2219, it only touched our retry timeout"),
        said(at(14, 40), "actually it IS #2219: the 4s timeout makes every retry fail", PRIYA),
    ]
    tl = timeline(tmp_path, messages)
    change = row(tl, Kind.CHANGE, "PR #2219")
    assert "ruled out" not in change.summary
    assert "named in the evidence" in change.reason
    assert "A change, “Merged PR #2219: Lower PayGate client retry timeout" in summary(tl)


@pytest.mark.parametrize(
    "text",
    [
        "is it #2219?",
        "not sure it's #2219",
        "#2219 is not reverted yet",
        "should we roll back #2219 just in case?",
        "#2219 looks fine on staging",
        "not us-east-1 only, every region: #2219 again?",
    ],
)
def test_a_question_a_hedge_or_a_plain_fact_rules_nothing_out(tmp_path: Path, text: str) -> None:
    tl = timeline(tmp_path, [said(at(14, 27), text)])
    change = row(tl, Kind.CHANGE, "PR #2219")
    assert "ruled out" not in change.summary
    assert "named in the evidence" in change.reason
    assert "A change, “Merged PR #2219" in summary(tl)


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("not #2219", "14:27"),
        ("#2219 is unrelated", "14:27"),
        ("#2219 went out on the 14th and has been fine for 4 days", "14:27"),
        ("Root cause: PayGate API degraded, not #2219 - that PR only touched our timeout", "14:27"),
        ("#2220 looks bad, #2219 is a red herring", "14:27"),
        ("Root cause: PayGate degraded. Not <https://github.com/acme/checkout/pull/2219>", "14:27"),
    ],
)
def test_clauses_that_rule_a_pr_out(tmp_path: Path, text: str, when: str) -> None:
    tl = timeline(tmp_path, [said(at(14, 27), text, PRIYA)])
    change = row(tl, Kind.CHANGE, "PR #2219")
    assert change.summary.endswith(f"(ruled out by Priya Kapoor at {when})")
    assert "#2219" not in summary(tl)


def test_no_change_on_our_side_rules_out_every_change_before_it(tmp_path: Path) -> None:
    """A PagerDuty note clears all our changes; the PR was named before it."""
    notes = [note(at(14, 20), NOTE), note(at(14, 31, 20), "No change on our side lines up.")]
    tl = timeline(tmp_path, [said(at(14, 27), "did #2219 go out today?")], notes=notes)
    for kind in (Kind.CHANGE, Kind.DEPLOY):
        shown = row(tl, kind, "PR #2219")
        assert shown.summary.endswith("(ruled out by Marcus Oyelaran at 14:31)")
        assert shown.links[-1].url.startswith(f"https://acme.pagerduty.com/incidents/{PD_ID}")
    assert "preceded" not in summary(tl)


def test_a_lead_up_pr_tied_only_by_words_is_no_change_that_preceded(tmp_path: Path) -> None:
    """F1b: nobody names #2219; its words (PayGate, retry timeout) are the note's. It is shown,
    and so is the deploy that shipped it, but the lede names neither, days before."""
    tl = timeline(tmp_path, [said(at(14, 27), "did we ship anything to checkout this week?")])
    change = row(tl, Kind.CHANGE, "PR #2219")
    assert change.reason.startswith("leadup change") and "sharing" in change.reason
    assert "ruled out" not in change.summary
    row(tl, Kind.DEPLOY, "PR #2219")
    text = summary(tl)
    assert "#2219" not in text and "preceded" not in text


@pytest.mark.parametrize(
    "text",
    [
        "fyi shipping search-api 3e9a1f0 (routine ranking weights), unrelated to checkout",
        "3e9a1f is a search-api deploy, unrelated",
        "ruled out the 14:31 deploy",
        "the search-api deploy is unrelated",
    ],
)
def test_a_deploy_named_only_to_be_ruled_out_is_set_aside(tmp_path: Path, text: str) -> None:
    tl = timeline(tmp_path, [said(at(14, 33), text, PRIYA)], searching=True)
    assert not [e for e in tl.events if "3e9a1f0" in e.summary and e.kind is Kind.DEPLOY]
    (aside,) = [e for e in tl.set_aside if "3e9a1f0" in e.summary]
    assert "deploys of other services during the incident in github:acme/search-api" in (
        aside.reason
    )


def test_a_deploy_named_without_a_ruling_is_still_a_row(tmp_path: Path) -> None:
    tl = timeline(
        tmp_path, [said(at(14, 33), "fyi shipping search-api 3e9a1f0", PRIYA)], searching=True
    )
    deploy = row(tl, Kind.DEPLOY, "3e9a1f0")
    assert "commit 3e9a1f0 named in the evidence" in deploy.reason
    assert "ruled out" not in deploy.summary
