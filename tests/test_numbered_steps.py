"""A thing a console names by its number is a step's object (#11; tester nc17a, a WAF rule
disabled by hand): "disabling rule 1002 in the console now", "rule 1002 disabled, 403s
dropping" and the person's annotation "disabled WAF rule 1002 in Cloudflare dashboard" are one
step, one row; a rule switched to only watch ("from block to log", "log-only", "monitor mode")
is a mitigation; "rule 1003" is another step.

Inputs in the tools' wire formats: Slack ``conversations.history`` messages (``ts``, ``user``),
``users.list`` profiles with emails, Grafana ``GET /api/annotations`` (``time`` in epoch ms,
``login``/``email``), a PagerDuty incident and its trigger log entry. Cloudflare's WAF names a
custom rule's actions Block, Log, Skip...; AWS WAF's Count and ModSecurity's DetectionOnly are
the same "watch only" mode.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconstruct.config import Config
from reconstruct.model import Event, Kind
from reconstruct.normalize.classify import UNDER_WAY, classify, compile_classifier
from reconstruct.normalize.steps import numbered
from tests.test_figures_wire import figures
from tests.test_rows import KIM, LEE, annotation, said, texts, timeline, trigger

USERS = [LEE, KIM]


def kind_of(text: str) -> tuple[str, bool]:
    event = Event(time=datetime(2026, 11, 24, 9, 35, tzinfo=UTC), kind=Kind.MESSAGE,
                  summary=text, sources=("slack",), links=(), key="slack:1",
                  tags=frozenset({"human"}))  # fmt: skip
    (out,), _ = classify([event], compile_classifier(Config().classify))
    return out.kind.value, UNDER_WAY in out.tags


@pytest.mark.parametrize(
    ("text", "kind", "going"),
    [
        ("rule 1002 disabled, 403s dropping", "mitigate", False),
        ("WAF rule 1002 was disabled at 09:35", "mitigate", False),
        ("policy 7 disabled", "mitigate", False),
        ("switched rule 1002 from block to log", "mitigate", False),
        ("set rule 1002 to log-only", "mitigate", False),
        ("putting the WAF in monitor mode", "mitigate", True),
        ("flag search_v2_ranking disabled", "mitigate", False),  # a name ending in "ing"
        ("set it back to log", "message", False),
        ("should we set rule 1002 to log-only?", "message", False),
        ("rule 1002 is disabled in staging", "message", False),
        ("we set the log level to debug", "message", False),
    ],
)
def test_a_rule_disabled_or_set_to_watch_only_is_a_step(text: str, kind: str, going: bool) -> None:
    assert kind_of(text) == (kind, going)


def test_numbered_objects() -> None:
    assert numbered("disabled WAF rule 1002 in Cloudflare") == {"rule 1002"}
    assert numbered("drained node #3 and shard 7") == {"node 3", "shard 7"}
    assert numbered("p99 at 1002 ms") == frozenset()


def test_one_persons_records_of_one_numbered_rule_are_one_row(tmp_path: Path) -> None:
    start = said("U02LEE", 5, "disabling rule 1002 in the console now")
    done = said("U02LEE", 9, "rule 1002 disabled, 403s dropping")
    note = annotation(9.5, "disabled WAF rule 1002 in Cloudflare dashboard", "lee",
                      "lee@acme.example")  # fmt: skip
    tl = timeline(tmp_path, [trigger()], [start, done], USERS, [note])
    rows = [e for e in tl.events if "1002" in e.summary]
    assert len(rows) == 1, texts(tl)
    assert rows[0].summary.endswith("(started 09:47)") and len(rows[0].links) == 3
    assert figures(tl)["time_to_mitigate_s"] == 9 * 60


def test_another_numbered_rule_is_another_step(tmp_path: Path) -> None:
    done = said("U02LEE", 9, "rule 1002 disabled")
    note = annotation(9.5, "disabled WAF rule 1003 in Cloudflare dashboard", "lee",
                      "lee@acme.example")  # fmt: skip
    tl = timeline(tmp_path, [trigger()], [done], USERS, [note])
    assert len([e for e in tl.events if "rule 100" in e.summary]) == 2, texts(tl)
