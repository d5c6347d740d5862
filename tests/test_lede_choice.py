"""The Summary's lede names the change the incident's own records name (a root-cause message
first), the deploy that shipped it (its PR ref, from GitHub's merge sha), gives every span as the
figures do, and quotes row text without cutting a word or the state at its end. GitHub pulls
(``merge_commit_sha``, ``user``), deployments and statuses, Slack messages, PagerDuty log entries
in their wire shapes (``tests.test_figures_wire``)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from reconstruct.render import metrics
from reconstruct.render.lede import fit
from tests.test_figures_wire import (
    at,
    bundle,
    deployment,
    log_entry,
    markdown,
    merged_pr,
    slack_message,
    timeline_of,
)

ROOT_SHA = "412" + "a" * 37
OTHER_SHA = "903" + "b" * 37


def summary(tmp_path: Path, messages: list[dict]) -> tuple[str, metrics.Milestones]:
    start = at(14, 12)
    prs = [
        merged_pr(412, "Raise cache TTL to 600s", "", start - timedelta(days=3), ROOT_SHA),
        merged_pr(903, "Tune checkout batch size", "", at(13, 40), OTHER_SHA),
    ]
    deploys = [
        deployment(1, ROOT_SHA, start - timedelta(days=3) + timedelta(minutes=50)),
        deployment(2, OTHER_SHA, at(13, 50, 30)),
    ]
    entries = [log_entry("R1", "trigger", start), log_entry("R3", "resolve", at(14, 59))]
    tl = timeline_of(
        bundle(
            tmp_path,
            start,
            at(14, 59),
            entries=entries,
            messages=messages,
            deployments=deploys,
            prs=prs,
        )
    )
    text = markdown(tl).split("## Summary\n", 1)[1].split("## Impact", 1)[0]
    return text, metrics.milestones(tl)


def test_the_change_a_root_cause_row_names_and_the_deploy_that_shipped_it(
    tmp_path: Path,
) -> None:
    said = [slack_message(at(14, 30), "root cause: #412 raised the cache TTL, cache never warms")]
    text, marks = summary(tmp_path, said)
    assert marks.last_change is not None and "PR #412" in marks.last_change.summary
    assert marks.last_deploy is not None and "pr:acme/checkout#412" in marks.last_deploy.refs
    change = "A change, “Merged PR #412: Raise cache TTL to 600s (opened by kim)”, at "
    assert change in text
    # the exact span, as the figures write one: 3 days before 14:12, to the second
    assert "preceded the first alert by 3d 0h 00m." in text
    shipped = (
        "“Deployed PR #412 (Raise cache TTL to 600s) to production: acme/checkout 412aaaa (main)”"
    )
    assert f"The deploy that shipped it, {shipped}" in text
    assert "preceded the first alert by 2d 23h 10m." in text
    assert text.index(change) < text.index("The deploy that shipped it")
    assert "PR #903" not in text and "903bbbb" not in text


def test_without_such_a_row_the_latest_change_and_deploy(tmp_path: Path) -> None:
    text, _ = summary(tmp_path, [slack_message(at(14, 30), "looking into it")])
    assert "A change, “Merged PR #903: Tune checkout batch size (opened by kim)”, at " in text
    assert "preceded the first alert by 32m 00s." in text
    shipped = (
        "“Deployed PR #903 (Tune checkout batch size) to production: acme/checkout 903bbbb (main)”"
    )
    assert f"The deploy that shipped it, {shipped}" in text
    assert "preceded the first alert by 21m 30s." in text  # exact: 13:50:30 -> 14:12:00


ALERT = (
    "Grafana alert KafkaBrokerDiskUsageHigh (instance=kafka-broker-2:9100, "
    "mountpoint=/var/lib/kafka) firing"
)


def test_a_quote_loses_its_labels_before_its_state_and_never_half_a_word() -> None:
    assert fit(ALERT, 200) == ALERT
    assert fit(ALERT, 100) == (
        "Grafana alert KafkaBrokerDiskUsageHigh (instance=kafka-broker-2:9100, …) firing"
    )
    assert fit(ALERT, 60) == "Grafana alert KafkaBrokerDiskUsageHigh (…) firing"
    assert fit("Merged PR #903: Enable producer idempotence (labels: performance)", 55) == (
        "Merged PR #903: Enable producer idempotence"
    )
    plain = "Status update by Mei Lin: we are seeing recovery on all consumers now"
    assert fit(plain, 40) == "Status update by Mei Lin: we are seeing…"
    for limit in range(1, len(ALERT) + 1):
        got = fit(ALERT, limit)
        assert len(got) <= limit
        words = got.replace("…", " ").replace("(", " ").replace(")", " ").replace(",", " ")
        assert set(words.split()) <= set(
            ALERT.replace("(", " ").replace(")", " ").replace(",", " ").split()
        ), got


MERGED = (
    "Merged PR #901: Roll out search_v2_ranking flag to 50% of tenants (opened by Dana Lopez)"
    " (labels: feature-flag, ranking)"
)
REVERT = (
    "Deployed revert PR #905 (reverts PR #901) to production: acme/search-api c0ffee1 (main)"
    " (started 10:32)"
)


def test_a_quote_drops_the_labels_first_and_keeps_the_author() -> None:
    assert fit(MERGED, 100) == (
        "Merged PR #901: Roll out search_v2_ranking flag to 50% of tenants (opened by Dana Lopez)"
    )
    # the author gives up whole words, never "(opened…)"
    assert fit(MERGED, 75) == (
        "Merged PR #901: Roll out search_v2_ranking flag to 50% of tenants (…)"
    )


def test_a_quote_never_cuts_inside_a_pr_or_commit_reference() -> None:
    assert fit(REVERT, 100) == (
        "Deployed revert PR #905 (reverts PR #901) to production: acme/search-api c0ffee1 (main)"
        " (…)"
    )
    for limit in range(1, len(REVERT) + 1):
        got = fit(REVERT, limit)
        assert len(got) <= limit, got
        assert "(reverts PR…" not in got and not got.endswith(("PR…", "PR #…")), got
        # every reference whole or absent: no "#90", no "c0ffe", no "PR" without its number
        assert set(re.findall(r"#\d+", got)) <= {"#905", "#901"}, got
        assert set(re.findall(r"\bc0\w*", got)) <= {"c0ffee1"}, got
        assert all(m.end() < len(got) and got[m.end()] == " " for m in re.finditer("PR", got))
    assert fit("Deployed acme/search-api c0ffee1234 to production", 33) == (
        "Deployed acme/search-api…"
    )
    assert fit("Reverted commit c0ffee1234 by hand", 24) == "Reverted…"
