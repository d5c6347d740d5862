"""A person's chat copy of their own dashboard annotation joins the annotation's row (#11).

The words here classify as nothing ("Force-renewed cert ... via cert-manager"), so before this
rule the Slack message was counted as chatter up front and never reached ``steps``. Inputs are
the tools' own wire shapes: Slack ``conversations.history`` messages as today's clients post them
(``ts``, ``user``, ``text`` with Slack's own ``<http://host|host>`` auto-link, ``client_msg_id``,
``team``, the ``rich_text`` block mirroring the text; https://api.slack.com/methods/
conversations.history, https://api.slack.com/reference/block-kit/blocks#rich_text) and Grafana
``GET /api/annotations`` items (``time``/``timeEnd`` in epoch milliseconds, ``login``,
``email``, ``text``, ``tags``, ``dashboardUID``, ``panelId``; https://grafana.com/docs/grafana/
latest/developers/http_api/annotations/#find-annotations).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import reconstruct.pipeline as pipeline
from reconstruct.config import Config
from reconstruct.model import Timeline
from reconstruct.normalize.reasons import plain_reason
from reconstruct.pipeline import build_timeline
from reconstruct.render import RenderOptions, render
from tests.test_chatter_count import _build_everything
from tests.test_rows import KIM, LEE, bundle, entry, ms, trigger, ts, user

SCOPE = "slack:#inc-4711"
CERT = "Force-renewed cert for api.acme.example via cert-manager (new notAfter 2027-02-18)"


def slack_message(uid: str, minutes: float, host: str = "api.acme.example") -> dict[str, Any]:
    """A person's message as ``conversations.history`` returns it: Slack links the bare host
    name in ``text`` and as a ``link`` element of the ``rich_text`` block."""
    words = CERT.replace("api.acme.example", host)
    before, _, after = words.partition(host)
    return {
        "type": "message",
        "user": uid,
        "text": f"{before}<http://{host}|{host}>{after}",
        "ts": ts(minutes),
        "client_msg_id": f"0b6c7d1e-2f3a-4b5c-8d9e-{int(minutes * 1000):012d}",
        "team": "T0ACME0001",
        "blocks": [
            {
                "type": "rich_text",
                "block_id": "Xy9Q",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [
                            {"type": "text", "text": before},
                            {"type": "link", "url": f"http://{host}", "text": host},
                            {"type": "text", "text": after},
                        ],
                    }
                ],
            }
        ],
    }


def grafana_annotation(
    aid: int, minutes: float, login: str, email: str, text: str = CERT
) -> dict[str, Any]:
    """An annotation a person added on a dashboard panel (no alert fields set)."""
    return {
        "id": aid,
        "alertId": 0,
        "alertName": "",
        "dashboardId": 42,
        "dashboardUID": "edge-tls",
        "panelId": 6,
        "userId": 7,
        "newState": "",
        "prevState": "",
        "created": ms(minutes),
        "updated": ms(minutes),
        "time": ms(minutes),
        "timeEnd": ms(minutes),
        "text": text,
        "tags": ["tls", "cert-manager"],
        "login": login,
        "email": email,
        "avatarUrl": "/avatar/1d2f",
        "data": {},
    }


def build(tmp_path: Path, messages: list[dict[str, Any]], notes: list[dict[str, Any]]) -> Timeline:
    return build_timeline(bundle(tmp_path, [trigger()], messages, [LEE, KIM], notes), Config())


def cert_rows(tl: Timeline) -> list[Any]:
    return [e for e in tl.events if "Force-renewed cert" in e.summary]


def chatter(tl: Timeline) -> tuple[int, int]:
    """The incident channel's left-out count and Slack's account under the chatter reason."""
    return tl.omitted.get(SCOPE, 0), tl.accounts["slack"].omitted.get(plain_reason(SCOPE), 0)


COUNTED = (
    "- slack: 1 record collected, 0 shown in the table, 1 not shown "
    "(1 message without a keyword, pin or reaction in slack:#inc-4711)."
)


def coverage(tl: Timeline) -> list[str]:
    """The Markdown draft's coverage line for Slack."""
    md = render(tl, RenderOptions(), Config())
    return [line for line in md.splitlines() if line.startswith("- slack:")]


def balanced(tl: Timeline) -> bool:
    return all(a.shown + sum(a.omitted.values()) == a.collected for a in tl.accounts.values())


