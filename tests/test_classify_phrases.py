"""Words of a list that are something else in an incident channel (``classify.NOT_TALK``, #11).

The month "May" is no hedge; an action announced "if nobody objects" is announced, not a plan.
Each table holds people's messages as they are written in incident channels, positive and
negative. The wire-level test sends them as Slack ``conversations.history`` messages through the
pipeline and reads the figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconstruct.config import ClassifyConfig
from reconstruct.model import Kind
from reconstruct.normalize.classify import NOT_TALK, compile_classifier
from reconstruct.render.metrics import compute
from tests.test_classify_bots import rows
from tests.test_classify_questions import said
from tests.test_slack_parse import ts

CLASSIFIER = compile_classifier(ClassifyConfig())

MONTH_DATES = [
    "impact started May 3 around 09:10 UTC",
    "impact started on 3 May, first errors at 09:10",
    "impact started 3rd May 2026 per the error graph",
    "impact began May 3, 2026 at 09:10",
    "customers are reporting failed logins since May 2026",
    "users are seeing 502s, deployed on 3 May",
    "impact started mid-May for the EU shard",
    "customers are reporting errors with the May release",
    "impact started March 3 when the cert rotated",
]
"""Impact statements holding a month: the date is no hedge."""

MAY_HEDGES = [
    "impact may have started earlier",
    "customers may be seeing errors",
    "users may be reporting it soon",
    "May be that impact started at 09:10, not sure",
    "we may see customers reporting errors soon",
]
"""The modal "may": still a hedge (or no impact pattern at all)."""


@pytest.mark.parametrize("text", MONTH_DATES)
def test_a_month_in_a_date_is_no_hedge(text: str) -> None:
    assert CLASSIFIER.impact_words(text) is not None, text


@pytest.mark.parametrize("text", MAY_HEDGES)
def test_the_modal_may_is_still_a_hedge(text: str) -> None:
    assert CLASSIFIER.impact_words(text) is None, text


DATED_ACTIONS = [
    ("rolled back to the build of May 3", Kind.MITIGATE),
    ("rolling back to the 2 May release", Kind.MITIGATE),
    ("root cause is the cert renewed on 3 May", Kind.IDENTIFY),
    ("all clear since May 4 09:00", Kind.RESOLVE),
]


@pytest.mark.parametrize(("text", "kind"), DATED_ACTIONS)
def test_a_date_beside_a_milestone_keeps_its_kind(text: str, kind: Kind) -> None:
    found = CLASSIFIER.human_text(text)
    assert found is not None and found[0] is kind, text


ANNOUNCED = [
    "rolling back now if nobody objects",
    "rolling back in 2 min if no one objects",
    "rolling back unless someone objects",
    "reverting #820 unless anyone objects in the next 5 min",
    "failing over to us-west unless somebody shouts",
    "if no one shouts, rolling back",
    "if nobody minds, scaling out checkout to 12",
    "scaling up the pool if nobody disagrees",
    "rolling back if there are no objections",
    "reverting unless there are objections",
    "barring objections, rolling back at 14:05",
    "hearing no objections, rolling back",
    "rolling back unless you say otherwise",
    "rolling back unless anyone pushes back",
    "scaling out once more",
    "last call: rolling back unless objections",
    "rolling back unless told otherwise",
    "reverting #820 in 5 unless I hear otherwise",
    "rolling back if there's no pushback",
    "failing over to us-west if no objections",
    "if anyone asks, we rolled back at 14:05",
]
"""Actions announced, waiting only for objections (or done): a mitigation."""

PLANS = [
    "if the error rate stays up we roll back",
    "rolling back if the canary fails",
    "rolling back unless the canary recovers",
    "if anyone objects we won't roll back",
    "rolling back if nobody can find the cause",
    "if no one picks it up in 10 min I'll roll back",
    "unless the fix lands we revert",
    "once lag drains we scale out",
    "we may roll back",
    "rolling back may take a while",
    "rolling back unless the error rate drops",
    "if nobody answers the page in 5 we roll back",
    "unless someone finds the cause, we revert",
    "rolling back if anyone sees more errors",
    "if the error rate stays up, we roll back",
    "if lag keeps growing, we scale out to 96 pods",
    "once lag drains, rolling back the consumer",
    "in case the canary fails, reverting is the fallback",
]
"""Real conditions, modals and plans: no kind."""


@pytest.mark.parametrize("text", ANNOUNCED)
def test_an_action_waiting_only_for_objections_is_announced(text: str) -> None:
    found = CLASSIFIER.human_text(text)
    assert found is not None and found[0] is Kind.MITIGATE, text


@pytest.mark.parametrize("text", PLANS)
def test_a_real_condition_or_modal_is_still_a_plan(text: str) -> None:
    found = CLASSIFIER.human_text(text)
    assert found is None or found[0] is not Kind.MITIGATE, text


def test_the_phrase_table_documents_each_kind_with_examples_it_masks() -> None:
    import re

    for kind, gates, pattern, examples in NOT_TALK:
        assert examples, kind
        for example in examples:
            assert re.search(pattern, example, re.IGNORECASE), (kind, example)
            assert any(gate in example.lower() for gate in gates), (kind, example)


def test_time_to_mitigate_reads_the_announced_rollback(tmp_path: Path) -> None:
    got, timeline = rows(
        tmp_path,
        [
            said(3, "if the error rate stays up we roll back"),
            said(6, "impact started May 3 around 09:10, customers see 502s", "U2"),
            said(9, "rolling back now if nobody objects"),
        ],
    )
    assert ts(3) not in got or got[ts(3)].kind is Kind.MESSAGE
    assert got[ts(9)].kind is Kind.MITIGATE
    assert "impact" in got[ts(6)].tags
    figures = {m.key: m.seconds for m in compute(timeline)}
    assert figures["time_to_mitigate_s"] == 9 * 60
