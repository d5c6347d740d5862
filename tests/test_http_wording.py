"""The shared policy's wording (issue #13): one way every source says a timeout and a 429."""

from __future__ import annotations

import pytest

from reconstruct.collectors._http import RetryPolicy, seconds_text, still_rate_limited


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(0.2, "0.2s"), (0.04, "0s"), (2.5, "2.5s"), (3.0, "3s"), (9.96, "10s"), (12.4, "12s")],
)
def test_seconds_read_as_users_expect(seconds: float, said: str) -> None:
    assert seconds_text(seconds) == said


def test_a_short_timeout_never_reads_zero() -> None:
    assert seconds_text(RetryPolicy().floor) == "0.2s"


def test_still_rate_limited_counts_the_policys_waits() -> None:
    said = still_rate_limited(RetryPolicy(rate_limit_retries=4), "Grafana")
    assert (
        said
        == "Grafana still rate limited it after 4 waits (HTTP 429); wait a few minutes and rerun"
    )
