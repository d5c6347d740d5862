"""The classifier's prefilter (``classify._Prefilter``) says "may match" exactly when one of the
patterns matches: the required words found by one Aho-Corasick pass gate only their own
patterns, and text outside ASCII takes the whole alternation (issue #13: the offline hot path
runs it on every person's message)."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from reconstruct.config import ClassifyConfig, Config
from reconstruct.normalize.classify import compile_classifier

WORDS = [
    "root cause", "Root Cause", "rolled back", "ROLLING BACK", "errors spiked", "error rate",
    "users are seeing", "customers reporting", "declared", "SEV-1", "incident", "all clear",
    "recovered", "failing over", "scaled out", "opened a war room", "found the culprit",
    "was caused by", "mitigation", "reverted", "impact started", "checkout", "p99", "ok",
    "disabled", "flag", "search_v2", "drained", "node", "paused", "the", "job", "off", "flipped",
    "é", "Ⅸ", "ǅ", "İ", "K",  # non-ASCII: folding rules differ, the whole alternation runs
]  # fmt: skip


def _any_pattern(config: ClassifyConfig, text: str) -> bool:
    groups = [config.declare, config.identify, config.mitigate, config.resolve, config.impact]
    return any(re.search(p, text, re.IGNORECASE) for group in groups for p in group)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join))
@example("drained İ SEV-1")  # "İ" lower-cases to "i" and a combining dot: two code points
@example("flipped İ off")  # ... and the dot is no \w: lower-cased, "flipped i̇ off" matches none
def test_the_prefilter_lets_through_exactly_the_texts_a_pattern_matches(text: str) -> None:
    config = Config().classify
    prefilter = compile_classifier(config).human_any
    assert prefilter is not None and prefilter.words is not None
    assert prefilter.search(text) == _any_pattern(config, text)


def test_a_team_pattern_with_capitals_is_searched_in_the_text_as_written() -> None:
    config = ClassifyConfig.model_validate({"identify": [r"\bRCA\b", r"root cause"]})
    prefilter = compile_classifier(config).human_any
    assert prefilter is not None and not prefilter.lower
    assert prefilter.search("posting the rca now") and prefilter.search("RCA: the cache ttl")
    assert not prefilter.search("arcane")
