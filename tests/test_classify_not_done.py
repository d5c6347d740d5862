"""Words that are not a step done (``[classify]``, nc13a/nc13b): an instruction or plan in a
bare verb ("revert in parallel", "roll back ledger-consumer to the previous revision"), an
approval ("revert #419 approved"), another incident's step ("reverting is what we did in
INC-6120") set no mitigation; a step said done but not live ("reverted in git, deploy pending")
and a deploy of the revert "started" are under way at most. Then the figure through the real
parsers: Slack ``conversations.history`` messages (``user``, ``text``, ``ts``) and PagerDuty
log entries; time to mitigate is the first step said done.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from reconstruct.model import Event, Kind
from reconstruct.normalize.instances import WRITTEN
from reconstruct.render import metrics
from tests.classify_table import CLASSIFIER, cases, kind_of
from tests.test_rows import KIM, T0, said, timeline, trigger

NOT_STEPS = [
    # an instruction or a plan: a bare verb
    "restart first to get a clean generation, revert in parallel",
    "revert in parallel",
    "Luis restart first, then revert",
    "roll back ledger-consumer to the previous revision",
    "scale up the consumers",
    "fail over to the replica",
    # an approval is not the step
    "revert #419 approved",
    "rollback approved by the IC",
    # another incident's step
    "reverting is what we did in INC-6120",
    "rolled back like in INC-6120",
]
"""No step done or under way: no kind."""

STEPS = [
    "rollback done",
    "revert is live",
    "Revert of #412 (platform-infra#419) live 14:52",
    "rollback to v2.3.0 completed",
    "did a rollback of checkout",
    "deployed the revert",
    "revert merged",
    "deploy of the revert started",
    "started the rollback",
    "revert in progress",
    "reverted in git, deploy pending",
    "reverting the ClusterIssuer change, approving #419",
]
"""A step said done or under way, however named: a mitigation."""


@pytest.mark.parametrize(("text", "kind"), [*cases(None, NOT_STEPS), *cases(Kind.MITIGATE, STEPS)])
def test_each_table_gets_its_kind(text: str, kind: Kind | None) -> None:
    assert kind_of(text) is kind


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("deploy of the revert started", "revert started"),
        ("started the rollback", "started the rollback"),
        ("rollback done", "rollback done"),
    ],
)
def test_a_bare_steps_words_keep_what_says_it_done_or_under_way(text: str, words: str) -> None:
    """The reason's words name the state too: ``metrics.under_way`` reads a start from them."""
    assert CLASSIFIER.human_text(text) == (Kind.MITIGATE, words)


@pytest.mark.parametrize(
    "first",
    [
        "revert #419 approved",
        "reverted in git, deploy pending",
        "reverting is what we did in INC-6120",
        "deploy of the revert started",
        "revert in parallel",
    ],
)
def test_time_to_mitigate_is_the_revert_said_live(tmp_path: Path, first: str) -> None:
    """The nc13b incident: words that are no step done come first; the step said done at 25
    minutes counts."""
    messages = [
        said("U03KIM", 10, first),
        said("U03KIM", 25, "revert is live in production"),
    ]
    tl = timeline(tmp_path, [trigger()], messages, [KIM])
    mark = metrics.milestones(tl).mitigated
    assert mark is not None and mark.time == T0 + timedelta(minutes=25), (first, mark)


def test_a_step_not_live_counts_only_when_none_is_done(tmp_path: Path) -> None:
    tl = timeline(
        tmp_path, [trigger()], [said("U03KIM", 10, "reverted in git, deploy pending")], [KIM]
    )
    mark = metrics.milestones(tl).mitigated
    assert mark is not None and mark.time == T0 + timedelta(minutes=10)
    assert mark.event is not None and metrics.under_way(mark.event)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Rollback checkout to v2.3.0", Kind.MITIGATE),
        ("Revert #412 (tags: edge)", Kind.MITIGATE),
        ("should we roll back?", None),
    ],
)
def test_a_persons_annotation_marks_the_step_at_its_time(text: str, kind: Kind | None) -> None:
    """A dashboard annotation a person wrote marks what happened at its time: a bare step word
    there is the step (a question still is none)."""
    note = Event(
        time=T0,
        kind=Kind.ANNOTATION,
        summary=text,
        sources=("grafana",),
        links=(),
        key="grafana:annotation:1",
        tags=frozenset({WRITTEN}),
    )
    found = CLASSIFIER.classify(note)
    assert (found[0] if found is not None else None) is kind
