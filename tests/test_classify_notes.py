"""An incident note's words count for the milestones, as the same words in chat do (``classify``).

Inputs: PagerDuty ``annotate_log_entry`` records (``GET /incidents/{id}/log_entries``: the note's
text in ``channel.summary``, ``channel.type: "note"``; PagerDuty REST API reference, "List log
entries"), the PagerDuty Slack app's post of the note, a person's own copy in chat; and the
feature-flag, traffic and load mitigations the default words name, said done or under way.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconstruct.model import Kind
from reconstruct.render import metrics
from tests.classify_table import cases, kind_of
from tests.test_note_echoes import KIM_PD, app_note_post, note
from tests.test_rows import KIM, one, said, timeline, trigger

ROLLED = "Rolled back: disabled search_v2_ranking flag and reverted PR #901."


STEPS = [
    "Disabled flag search_v2_ranking for all tenants",
    "disabling the search_v2_ranking flag now",
    "turned off the new-ranking feature flag",
    "switched off the checkout_v3 toggle",
    "killed the search_v2_ranking flag",
    "flag search_v2_ranking disabled for all tenants",
    "feature flag checkout_v3 was turned off at 10:20",
    "flipped search_v2_ranking off",
    "flipped the kill switch on ranking",
    "failing traffic over to us-west-2",
    "drained node ip-10-0-3-7",
    "draining es-data-2 now",
    "blocked the bad client",
    "rate-limited tenant acme-42",
    "banned 203.0.113.7",
    "shedding load on the edge",
    "paused the reindex job",
    "suspending orders-consumer",
    "scaled out search-api to 12",
]
"""A flag, traffic or load step said done or under way: a mitigation."""

NOT_STEPS = [
    "the flag was disabled by default",
    "should we disable the flag?",
    "disable flag search_v2_ranking?",
    "disable the flag",  # an instruction: counts when someone records it done
    "flag search_v2_ranking is disabled in staging",  # a state, not a step
    # "consumer lag drained from the brokers": no step, a status (test_classify_recovered)
    "rollback blocked by the freeze",
    "we are being rate limited by GitHub",
    "paused for a minute to think",
    "disabled alerts for the maintenance",
    "disabling the flag would be risky",
    "lag is draining on the brokers",
    "lag draining slowly across brokers",
    "impact limited to EU customers",
    "limited impact to EU customers",
    "deploys blocked for all tenants",
]
"""A question, a state, an instruction or another sense of the words: no kind."""


@pytest.mark.parametrize(("text", "kind"), [*cases(Kind.MITIGATE, STEPS), *cases(None, NOT_STEPS)])
def test_a_flag_traffic_or_load_step_said_done_or_under_way_is_a_mitigation(
    text: str, kind: Kind | None
) -> None:
    assert kind_of(text) is kind


def _mitigated(tmp_path: Path, *entries: dict[str, object]) -> tuple[float | None, str]:
    tl = timeline(tmp_path, [trigger(), *entries], [], [KIM])
    mark = metrics.milestones(tl).mitigated
    figure = metrics.as_json(metrics.compute(tl))["time_to_mitigate_s"]
    return figure, mark.event.summary if mark and mark.event else ""


def test_a_pagerduty_note_saying_it_was_done_sets_time_to_mitigate(tmp_path: Path) -> None:
    figure, summary = _mitigated(tmp_path, note(30, ROLLED))
    assert figure == 30 * 60 and summary == f"Note by Kim Nguyen: {ROLLED}"


def test_a_note_under_way_counts_and_a_plan_or_question_does_not(tmp_path: Path) -> None:
    under_way = "Disabling search_v2_ranking flag and reverting PR #901"
    assert _mitigated(tmp_path / "a", note(12, under_way))[0] == 12 * 60
    assert _mitigated(tmp_path / "b", note(12, "should we disable the flag?"))[0] is None
    assert _mitigated(tmp_path / "c", note(12, "Plan: revert PR #901 after lunch"))[0] is None


def test_a_note_keeps_its_tag_and_still_joins_the_apps_post_and_the_authors_copy(
    tmp_path: Path,
) -> None:
    messages = [app_note_post(30.05, ROLLED), said("U03KIM", 30.3, ROLLED)]
    tl = timeline(tmp_path, [trigger(), note(30, ROLLED)], messages, [KIM], [], [], [KIM_PD])
    row = one(tl, "search_v2_ranking")
    assert row.kind is Kind.MITIGATE and "note" in row.tags
    assert sorted(set(row.sources)) == ["pagerduty", "slack"]
    assert len([link for link in row.links if "slack.com" in link.url]) == 2
    assert metrics.as_json(metrics.compute(tl))["time_to_mitigate_s"] == 30 * 60


def test_a_note_declaring_the_incident_or_stating_impact_counts_for_those_figures(
    tmp_path: Path,
) -> None:
    tl = timeline(
        tmp_path,
        [
            trigger(),
            note(4, "Declaring a SEV-1 incident for checkout"),
            note(6, "Customers are reporting failed payments since the deploy"),
        ],
        [],
        [KIM],
    )
    declared = one(tl, "Declaring a SEV-1")
    assert declared.kind is Kind.DECLARE and "note" in declared.tags
    impact = one(tl, "Customers are reporting")
    assert impact.kind is Kind.UPDATE and {"note", "impact"} <= impact.tags
