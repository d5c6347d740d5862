"""Time to mitigate counts the step that mitigated: not one its own words say did not help, not
the switch back after a fallback, and a fallback turned on is a step (issue #11).

Inputs in the tools' wire formats: Slack messages (``conversations.history``), Grafana
annotations a person wrote (``GET /api/annotations``: ``login``, ``email``, ``tags``), PagerDuty
notes (``annotate_log_entry``, the note's text in ``channel.summary``) and the trigger (GET
/incidents/{id}/log_entries). The wordings are responders' own: a restart reported with its
outcome ("..., no change", "didn't help", "still timing out"), a provider switched over a flag
and the switch back once the provider recovered ("Disabled flag ..., back on PayGate").
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from reconstruct.config import ClassifyConfig
from reconstruct.model import Kind, Timeline
from reconstruct.normalize.classify import NO_EFFECT, RESTORE, compile_classifier, outcome
from reconstruct.render.metrics import milestones
from tests.test_rows import KIM, LEE, T0, annotation, entry, one, said, texts, timeline, user

CLASSIFIER = compile_classifier(ClassifyConfig())
KIM_PD = {"id": "PKIM001", "type": "user", "name": "Kim Nguyen", "email": "kim@acme.example"}
FLAG = "payments-fallback-backuppay"
ON = f"Enabled flag {FLAG}, routing 100% of authorizations to BackupPay"
BACK = f"Disabled flag {FLAG}, back on PayGate"


def tags_of(text: str) -> tuple[Kind | None, frozenset[str]]:
    """A person's message's kind and the tags its outcome gives a mitigation."""
    found = CLASSIFIER.human_text(text)
    if found is None:
        return None, frozenset()
    kind, words = found
    return kind, outcome(words, text) if kind is Kind.MITIGATE else frozenset()


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).strftime("%H:%M")


def note(minutes: float, text: str) -> dict[str, Any]:
    """A PagerDuty note of Kim's: ``annotate_log_entry``, its text in ``channel.summary``."""
    ref = {**user("Kim Nguyen"), "id": "PKIM001"}
    return entry("annotate", minutes, agent=ref, channel={"type": "note", "summary": text})


def kim_annotation(minutes: float, text: str, tags: tuple[str, ...] = ()) -> dict[str, Any]:
    record = annotation(minutes, text, "kim", "kim@acme.example")
    record["tags"] = list(tags)
    return record


def mitigated(tl: Timeline) -> tuple[float, str] | None:
    """Time to mitigate in minutes and the text of the row it cites, or None."""
    mark = milestones(tl).mitigated
    if mark is None or mark.event is None:
        return None
    return (mark.time - T0).total_seconds() / 60, mark.event.summary


# -- a step tried that did not help -----------------------------------------------------------
DID_NOT_HELP = [
    "restarted 3 checkout-api pods to rule out a stuck pool, no change",
    "restarted 3 checkout-api pods, didn't help",
    "restarted 3 checkout-api pods. no change",
    "bounced the checkout-api pods, still timing out",
    "restart done, no improvement",
    "failed over, errors unchanged",
    "rollback done but 5xx still at 8%",
    "restarted the pods - did not help",
    "scaled checkout-api to 12 pods, latency still high",
]
HELPED = [
    "restart done, errors dropping",
    "restarted 3 checkout-api pods, no errors since",
    "rolled back checkout-api, 5xx back to baseline",
    "restarted checkout-api, no change on our side",  # no change shipped: not the step's effect
    "restarted checkout-api pods, no change?",  # asked, not said
    "restarted checkout-api pods, no change at first, now errors dropping",
    "rolled back checkout-api, no change in the error rate yet",  # too early to tell
]


@pytest.mark.parametrize("text", DID_NOT_HELP)
def test_a_step_said_done_that_did_not_help_is_tagged_no_effect(text: str) -> None:
    assert tags_of(text) == (Kind.MITIGATE, frozenset({NO_EFFECT}))


@pytest.mark.parametrize("text", HELPED)
def test_a_step_with_good_news_or_words_about_something_else_is_a_mitigation(text: str) -> None:
    assert tags_of(text) == (Kind.MITIGATE, frozenset())


def fallback_incident(
    tmp_path: Path, restart: str, ann_tags: tuple[str, ...] = ()
) -> tuple[Timeline, list[str]]:
    """A restart at 19 min, the fallback turned on at 37 (an annotation at 37:05, the message at
    37:10, a note at 38 stating the minute), the switch back at 87 (annotation, message, note)."""
    stated = at(37)
    tl = timeline(
        tmp_path,
        [
            entry("trigger", 0, agent={"id": "PSVC", "type": "service_reference"}),
            note(38, f"Switched payment provider to BackupPay via flag {FLAG} ({stated} UTC)"),
            note(88.5, f"Switched back to PayGate: flag {FLAG} off at {at(87)} UTC, healthy"),
        ],
        [
            said("U02LEE", 19, restart),
            said("U03KIM", 37 + 10 / 60, ON),
            said("U03KIM", 87 + 40 / 60, BACK),
        ],
        [KIM, LEE],
        [kim_annotation(37 + 5 / 60, ON, ann_tags), kim_annotation(87.5, BACK, ("payments",))],
        [],
        [KIM_PD],
    )
    return tl, texts(tl)


