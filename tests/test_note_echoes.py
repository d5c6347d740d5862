"""The PagerDuty Slack app's post reporting a note joins that note's row.

Inputs: a PagerDuty ``annotate_log_entry`` (``GET /incidents/{id}/log_entries``, the note's text
in ``channel.summary``) and the app's ``conversations.history`` bot message: an attachment
whose ``pretext`` links the incident (``<https://x.pagerduty.com/incidents/ID|#4711>``) and whose
``text`` is the note's text, as the PagerDuty Slack app posts a note added to an incident.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.test_rows import (
    INC_NO,
    INC_URL,
    KIM,
    entry,
    one,
    said,
    texts,
    timeline,
    trigger,
    ts,
    user,
)

TEXT = "Heap exhaustion on checkout pods after v2.15.0; rolling back to v2.14.3 now."
KIM_PD = {"id": "PKIM001", "type": "user", "name": "Kim Nguyen", "email": "kim@acme.example"}


def note(minutes: float, text: str) -> dict[str, Any]:
    ref = {**user("Kim Nguyen"), "id": "PKIM001"}
    return entry("annotate", minutes, agent=ref, channel={"type": "note", "summary": text})


def app_note_post(minutes: float, text: str, incident_url: str = INC_URL) -> dict[str, Any]:
    number = INC_NO if incident_url == INC_URL else 9999
    return {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B0PDAPP01",
        "username": "PagerDuty",
        "text": "",
        "ts": ts(minutes),
        "attachments": [
            {
                "fallback": f"Kim Nguyen added a note to #{number}",
                "pretext": f"Kim Nguyen added a note to <{incident_url}|#{number}>",
                "text": text,
                "color": "A8171C",
            }
        ],
    }


def test_the_apps_post_of_a_note_joins_the_note(tmp_path: Path) -> None:
    tl = timeline(tmp_path, [trigger(), note(30, TEXT)], [app_note_post(30.05, TEXT)], [KIM])
    rows = [e for e in tl.events if "Heap exhaustion" in e.summary]
    assert len(rows) == 1, texts(tl)
    assert sorted(rows[0].sources) == ["pagerduty", "slack"]
    assert rows[0].actor == "Kim Nguyen", "the note's author, not the app"
    assert any("slack.com" in link.url for link in rows[0].links), "the post stays linked"


def test_with_the_authors_own_copy_the_three_are_one_row(tmp_path: Path) -> None:
    messages = [app_note_post(30.05, TEXT), said("U03KIM", 30.3, TEXT)]
    tl = timeline(tmp_path, [trigger(), note(30, TEXT)], messages, [KIM], [], [], [KIM_PD])
    row = one(tl, "Heap exhaustion")
    assert len([link for link in row.links if "slack.com" in link.url]) == 2
    assert not any("added a note" in s for s in texts(tl))


def test_a_post_of_another_note_or_incident_or_too_late_stays_its_row(tmp_path: Path) -> None:
    other = "Paging the database team to look at replica lag on the primary"
    messages = [
        app_note_post(30.05, other),
        app_note_post(30.1, TEXT, "https://acme.pagerduty.com/incidents/QOTHER99"),
        app_note_post(37, TEXT),
    ]
    tl = timeline(tmp_path, [trigger(), note(30, TEXT)], messages, [KIM])
    assert len([s for s in texts(tl) if "added a note" in s]) == 3, texts(tl)
    assert one(tl, "Note by").sources == ("pagerduty",)


def test_a_short_note_is_not_recognised_in_a_post(tmp_path: Path) -> None:
    tl = timeline(
        tmp_path,
        [trigger(), note(30, "rolling back")],
        [app_note_post(30.05, "rolling back")],
        [KIM],
    )
    assert len([e for e in tl.events if "rolling back" in e.summary]) == 2, texts(tl)


@pytest.mark.parametrize("lead", ["Status: ", "PD note: ", "Update for everyone: "])
def test_the_apps_post_joins_a_note_its_author_pasted_with_a_lead_in(
    tmp_path: Path, lead: str
) -> None:
    messages = [app_note_post(29.7, TEXT), said("U03KIM", 30.3, lead + TEXT)]
    tl = timeline(tmp_path, [trigger(), note(30, TEXT)], messages, [KIM], [], [], [KIM_PD])
    row = one(tl, "Heap exhaustion")
    assert len([link for link in row.links if "slack.com" in link.url]) == 2, texts(tl)
    assert not any("added a note" in s for s in texts(tl))


def test_a_post_of_a_different_note_stays_apart_from_a_pasted_note(tmp_path: Path) -> None:
    other = "Heap exhaustion on payments pods after v3.1.0; not rolling back yet, watching GC."
    messages = [app_note_post(29.7, other), said("U03KIM", 30.3, "Status: " + TEXT)]
    tl = timeline(tmp_path, [trigger(), note(30, TEXT)], messages, [KIM], [], [], [KIM_PD])
    assert len([s for s in texts(tl) if "added a note" in s]) == 1, texts(tl)


def plain_note_post(
    minutes: float, text: str, number: int, name: str = "PagerDuty"
) -> dict[str, Any]:
    """The app's post as plain text with the incident's number and no link (the app user's post:
    ``user``, ``bot_id`` and ``app_id``, the note's text after the number)."""
    return {
        "type": "message",
        "user": "U07PDAPP01Z",
        "bot_id": "B07PDAPP1QX",
        "app_id": "A0PDUTY8KZ",
        "username": name,
        "text": f"Kim Nguyen added a note to #{number}: {text}",
        "ts": ts(minutes),
    }


def test_the_apps_plain_text_post_joins_the_note_by_the_incident_number(tmp_path: Path) -> None:
    tl = timeline(tmp_path, [trigger(), note(30, TEXT)], [plain_note_post(30.05, TEXT, INC_NO)])
    row = one(tl, "Heap exhaustion")
    assert sorted(row.sources) == ["pagerduty", "slack"], texts(tl)
    assert not any("added a note" in s for s in texts(tl))


@pytest.mark.parametrize(
    ("number", "name"), [(INC_NO + 1, "PagerDuty"), (INC_NO, "Deploybot")], ids=["other", "bot"]
)
def test_another_incidents_number_or_another_bots_number_stays_its_row(
    tmp_path: Path, number: int, name: str
) -> None:
    posts = [plain_note_post(30.05, TEXT, number, name)]
    tl = timeline(tmp_path, [trigger(), note(30, TEXT)], posts)
    assert len([s for s in texts(tl) if "added a note" in s]) == 1, texts(tl)
    assert one(tl, "Note by").sources == ("pagerduty",)
