"""A question or a negated statement is not a milestone (``[classify]``, questions and negations).

Inputs are people's Slack messages in conversations.history's wire format (``type: message``, a
``user``, ``text``, ``ts``), written here; they go through the Slack parser and the normalizer as
a run does, and the figures are computed from the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconstruct.model import Kind
from reconstruct.render.metrics import compute
from tests.classify_table import CLASSIFIER, kind_of
from tests.test_classify_bots import rows
from tests.test_slack_parse import ts


def said(minutes: float, text: str, user: str = "U1") -> dict[str, Any]:
    return {"type": "message", "user": user, "text": text, "ts": ts(minutes)}


def test_questions_and_negations_get_no_milestone_kind(tmp_path: Path) -> None:
    got, timeline = rows(
        tmp_path,
        [
            said(3, "should we do a rollback? not yet, need to confirm the heap theory first"),
            said(4, "Can we scale out checkout?"),
            said(5, "we are not rolling back, the deploy is fine", "U2"),
            said(6, "no rollback until we know more"),
            said(7, "I don\u2019t think the root cause is the deploy"),
            said(8, "is it all clear?", "U2"),
            said(9, "rollback not yet, waiting on the heap dump"),
        ],
    )
    for minute in range(3, 10):  # plain chatter: no row, or a row of kind message
        row = got.get(ts(minute))
        assert row is None or row.kind is Kind.MESSAGE, row.summary
    figures = {m.key: m.seconds for m in compute(timeline)}
    assert figures["time_to_mitigate_s"] is None


def test_statements_keep_their_kind_and_a_later_clause_counts(tmp_path: Path) -> None:
    got, timeline = rows(
        tmp_path,
        [
            said(3, "should we roll back? yes, rolling back now"),
            said(4, "root cause is the connection pool (see https://wiki.example/p?id=4)"),
            said(5, "Rolled back checkout to v2.3.0", "U2"),
            said(6, "all clear, no errors since 14:30"),
        ],
    )
    assert got[ts(3)].kind is Kind.MITIGATE  # the question's answer states it
    assert got[ts(4)].kind is Kind.IDENTIFY  # a URL's "?" ends no clause
    assert got[ts(5)].kind is Kind.MITIGATE  # "v2.3.0" ends no sentence
    assert got[ts(6)].kind is Kind.RESOLVE  # the negation is in another clause
    figures = {m.key: m.seconds for m in compute(timeline)}
    assert figures["time_to_mitigate_s"] == 5 * 60  # "Rolled back": the first step said done


TALK_ABOUT = [
    # hedges, conditionals, modals (a newcomer's reproducers, probe1/probe8)
    "not yet - rolling back would also undo the schema migration in that deploy, checking first",
    "not yet, rolling back would also undo the migration",
    "we could roll back but it is risky",
    "if we roll back we lose the migration",
    "the root cause might be the broker upgrade",
    "once we know the root cause we can act",
    "I\u2019d declare a SEV-1 incident if US lag keeps growing",
    "we might need to declare a SEV-1 incident",
    "will post all clear once US catches up",
    "if lag keeps growing we scale out to 96 pods",
    "maybe failing over to us-west helps",
    # offers and opinions
    "happy to revert",
    "revert is trivial, one line",
    "+1 revert",
    "rollback is off the table",
    "holding off on the rollback",
    # plans, proposals, status
    "ok let's revert #820 only, not the whole deploy",
    "revert PR up: #823",
    "revert pending review",
    "the plan is to roll back after the heap dump",
    "I propose we scale out checkout",
    "considering a rollback of the 13:55 deploy",
    # references (probe9)
    "runbook for rollback: https://wiki.acme.example/kafka/rollback",
    "the rollback button in spinnaker is greyed out",
    "last time the rollback took 20 minutes",
    "prepping the revert in case we need it",
    "previous rollback of checkout took an hour",
    "we rolled back last time and it made things worse",
]


def test_talk_about_a_milestone_sets_none(tmp_path: Path) -> None:
    got, timeline = rows(tmp_path, [said(3 + i, t) for i, t in enumerate(TALK_ABOUT)])
    for i, text in enumerate(TALK_ABOUT):
        row = got.get(ts(3 + i))
        assert row is None or row.kind is Kind.MESSAGE, text
    figures = {m.key: m.seconds for m in compute(timeline)}
    assert figures["time_to_mitigate_s"] is None


STATED = [
    ("rolling back now", Kind.MITIGATE),
    ("rolled back", Kind.MITIGATE),
    ("reverting #820", Kind.MITIGATE),
    ("Rolled back checkout to the previous version", Kind.MITIGATE),
    ("rolling back per the runbook", Kind.MITIGATE),
    ("revert deployed, lag draining: 1.1M -> 600k", Kind.MITIGATE),
    ("root cause is the session timeout in #820", Kind.IDENTIFY),
    ("declaring SEV-1", Kind.DECLARE),
    ("all clear, lag is back to zero (https://grafana.example/d/lag?if=1&plan=2)", Kind.RESOLVE),
    ("not the whole deploy. rolling back #820 now", Kind.MITIGATE),
    ("rolled back #820 and lag should drain in a few minutes", Kind.MITIGATE),
    ("Reverted #820, might take a minute to drain", Kind.MITIGATE),
    ("rolled back | see the runbook https://wiki.example/rollback", Kind.MITIGATE),
]


def test_statements_next_to_talk_keep_their_kind(tmp_path: Path) -> None:
    got, timeline = rows(tmp_path, [said(3 + i, t) for i, (t, _) in enumerate(STATED)])
    for i, (text, kind) in enumerate(STATED):
        assert got[ts(3 + i)].kind is kind, text
    figures = {m.key: m.seconds for m in compute(timeline)}
    assert figures["time_to_mitigate_s"] == 4 * 60  # "rolled back", not "rolling back now"


def test_a_milestone_after_talk_sets_the_figure(tmp_path: Path) -> None:
    got, timeline = rows(
        tmp_path,
        [
            said(3, "not yet - rolling back would also undo the schema migration, checking first"),
            said(5, "happy to revert"),
            said(9, "Rolling back order-consumer: deploying revert #823 now", "U2"),
        ],
    )
    assert got[ts(9)].kind is Kind.MITIGATE
    figures = {m.key: m.seconds for m in compute(timeline)}
    assert figures["time_to_mitigate_s"] == 9 * 60


NOT_DONE_AFTER = [
    # a newcomer's reproducers: the negation, failure, ETA or opinion comes after the words
    "scaling up won't help here",
    "reverting it is too slow, renewing by hand instead",
    "the rollback failed, pipeline red, retrying",
    "rollback blocked by the freeze, asking for override",
    "rollback ETA 5 min",
    "rollback is the safest option imo",
    "reverting the flag will not help",
    "failing over doesn't fix the cert",
    "rollback is stuck on the freeze",
]


def test_a_negation_failure_eta_or_opinion_after_the_words_sets_none(tmp_path: Path) -> None:
    got, timeline = rows(tmp_path, [said(3 + i, t) for i, t in enumerate(NOT_DONE_AFTER)])
    for i, text in enumerate(NOT_DONE_AFTER):
        row = got.get(ts(3 + i))
        assert row is None or row.kind is Kind.MESSAGE, text
    figures = {m.key: m.seconds for m in compute(timeline)}
    assert figures["time_to_mitigate_s"] is None


DONE_DESPITE_WORDS_AFTER = [
    "rolling back now, ETA 5 min",
    "rolling back the failed deploy",
    "reverting the change that didn't compile",
    "rolling back because the canary doesn't look good",
    "rolled back, it didn't help",
    "reverting #820 not the whole deploy",
    "scaled out to 6",
    "reverting",
]


def test_statements_with_such_words_about_something_else_keep_their_kind(tmp_path: Path) -> None:
    texts = DONE_DESPITE_WORDS_AFTER
    got, timeline = rows(tmp_path, [said(3 + i, t) for i, t in enumerate(texts)])
    for i, text in enumerate(texts):
        assert got[ts(3 + i)].kind is Kind.MITIGATE, text
    figures = {m.key: m.seconds for m in compute(timeline)}
    # "rolled back, it didn't help" (7 min) is a row, tried but no help (``step:no-effect``):
    # the first step said done that counts is "scaled out to 6" (9 min)
    assert figures["time_to_mitigate_s"] == 9 * 60


def test_a_statement_of_fact_goes_on_with_failure_words() -> None:
    """Impact and root cause are facts, not steps: "failed" after them is what they report."""
    impact = "customers are reporting failed card payments on checkout"
    assert CLASSIFIER.impact_words(impact) is not None
    assert kind_of("the rollback failed, pipeline red, retrying") is None