def test_a_restart_that_did_not_help_is_a_row_and_the_fallback_is_the_mitigation(
    tmp_path: Path,
) -> None:
    tl, rows = fallback_incident(tmp_path, DID_NOT_HELP[0])
    tried = one(tl, "stuck pool")
    assert tried.kind is Kind.MITIGATE and NO_EFFECT in tried.tags  # what they tried: a row
    assert mitigated(tl) == (37 + 5 / 60, ON), rows


@pytest.mark.parametrize("text", HELPED[:3])
def test_a_restart_that_helped_stays_the_mitigation(tmp_path: Path, text: str) -> None:
    tl, _ = fallback_incident(tmp_path, text)
    assert mitigated(tl) == (19, text)


# -- a fallback turned on; the switch back ----------------------------------------------------
FALLBACK_ON = [
    ON,
    f"Switched payment provider to BackupPay via flag {FLAG}",
    "Switched payments to BackupPay (flag payments-fallback-backuppay on)",
    "failing over payments to BackupPay",
    "routed traffic to the fallback provider",
    "enabled the circuit breaker's fallback",
    "turned on maintenance mode",
    "shifted traffic to us-east-1",
    "redirecting traffic from ap-southeast-1 to ap-northeast-1",
    "drained eu-west-1",
    "fallback enabled",
]
NO_STEP = [
    "Evaluating fallback to BackupPay.",
    f"plan: switch payment routing to BackupPay via the {FLAG} flag. Priya can you flip it?",
    "should we enable the fallback?",
    "enabled flag new-checkout-flow for 10%",  # a feature turned on: a change, no step
    "enabled alerts for the backup job",
    "switched to the zoom bridge",
    "moved the payments sync to tomorrow",
    "the fallback is enabled in staging",
    "the LB is shifting traffic to us-east-1",  # the failing thing's doing
]
SWITCH_BACK = [
    BACK,
    f"Disabled flag {FLAG}",
    f"Switched back to PayGate: flag {FLAG} turned off at 15:31 UTC, PayGate healthy",
    "switched back to PayGate",
    "fallback disabled, back on primary",
    "failed back to the primary",
    "moved traffic back to eu-west-1",
    "turned off maintenance mode, checkout healthy",
    "re-enabled payments-primary after the provider recovered",
]
STILL_A_FIX = [
    "rolled back to v2.3.0, back on v2.3.0",  # going back to the previous version is the fix
    "re-enabled the cache, errors dropping",  # undoing the cause, no recovery before it
    "disabled the circuit breaker",
    "failing over payments to BackupPay, we'll switch back later",  # the way back to come
    "failed over to us-west-2, switching back once PayGate is stable?",
]


@pytest.mark.parametrize("text", FALLBACK_ON)
def test_a_fallback_turned_on_or_traffic_shifted_is_a_mitigation(text: str) -> None:
    assert tags_of(text) == (Kind.MITIGATE, frozenset())


@pytest.mark.parametrize("text", NO_STEP)
def test_talk_of_a_fallback_or_another_switch_is_no_step(text: str) -> None:
    assert tags_of(text)[0] is not Kind.MITIGATE


@pytest.mark.parametrize("text", SWITCH_BACK)
def test_a_switch_back_to_the_normal_path_is_a_step_tagged_restore(text: str) -> None:
    assert tags_of(text) == (Kind.MITIGATE, frozenset({RESTORE}))


@pytest.mark.parametrize("text", STILL_A_FIX)
def test_a_rollback_or_an_undone_cause_is_no_switch_back(text: str) -> None:
    assert tags_of(text) == (Kind.MITIGATE, frozenset())


def test_untagged_the_fallback_is_the_mitigation_not_the_switch_back(tmp_path: Path) -> None:
    """No annotation tagged ``mitigation``: the words alone make the fallback the step."""
    tl, rows = fallback_incident(tmp_path, "looking at the pool")
    assert mitigated(tl) == (37 + 5 / 60, ON), rows
    back = one(tl, "back on PayGate")
    assert back.kind is Kind.MITIGATE and RESTORE in back.tags


def test_the_switch_back_alone_is_never_the_mitigation(tmp_path: Path) -> None:
    tl = timeline(
        tmp_path,
        [entry("trigger", 0, agent={"id": "PSVC", "type": "service_reference"})],
        [said("U03KIM", 19, DID_NOT_HELP[1]), said("U03KIM", 87, BACK)],
        [KIM],
    )
    assert [e.kind for e in tl.events if "checkout-api" in e.summary or "PayGate" in e.summary] == [
        Kind.MITIGATE,
        Kind.MITIGATE,
    ]
    assert mitigated(tl) is None


# -- one step in three tools, at its exact time ----------------------------------------------
def test_the_fallback_in_three_tools_is_one_row_at_the_annotations_second(tmp_path: Path) -> None:
    """The message and the annotation share their words, the note (a minute later, its own
    words) names the same flag turned on: one row. The note states the minute ("10:19 UTC"),
    the annotation was made within it (10:19:05): the row and the figure read 10:19:05."""
    tl, rows = fallback_incident(tmp_path, DID_NOT_HELP[0], ("mitigation", "payments"))
    row = one(tl, FLAG + ", routing")
    assert sorted(row.sources) == ["grafana", "pagerduty", "slack"], rows
    assert row.time == T0 + timedelta(minutes=37, seconds=5)
    assert not [s for s in rows if "Switched payment provider" in s], rows
    back = one(tl, "back on PayGate")
    assert sorted(back.sources) == ["grafana", "pagerduty", "slack"], rows
    assert mitigated(tl) == (37 + 5 / 60, ON)
