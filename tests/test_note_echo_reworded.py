"""The PagerDuty Slack app's post of a note joins the note's row whatever else joins it: also
when the author's own Slack copy of the note is reworded (nc13b #4: the note merged with the
reworded copy and the app's post, carrying every word of the note, stayed a row of its own,
"PagerDuty: Oskar Lindqvist added a note to #7312 ...").

Inputs as ``tests.test_note_echoes``: a PagerDuty ``annotate_log_entry`` (the note's text in
``channel.summary``), the app's ``conversations.history`` bot message (an attachment whose
``pretext`` links the incident and whose ``text`` is the note's), and the author's own message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_note_echoes import KIM_PD, TEXT, app_note_post, note
from tests.test_rows import CHANNEL, KIM, WS, said, texts, timeline, trigger, ts

REWORDED = (
    "Checkout pods are running out of heap since v2.15.0 went out, so we are rolling back to "
    "v2.14.3 now."
)


def slack_links(row_links: tuple) -> set[str]:  # type: ignore[type-arg]
    return {link.url for link in row_links if "slack.com" in link.url}


@pytest.mark.parametrize(
    ("echo_at", "copy_at"), [(30.05, 30.3), (30.4, 30.1), (29.8, 30.2)], ids=lambda v: str(v)
)
def test_the_apps_post_joins_the_note_beside_a_reworded_copy(
    tmp_path: Path, echo_at: float, copy_at: float
) -> None:
    messages = [app_note_post(echo_at, TEXT), said("U03KIM", copy_at, REWORDED)]
    tl = timeline(tmp_path, [trigger(), note(30, TEXT)], messages, [KIM], [], [], [KIM_PD])
    assert not any("added a note" in s for s in texts(tl)), texts(tl)
    (row,) = [e for e in tl.events if "Heap exhaustion" in e.summary]
    echo = f"{WS}archives/{CHANNEL}/p{ts(echo_at).replace('.', '')}"
    assert echo in slack_links(row.links), row.links
    assert row.actor == "Kim Nguyen" and "pagerduty" in row.sources


def test_a_post_of_another_note_stays_its_row_beside_a_reworded_copy(tmp_path: Path) -> None:
    other = "Paging the database team to look at replica lag on the primary right away."
    messages = [app_note_post(30.05, other), said("U03KIM", 30.3, REWORDED)]
    tl = timeline(tmp_path, [trigger(), note(30, TEXT)], messages, [KIM], [], [], [KIM_PD])
    assert len([s for s in texts(tl) if "added a note" in s]) == 1, texts(tl)
    (row,) = [e for e in tl.events if "Heap exhaustion" in e.summary]
    posted = f"{WS}archives/{CHANNEL}/p{ts(30.05).replace('.', '')}"
    assert posted not in slack_links(row.links)
