"""The Summary's detection clause words the record that fired first: its rule, labels and state
in its own words at its own time, never the text a storm or flapping series adds to its row (a
row text fitted to the quote's length was cut mid-phrase: "BlackboxProbeFailed flapped: … counting
t…", nc13b #3a).

Grafana ``GET /api/annotations`` state-history items as unified alerting writes them
(``tests.test_storm_times.state``): an earlier rule fires and clears an hour before the incident
(a blip: neither detection nor impact); the storm's firings are one row ("…; 8 instances firing
by 09:42", or "8 alerts of … fired across 8 instances, …" where its first firing is no row of its
own): the clause quotes the first firing record, never the storm's words.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from reconstruct.config import Config
from reconstruct.render import RenderOptions, render
from reconstruct.render.metrics import milestones
from tests.test_rows import timeline, trigger
from tests.test_storm_times import GATEWAYS, RULE, state

SECRET = "xoxb-2231-998877-AbCdEfGhIjKl"


def notes(secret: bool = False) -> list[dict[str, Any]]:
    """A CertExpirySoon blip at -40..-35, then ``RULE`` firing on the eight gateways from -1,
    clearing from 40. ``secret``: gw-1's firing text carries a Slack token."""
    out = [
        state(-40, "gw-1", "Normal", "Alerting", rule="CertExpirySoon", rule_id=9),
        state(-35, "gw-1", "Alerting", "Normal", rule="CertExpirySoon", rule_id=9),
    ]
    for k, gw in enumerate(GATEWAYS):
        out.append(state(-1 + 0.2 * k, gw, "Normal", "Alerting"))
        out.append(state(40 + 0.2 * k, gw, "Alerting", "Normal"))
    if secret:
        out[2]["text"] = out[2]["text"].replace(" - B=", f" - token {SECRET} B=")
    return out


def detected_clause(markdown: str) -> str:
    found = re.search(r"It was detected at .*?”", markdown)
    assert found is not None, markdown
    return re.sub(r"\]\([^)]*\)", "]", found.group(0))


def test_detection_quotes_the_first_firing_record_not_the_storms_row(tmp_path: Path) -> None:
    tl = timeline(tmp_path, [trigger()], [], [], notes())
    marks = milestones(tl)
    assert marks.detected is not None and marks.detected.event is not None
    assert marks.detected.event.members, "the storm's row"
    markdown = render(tl, RenderOptions(), Config())
    assert detected_clause(markdown) == (
        f"It was detected at [09:41] by “Grafana alert {RULE} (instance=gw-1) firing”"
    )
    assert "by “8 alerts of" not in markdown and "instances firing by" not in detected_clause(
        markdown
    )
    data = json.loads(render(tl, RenderOptions(fmt="json"), Config()))
    (clause,) = [c for c in data["summary"]["clauses"] if c["name"] == "detected"]
    assert f"“Grafana alert {RULE} (instance=gw-1) firing”" in clause["text"]


def test_the_quoted_member_is_redacted_in_every_format(tmp_path: Path) -> None:
    tl = timeline(tmp_path, [trigger()], [], [], notes(secret=True))
    for fmt in ("markdown", "html", "json", "csv", "page"):
        out = render(tl, RenderOptions(fmt=fmt), Config())  # type: ignore[arg-type]
        assert SECRET not in out, fmt


def test_a_row_of_its_own_is_quoted_as_its_row(tmp_path: Path) -> None:
    """Without the blip, the first firing is a row of its own (the storm joins it): the clause
    quotes that row's record, not the words the storm added ("8 instances firing by 09:42")."""
    tl = timeline(tmp_path, [trigger()], [], [], notes()[2:])
    row = next(e for e in tl.events if RULE in e.summary)
    assert row.summary.endswith("; 8 instances firing by 09:42")
    clause = detected_clause(render(tl, RenderOptions(), Config()))
    assert clause.endswith(f"by “Grafana alert {RULE} (instance=gw-1) firing”")


def test_a_page_detects_by_its_own_row(tmp_path: Path) -> None:
    """No alert before the trigger: the incident's trigger row detects, quoted as it reads."""
    tl = timeline(tmp_path, [trigger()], [], [], [])
    clause = detected_clause(render(tl, RenderOptions(), Config()))
    assert clause == "It was detected at [09:42] by “Incident #4711 triggered: Checkout errors”"