@pytest.mark.parametrize("counted_early", [True, False])
def test_a_persons_slack_copy_of_their_annotation_joins_its_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted_early: bool
) -> None:
    """Either path: the Slack parser's chatter tally, or every message built as an event and
    set aside by the normalizer (``chatter.set_aside``)."""
    if not counted_early:
        monkeypatch.setattr(pipeline, "counting_chatter", _build_everything)
    tl = build(
        tmp_path,
        [slack_message("U02LEE", 20.1)],
        [grafana_annotation(901, 20.5, "lee", "lee@acme.example")],
    )
    rows = cert_rows(tl)
    assert len(rows) == 1, [e.summary for e in tl.events]
    row = rows[0]
    assert sorted(row.sources) == ["grafana", "slack"]
    assert {link.source for link in row.links} >= {"grafana", "slack"}
    assert row.actor == "Lee Turner"
    assert chatter(tl) == (0, 0), "the message is in the row, not counted as chatter"
    assert tl.accounts["slack"].shown == 1 and balanced(tl)


def test_a_thread_reply_copy_joins_too(tmp_path: Path) -> None:
    """A reply in a thread (``thread_ts``, ``parent_user_id``) is read the same way."""
    parent = slack_message("U03KIM", 19, "www.acme.example")
    parent["text"] = "cert expiry alarm on the edge, looking"
    parent["blocks"] = []
    reply = slack_message("U02LEE", 20.1)
    reply.update(thread_ts=parent["ts"], parent_user_id="U03KIM")
    tl = build(
        tmp_path, [parent, reply], [grafana_annotation(902, 20.5, "lee", "lee@acme.example")]
    )
    rows = cert_rows(tl)
    assert len(rows) == 1 and sorted(rows[0].sources) == ["grafana", "slack"]
    assert balanced(tl)


def unjoined_case(tmp_path: Path, message: dict[str, Any], note: dict[str, Any]) -> None:
    """The message stays out, counted exactly as with no annotation at all."""
    alone = build(tmp_path / "alone", [message], [])
    tl = build(tmp_path / "both", [message], [note])
    rows = cert_rows(tl)
    assert len(rows) == 1 and rows[0].sources == ("grafana",), [e.summary for e in tl.events]
    assert chatter(tl) == chatter(alone) == (1, 1)
    assert tl.accounts["slack"] == alone.accounts["slack"]
    assert coverage(tl) == coverage(alone) == [COUNTED]
    assert balanced(tl)


def test_another_persons_same_words_stay_apart(tmp_path: Path) -> None:
    unjoined_case(
        tmp_path,
        slack_message("U03KIM", 20.1),
        grafana_annotation(903, 20.5, "lee", "lee@acme.example"),
    )


def test_more_than_a_minute_apart_stay_apart(tmp_path: Path) -> None:
    unjoined_case(
        tmp_path,
        slack_message("U02LEE", 18.0),
        grafana_annotation(904, 20.5, "lee", "lee@acme.example"),
    )


def test_a_different_host_is_another_action(tmp_path: Path) -> None:
    unjoined_case(
        tmp_path,
        slack_message("U02LEE", 20.1, "www.acme.example"),
        grafana_annotation(905, 20.5, "lee", "lee@acme.example"),
    )


def test_other_words_near_an_annotation_are_counted_as_before(tmp_path: Path) -> None:
    """A plain message near someone's annotation that joins nothing: the same count, the same
    reason, in the render's coverage line too."""
    message = slack_message("U02LEE", 20.1)
    message["text"] = "ok going to grab a coffee while this settles"
    message["blocks"] = []
    alone = build(tmp_path / "alone", [message], [])
    tl = build(
        tmp_path / "both", [message], [grafana_annotation(906, 20.5, "lee", "lee@acme.example")]
    )
    assert chatter(tl) == chatter(alone) == (1, 1)
    assert not any("coffee" in e.summary for e in tl.events)
    assert coverage(tl) == coverage(alone) == [COUNTED]
    assert balanced(tl)


def test_a_persons_slack_copy_of_their_pagerduty_note_joins_it(tmp_path: Path) -> None:
    """PagerDuty's ``annotate_log_entry`` (the note in ``channel.summary``, the author as
    ``agent``, their email from ``GET /users/{id}``) and Kim's own plain message, same words."""
    text = "gw-6, gw-7 and gw-8 kept the expired cert in their local cache; restarted those pods"
    kim_pd = {"id": "PKIM001", "type": "user", "name": "Kim Nguyen", "email": "kim@acme.example"}
    ref = {**user("Kim Nguyen"), "id": "PKIM001"}
    note = entry("annotate", 38, agent=ref, channel={"type": "note", "summary": text})
    message = slack_message("U03KIM", 38.3)
    message["text"], message["blocks"] = text, []
    tl = build_timeline(
        bundle(tmp_path, [trigger(), note], [message], [KIM], [], [], [kim_pd]), Config()
    )
    rows = [e for e in tl.events if "local cache" in e.summary]
    assert len(rows) == 1 and sorted(rows[0].sources) == ["pagerduty", "slack"], rows
    assert balanced(tl)
