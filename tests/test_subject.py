"""One reader of a notifier's default subject (``reconstruct.subject``), used everywhere a
``[FIRING:n] ...`` title is read: a PagerDuty alert's summary, a chat post's title, the refs a
text carries, the default ``bot_kinds`` alert pattern.

The subjects below are written as the ``__subject`` templates render them: Alertmanager's
``template/default.tmpl`` (``[FIRING:<n>]`` / ``[RESOLVED]``, no resolved count) and Grafana's
``default.title`` in grafana/alerting ``templates/default_template.go`` (``, RESOLVED:<m>`` inside
a firing bracket); the group labels' values sorted by label name and joined by one space, then
always a space, then the other common labels' values in parentheses when there are any.
"""

from __future__ import annotations

import re

import pytest

from reconstruct.config import ClassifyConfig
from reconstruct.normalize.groupposts import group_post
from reconstruct.normalize.refs import refs_in_text
from reconstruct.subject import BRACKET, Subject, parse_subject, subjects_in

NODE, ZONE = "gke-prod-pool-b-5c1d9e00-bmxj", "europe-west1-b"


@pytest.mark.parametrize(
    ("text", "status", "firing", "resolved", "rule", "common"),
    [
        # Alertmanager, grouped by alertname and service (values sorted by label name)
        ("[FIRING:3] HighLatency checkout (prod critical)", "firing", 3, None,
         "HighLatency checkout", "prod critical"),
        # Alertmanager's resolved notification: no count at all
        ("[RESOLVED] HighLatency checkout (prod critical)", "resolved", None, None,
         "HighLatency checkout", "prod critical"),
        # Grafana's mixed group: some firing, some resolved
        ("[FIRING:12, RESOLVED:18] CheckoutLatencyP99High Checkout (prod-eu-1 checkout critical)",
         "firing", 12, 18, "CheckoutLatencyP99High Checkout", "prod-eu-1 checkout critical"),
        # a Grafana rule title of several words, then its folder (Grafana's default group_by)
        ("[FIRING:1] Cache hit ratio low Caches (cache-07 prod)", "firing", 1, None,
         "Cache hit ratio low Caches", "cache-07 prod"),
        # every common label is a group label: no parentheses, the template's trailing space
        ("[FIRING:44] HighCPU ", "firing", 44, None, "HighCPU", None),
        ("[RESOLVED] Disk almost full", "resolved", None, None, "Disk almost full", None),
        # no group_by (Alertmanager's default route): no group values, two spaces, the common ones
        ("[FIRING:2]  (KafkaLagHigh kafka-2 orders)", "firing", 2, None, "",
         "KafkaLagHigh kafka-2 orders"),
        # Grafana legacy alerting's titles
        ("[Alerting] High CPU on web", "firing", None, None, "High CPU on web", None),
        ("[OK] High CPU on web", "resolved", None, None, "High CPU on web", None),
        # a chat post's title with Slack bold around it, its alert list after it on the same line
        ("*[FIRING:2] IngressNode5xxHigh (critical)* Firing Value: B=0.31 Labels: - pod = p-1",
         "firing", 2, None, "IngressNode5xxHigh", "critical"),
    ],
)  # fmt: skip
def test_a_subject_gives_its_status_counts_rule_and_common_values(
    text: str, status: str, firing: int | None, resolved: int | None, rule: str, common: str | None
) -> None:
    subject = parse_subject(text)
    assert subject is not None
    assert (subject.status, subject.firing, subject.resolved) == (status, firing, resolved)
    assert (subject.rule, subject.common) == (rule, common)


def test_where_the_subject_ends_and_what_it_says_without_its_bracket() -> None:
    """The render side strips the status from a draft's title: ``title``, and what follows."""
    text = f"[FIRING:1] IngressNode5xxHigh ({NODE} {ZONE})"
    subject = parse_subject(text)
    assert subject is not None
    assert subject.title == f"IngressNode5xxHigh ({NODE} {ZONE})"
    assert (subject.start, subject.end) == (0, len(text))
    am = parse_subject("[FIRING:44] HighCPU ")
    assert am is not None and am.title == "HighCPU" and am.end == len("[FIRING:44] HighCPU")
    bare = parse_subject("[FIRING:2]  (KafkaLagHigh kafka-2)")
    assert bare is not None and bare.title == "(KafkaLagHigh kafka-2)"
    post = "> [RESOLVED] KafkaLagHigh (orders) - all partitions caught up"
    said = parse_subject(post)
    assert said is not None and said.start == 2
    assert post[said.end :] == " - all partitions caught up"


@pytest.mark.parametrize(
    "text",
    [
        "Triggered: High CPU",
        "[Triggered on {host:web-1}] CPU high",  # Datadog's monitor title
        "[INFO] deploy done",
        "FIRING:1 HighCPU",
        "[FIRING:x] HighCPU",
        "[FIRING:1 HighCPU",
        "see [FIRING:1] HighCPU above",  # not the text's start: a quote of one
        "",
    ],
)
def test_text_that_does_not_start_with_a_subject_is_none(text: str) -> None:
    assert parse_subject(text) is None


def test_every_subject_a_text_holds() -> None:
    text = "see [FIRING:1] HighCPU (web-1) and then\n[RESOLVED] HighCPU (web-1)"
    found = list(subjects_in(text))
    assert [(s.status, s.rule, s.common) for s in found] == [
        ("firing", "HighCPU", "web-1"),
        ("resolved", "HighCPU", "web-1"),
    ]
    assert text[found[1].start : found[1].end] == "[RESOLVED] HighCPU (web-1)"
    assert list(subjects_in("no brackets here")) == []


SUBJECTS = [
    "[FIRING:3] HighLatency checkout (prod critical)",
    "[FIRING:12, RESOLVED:18] CheckoutLatencyP99High Checkout (prod-eu-1 checkout critical)",
    "[RESOLVED] HighLatency checkout",
    "[FIRING:2]  (KafkaLagHigh kafka-2 orders)",
    "[Alerting] High CPU",
    "*[FIRING:1] X*",
    "[[FIRING:1] X",
    "([FIRING:1] X)",
    "High CPU on web-1",
    "[Triggered] CPU high",
    "FIRING:1 X",
]


@pytest.mark.parametrize("text", SUBJECTS)
def test_every_reader_agrees_on_what_is_a_subject(text: str) -> None:
    """The default ``bot_kinds`` alert pattern, a chat post's group and the refs read the same
    subjects: one parser, no hand copies that drift."""
    subject = parse_subject(text)
    pattern = ClassifyConfig().bot_kinds["alert"][0]
    assert BRACKET in pattern
    assert (re.search(pattern, text, re.IGNORECASE) is not None) == (subject is not None)
    post = group_post(text)
    assert (post is not None) == (subject is not None)
    rules = {r for r in refs_in_text(text) if r.startswith("rule:")}
    if subject is None:
        assert not rules
    else:
        assert post is not None and post.firing == subject.firing
        assert post.resolved == subject.resolved
        if subject.rule:
            first = subject.rule.lower().rstrip("*").split()[0]
            assert f"rule:{first}:{subject.status}" in rules


def test_a_subject_is_a_value() -> None:
    assert parse_subject("[FIRING:1] X") == Subject("firing", 1, None, "X", None, 0, 12)
