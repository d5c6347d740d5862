"""A bot's trailing button-like link ("View incident", "View in PagerDuty", "Open in Grafana")
is the row's link, not words of its post; a link whose label is the post's own words, a
person's message, and a label inside the text stay as written.

Wire shape: ``conversations.history`` ``text`` in Slack mrkdwn, a link as
``<https://url|label>`` (https://docs.slack.dev/messaging/formatting-message-text#linking-urls),
as Statuspage's Slack app posts an incident update: "Payouts delayed (EU, US) *Investigating* -
... <https://status.acme.example/incidents/k2x9|View incident>".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconstruct.collectors.slack.markup import render, without_call_to_action
from tests.test_rows import KIM, one, said, timeline, trigger
from tests.test_rows_series import bot_post

STATUSPAGE = (
    "Payouts delayed (EU, US) *Investigating* - Payouts to merchants are delayed. We are"
    " investigating. <https://status.acme.example/incidents/k2x9|View incident>"
)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            STATUSPAGE,
            "Payouts delayed (EU, US) Investigating - Payouts to merchants are delayed. We are"
            " investigating.",
        ),
        (
            "Incident #7734 triggered | <https://acme.pagerduty.com/i/Q8|View in PagerDuty>",
            "Incident #7734 triggered",
        ),
        ("High lag (<https://g.example/d/x|Open in Grafana>)", "High lag"),
        ("deploy done \u2014 <https://ci.example/r/1|See details \u00bb>", "deploy done"),
        # negatives: the post's own words, a label not at the end, a post that is only the link
        ("Fixed by <https://github.com/acme/x/pull/42|the fix>", "Fixed by the fix"),
        ("<https://x.example/a|View incident> for details", "View incident for details"),
        ("<https://status.acme.example/incidents/k2x9|View incident>", "View incident"),
        ("see the <https://x.example/a|preview incident>", "see the preview incident"),
    ],
)
def test_a_trailing_call_to_action_is_left_out(text: str, shown: str) -> None:
    assert without_call_to_action(render(text, lambda _: None, {})) == shown


def test_statuspage_rows_end_with_their_words_and_keep_the_link(tmp_path: Path) -> None:
    messages = [
        bot_post(20, STATUSPAGE, "Statuspage", "B08STATPG1X"),
        said(
            "U03KIM",
            21,
            "status page says <https://status.acme.example/x|View incident>",
            reactions=[{"name": "pushpin", "count": 1, "users": ["U01PRIYA"]}],
        ),
    ]
    tl = timeline(tmp_path, [trigger()], messages, [KIM])
    row = one(tl, "Payouts to merchants")
    assert row.summary.endswith("We are investigating."), row.summary
    assert any(link.url == "https://status.acme.example/incidents/k2x9" for link in row.links)
    assert one(tl, "status page says").summary.endswith("View incident")  # a person's words
