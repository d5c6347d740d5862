"""Lead-up relevance by shared words (``normalize.leadup`` rule 2): common and short words relate
no change, identifiers do, one word alone never does.

The changes and notes go through ``normalize`` as a run's do (``tests.test_normalize`` helpers);
``tests.test_selection_wire`` has the same rule from PagerDuty and GitHub wire records.
"""

from __future__ import annotations

from reconstruct.model import Event, Kind
from reconstruct.normalize.leadup import _words, identifiers
from tests.test_normalize import change, ev, run


def note(text: str) -> Event:
    return ev("pagerduty:log_entry:N1", text, at=600, kind=Kind.MESSAGE, tags=("note",))


def leadup_reasons(*events: Event) -> dict[str, str]:
    result = run(*events)
    return {e.key.rsplit(":", 1)[1]: e.reason for e in result.events if "leadup" in e.tags}


def test_common_and_short_words_are_no_vocabulary_but_capital_acronyms_are() -> None:
    words = _words("Fix typo in the consumer log line; cut TTL and the ttl of dns", frozenset())
    assert words == {"consumer", "ttl"}  # "TTL" in capitals; "dns" is short, "line" common


def test_identifiers_are_names_not_hyphenated_words_links_or_the_services_own() -> None:
    text = (
        "session.timeout.ms, cache_ttl, src/pool.py, RateLimiter, redis-cache, follow-up, "
        "read-only, v2.3.0, checkout-api, see https://wiki.example/a.b/c_d"
    )
    assert identifiers(text, frozenset({"checkout", "api"})) == {
        "session timeout ms": "session.timeout.ms",
        "cache ttl": "cache_ttl",
        "src pool py": "src/pool.py",
        "rate limiter": "RateLimiter",
        "redis cache": "redis-cache",
    }


def test_a_single_shared_word_relates_no_change() -> None:
    reasons = leadup_reasons(
        note("Cause: the consumer stalls after one line of backlog"),
        change(1, "Fix typo in consumer log line", days=2),
        change(2, "Rework consumer backlog handling", days=3),
    )
    assert reasons == {
        "2": 'leadup change sharing "backlog", "consumer" with the incident\'s title and notes'
    }


def test_an_identifier_alone_relates_a_change() -> None:
    reasons = leadup_reasons(
        note("Cause: max_conn of the replicas is below the worker fleet"),
        change(1, "Raise max_conn to 200", days=5),
        change(2, "Resize worker fleet replicas", days=1),
    )
    assert reasons["1"] == 'leadup change sharing "max_conn" with the incident\'s title and notes'
    assert reasons["2"].startswith('leadup change sharing "fleet", "replicas", "worker"')
