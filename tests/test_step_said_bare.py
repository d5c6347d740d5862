"""One step, one row: a step said with no object joins its author's one step of that kind.

A responder turns a feature flag off, marks it on the dashboard ("flag off: checkout-pricing-v2
(LaunchDarkly, Production)"), notes it on the incident and says in Slack only "flag off". The
chat words name no object, so ``steps.step_of`` finds no step in them; they are the same step as
the annotation all the same when that person recorded exactly one step of that kind (and phase)
within ``[collapse] step_merge_window``. Two such steps (two flags), another person's, another
step kind or a record further away: the words stay a row of their own.

Inputs in the tools' wire formats, written here (helpers in ``tests.test_rows``): Grafana
``GET /api/annotations`` items a person wrote (``login``, ``email``, ``tags``), PagerDuty
``annotate_log_entry`` notes (``channel.summary``; GET /incidents/{id}/log_entries), Slack
``conversations.history`` messages (``user``, ``text``, ``ts``) with ``users.list`` profiles
(``profile.email`` joins a person across tools).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.model import Event, Kind, Timeline
from reconstruct.render.jsonout import document
from reconstruct.render.metrics import milestones
from tests.test_rows import (
    KIM,
    LEE,
    T0,
    annotation,
    entry,
    said,
    texts,
    timeline,
    trigger,
    user,
)

KIM_PD = {"id": "PKIM001", "type": "user", "name": "Kim Nguyen", "email": "kim@acme.example"}
FLAG_OFF = "flag off: checkout-pricing-v2 (LaunchDarkly, Production)"


def kim_note(minutes: float, text: str) -> dict[str, Any]:
    ref = {**user("Kim Nguyen"), "id": "PKIM001"}
    return entry("annotate", minutes, agent=ref, channel={"type": "note", "summary": text})


def marked(minutes: float, text: str, login: str = "kim") -> dict[str, Any]:
    """A dashboard annotation a person added, tagged as teams tag a flag change."""
    record = annotation(minutes, text, login, f"{login}@acme.example")
    record["tags"] = ["flag", "checkout"]
    return record


def build(
    tmp_path: Path,
    messages: list[dict[str, Any]],
    annotations: list[dict[str, Any]],
    notes: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> Timeline:
    return timeline(tmp_path, [trigger(), *notes], messages, [KIM, LEE], annotations, [], [KIM_PD])


def rows_of(tl: Timeline, needle: str) -> list[Event]:
    return [e for e in tl.events if needle in e.summary.casefold()]


def test_a_bare_flag_off_joins_the_annotation_and_note_of_the_flag(tmp_path: Path) -> None:
    """Slack "flag off" at +59.0, the annotation at +59.1, the note at +59.4: one row, read as
    the annotation (naming the flag), at the message's time, every record's link kept and each
    record one of the row's JSON ``members``; time to mitigate is the message's time, as
    before."""
    tl = build(
        tmp_path,
        [said("U03KIM", 59.0, "flag off")],
        [marked(59.1, FLAG_OFF)],
        [kim_note(59.4, f"{FLAG_OFF}; errors dropping")],
    )
    rows = rows_of(tl, "flag off")
    assert len(rows) == 1, texts(tl)
    row = rows[0]
    assert row.summary.startswith("flag off: checkout-pricing-v2"), row.summary
    assert sorted(row.sources) == ["grafana", "pagerduty", "slack"]
    assert row.time == T0 + timedelta(minutes=59)
    assert {link.source for link in row.links} == {"grafana", "pagerduty", "slack"}
    assert row.kind is Kind.MITIGATE
    mark = milestones(tl).mitigated
    assert mark is not None and mark.time == T0 + timedelta(minutes=59)
    (out,) = [e for e in document(tl)["events"] if e["summary"] == row.summary]
    said_in = [m["summary"] for m in out["members"]]  # in time order
    assert said_in[:2] == ["flag off", FLAG_OFF], said_in
    assert len(said_in) == 3 and said_in[2].endswith(f"{FLAG_OFF}; errors dropping")
    urls = {link["url"] for m in out["members"] for link in m["links"]}
    assert urls <= {link["url"] for link in out["links"]} and len(urls) >= 3


def test_a_bare_step_minutes_before_the_named_one_joins_within_the_window(
    tmp_path: Path,
) -> None:
    """The annotation twelve minutes after "flag off" (within ``step_merge_window``): one row
    at the message's time."""
    tl = build(tmp_path, [said("U03KIM", 47, "flag off")], [marked(59, FLAG_OFF)])
    rows = rows_of(tl, "flag off")
    assert [sorted(r.sources) for r in rows] == [["grafana", "slack"]], texts(tl)
    assert rows[0].time == T0 + timedelta(minutes=47)


# -- never one row ------------------------------------------------------------------------------
def test_two_named_steps_of_the_kind_leave_the_bare_words_alone(tmp_path: Path) -> None:
    """Kim turned off two flags in the window: which one "flag off" means is unknown."""
    tl = build(
        tmp_path,
        [said("U03KIM", 59.0, "flag off")],
        [marked(58.5, FLAG_OFF), marked(59.5, "flag off: search-typeahead (LaunchDarkly)")],
    )
    assert "flag off" in texts(tl)
    assert len(rows_of(tl, "flag off")) == 3, texts(tl)


def test_another_persons_named_step_leaves_the_bare_words_alone(tmp_path: Path) -> None:
    tl = build(tmp_path, [said("U03KIM", 59.0, "flag off")], [marked(59.1, FLAG_OFF, "lee")])
    assert "flag off" in texts(tl)
    assert len(rows_of(tl, "flag off")) == 2, texts(tl)


@pytest.mark.parametrize(
    ("message", "annotated"),
    [
        ("flag off", "Restarted checkout-api (rollout restart)"),
        ("rolled it back", FLAG_OFF),
    ],
    ids=["bare-disable-named-restart", "bare-rollback-named-disable"],
)
def test_a_named_step_of_another_kind_leaves_the_bare_words_alone(
    tmp_path: Path, message: str, annotated: str
) -> None:
    tl = build(tmp_path, [said("U03KIM", 59.0, message)], [marked(59.1, annotated)])
    assert message in texts(tl), texts(tl)


def test_a_named_step_outside_the_window_leaves_the_bare_words_alone(tmp_path: Path) -> None:
    """The annotation 25 minutes after "flag off" (``step_merge_window`` is 20): two rows."""
    tl = build(tmp_path, [said("U03KIM", 34, "flag off")], [marked(59, FLAG_OFF)])
    assert "flag off" in texts(tl)
    assert len(rows_of(tl, "flag off")) == 2, texts(tl)
