"""The Summary's "preceded" clause names the latest change before impact, a feature flag change
too (issue #11, a tester's nc14a: LaunchDarkly's "Raj Patel updated the flag checkout-pricing-v2
in Production: percentage rollout changed from 0% to 25%" three minutes before the first
symptom, while the lede named a PR merged the day before).

A flag tool's app posts to Slack (``conversations.history`` records with ``bot_id``,
``app_id`` and ``bot_profile``, as LaunchDarkly's app writes them: the flag's key a
``<url|key>`` link, the environment in ``*bold*``); the checkout incident of
``test_window_changes`` (first alert 09:41, trigger 09:42) with PR #2288 merged the day before,
named in the incident channel, and the deploy that shipped it (GitHub deployments and statuses).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from reconstruct.config import Config, GitHubConfig
from reconstruct.model import Timeline
from reconstruct.render import RenderOptions, render
from tests.test_leadup_deploy_ties import checkout_deploy
from tests.test_window_changes import T0, message, rows_with, timeline

NAMED = message(T0 + timedelta(minutes=20), "could yesterday's #2288 be it?", 1)


def flag_post(when: datetime, text: str, n: int = 0) -> dict[str, Any]:
    """LaunchDarkly's Slack app's post about a flag change."""
    return {
        "user": "U09LDBOT07",
        "type": "message",
        "ts": f"{int(when.timestamp())}.{n:06d}",
        "bot_id": "B09LDBOT07",
        "app_id": "A0LDARKLY1",
        "text": text,
        "team": "T024ACME5",
        "bot_profile": {
            "id": "B09LDBOT07",
            "deleted": False,
            "name": "LaunchDarkly",
            "app_id": "A0LDARKLY1",
            "team_id": "T024ACME5",
        },
    }


def rollout(key: str, env: str = "Production", to: int = 100) -> str:
    url = f"https://app.launchdarkly.com/default/production/features/{key}"
    return (
        f"Raj Patel updated the flag <{url}|{key}> in *{env}*: percentage rollout changed "
        f"from 25% to {to}% serving `true`"
    )


def lede(tmp_path: Path, posts: list[dict[str, Any]]) -> tuple[Timeline, str]:
    deployments, prs = checkout_deploy(title="Show the new price breakdown")
    config = Config(github=GitHubConfig(leadup_deploys=1))
    tl = timeline(
        tmp_path,
        messages=[NAMED, *posts],
        deployments=deployments,  # type: ignore[arg-type]
        prs=prs,
        config=config,
    )
    text = render(tl, RenderOptions(), config)
    (line,) = [x for x in text.splitlines() if x.startswith("On 2026-03-14")]
    return tl, line


def preceded(line: str) -> list[str]:
    """The lede's sentences that say what preceded the first alert."""
    return [s for s in line.split(". ") if "preceded the first alert" in s]


def test_without_a_flag_change_the_pr_and_its_deploy_preceded(tmp_path: Path) -> None:
    _, line = lede(tmp_path, [])
    assert [s.partition(",")[0] for s in preceded(line)] == [
        "A change",
        "The deploy that shipped it",
    ]


def test_a_flag_rollout_minutes_before_the_first_alert_is_the_change_that_preceded(
    tmp_path: Path,
) -> None:
    post = flag_post(T0 - timedelta(minutes=5), rollout("checkout-pricing-v2"))
    tl, line = lede(tmp_path, [post])
    assert rows_with(tl, "updated the flag checkout-pricing-v2")
    assert preceded(line) == [
        "A flag rollout of checkout-pricing-v2 to 100% at "
        f"[09:37](https://acme.slack.com/archives/C0INC4711/p{int(post['ts'].split('.')[0])}000000)"
        " preceded the first alert by 4m 00s"
    ]
    assert "caused" not in line


def test_an_unrelated_flag_changed_just_before_is_not_named(tmp_path: Path) -> None:
    """A flag nothing of the incident names and whose key holds no affected service."""
    post = flag_post(T0 - timedelta(minutes=5), rollout("search-ranking-v3"))
    tl, line = lede(tmp_path, [post])
    assert rows_with(tl, "updated the flag search-ranking-v3")  # a bot post in the channel
    assert "search-ranking-v3" not in line
    assert preceded(line)[0].startswith("A change, “Merged PR #2288")


def test_a_flag_of_another_name_the_incident_names_is_tied(tmp_path: Path) -> None:
    post = flag_post(T0 - timedelta(minutes=5), rollout("price-engine-v2", to=50))
    said = message(T0 + timedelta(minutes=30), "rolling price-engine-v2 back to 0", 2)
    _, line = lede(tmp_path, [post, said])
    assert preceded(line)[0].startswith("A flag rollout of price-engine-v2 to 50% at [09:37]")


def test_a_flag_change_after_impact_start_is_not_what_preceded(tmp_path: Path) -> None:
    post = flag_post(T0 + timedelta(minutes=10), rollout("checkout-pricing-v2"))
    tl, line = lede(tmp_path, [post])
    assert rows_with(tl, "updated the flag checkout-pricing-v2")
    assert "checkout-pricing-v2" not in line
    assert preceded(line)[0].startswith("A change, “Merged PR #2288")


def test_a_flag_change_in_staging_is_not_what_preceded(tmp_path: Path) -> None:
    post = flag_post(T0 - timedelta(minutes=5), rollout("checkout-pricing-v2", env="Staging"))
    _, line = lede(tmp_path, [post])
    assert "checkout-pricing-v2" not in line


def test_a_flag_turned_off_targeting_is_turned_off(tmp_path: Path) -> None:
    url = "https://app.launchdarkly.com/default/production/features/checkout-pricing-v2"
    text = (
        f"Samantha Ortiz turned off targeting for the flag <{url}|checkout-pricing-v2> in "
        "*Production*"
    )
    _, line = lede(tmp_path, [flag_post(T0 - timedelta(minutes=3), text)])
    assert preceded(line)[0].startswith("The flag checkout-pricing-v2 turned off at [09:39]")
