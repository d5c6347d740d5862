"""The default ``[github] leadup_match`` terms need a tie to the incident (``normalize.leadup``
rule 3): "retry" alone says nothing about a checkout incident, "retry" in a change that names the
checkout service, or shares a word with the incident's notes, does. Terms set in the config count
alone; a change named in the incident channel is shown whatever its title.

Wire format as ``tests.test_selection_wire`` writes it: a PagerDuty incident on the service
"checkout" ("Checkout returning 5xx"), PagerDuty notes, Slack conversations.history messages,
GitHub merged-PR search results.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from reconstruct.config import DEFAULT_LEADUP_MATCH, Config, GitHubConfig, load_config
from tests.test_selection_wire import INC, T0, absent, check_accounts, iso, message, pr_item, row
from tests.test_selection_wire import timeline as wire_timeline

NOT_RELEVANT = "earlier changes not found relevant to this incident in github:acme/checkout"


def _prs() -> list[object]:
    return [
        pr_item(1301, "Add retry to the billing client", T0 - timedelta(days=2)),
        pr_item(1302, "Add retry to checkout-api client", T0 - timedelta(days=3)),
    ]


def test_a_default_term_counts_only_with_the_affected_service_named(tmp_path: Path) -> None:
    tl = wire_timeline(tmp_path, prs=_prs())
    assert absent(tl, "billing client")
    assert row(tl, "Add retry to checkout-api client").reason == (
        'leadup change matching "retry" and naming the affected service "checkout"'
    )
    assert tl.accounts["github"].omitted == {NOT_RELEVANT: 1}
    check_accounts(tl)


def test_a_change_named_in_the_incident_channel_is_shown_whatever_its_title(
    tmp_path: Path,
) -> None:
    slack = {INC: [message(T0 + timedelta(minutes=12), "could #1301 be it? it went out Tuesday")]}
    tl = wire_timeline(tmp_path, slack=slack, prs=_prs())
    assert row(tl, "billing client").reason == 'leadup change "#1301" named in the evidence'
    assert row(tl, "checkout-api client")
    check_accounts(tl)


def test_a_default_term_counts_with_a_word_of_the_incidents_notes(tmp_path: Path) -> None:
    note = {
        "id": "PNOTE7",
        "created_at": iso(T0 + timedelta(minutes=25)),
        "content": "Cause: the billing calls hang and hold checkout threads",
        "user": {"id": "PU1", "type": "user_reference", "summary": "Kim Nguyen"},
    }
    tl = wire_timeline(tmp_path, notes=[note], prs=_prs())
    assert row(tl, "billing client").reason == (
        'leadup change matching "retry"; leadup change sharing "billing" with the incident\'s '
        "title and notes"
    )
    check_accounts(tl)


def test_terms_set_in_the_config_count_alone(tmp_path: Path) -> None:
    toml = tmp_path / "reconstruct.toml"
    toml.write_text('[github]\nrepos = ["acme/checkout"]\nleadup_match = ["retry", "billing"]\n')
    tl = wire_timeline(tmp_path / "set", prs=_prs(), config=load_config(toml))
    assert row(tl, "billing client").reason == 'leadup change matching "retry"'
    assert row(tl, "checkout-api client").reason == 'leadup change matching "retry"'
    check_accounts(tl)


def test_the_default_terms_written_out_in_the_config_are_the_default(tmp_path: Path) -> None:
    # the README's sample config lists the default terms: copied, they mean what they meant
    config = Config(github=GitHubConfig(leadup_match=tuple(reversed(DEFAULT_LEADUP_MATCH))))
    assert config.leadup(["checkout"]).default_terms
    tl = wire_timeline(tmp_path, prs=_prs(), config=config)
    assert absent(tl, "billing client")
    assert row(tl, "checkout-api client")


def test_a_service_named_in_words_is_named_in_any_of_its_forms(tmp_path: Path) -> None:
    tl = wire_timeline(tmp_path, prs=_prs(), service="Checkout API")
    assert absent(tl, "billing client")  # "api" alone names no service
    assert row(tl, "Add retry to checkout-api client").reason == (
        'leadup change matching "retry" and naming the affected service "checkout api"'
    )
