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
    assert figures["time_to_mitigate_s"] == 3 * 60
