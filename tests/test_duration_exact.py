"""The header's Duration gives its span to the second, as the figures do (#11).

The newcomer's TLS incident in the tools' wire formats: PagerDuty triggers the incident at
14:00:10 and its ``resolve_log_entry`` is at 14:47:30 (``GET /incidents/{id}/log_entries``); a
responder's Slack message (``conversations.history``) says "impact started at 13:57 UTC". The
Duration runs impact start -> resolution, 13:57:00 -> 14:47:30: "50m 30s", never "50m", in
every format that says it (Markdown, HTML, the one-page summary).
"""

from __future__ import annotations

import re
from pathlib import Path

from reconstruct.config import Config
from reconstruct.render import RenderOptions, metrics, render
from tests.test_figures_wire import at, bundle, log_entry, slack_message, timeline_of

DURATION = "13:57 – 14:47 UTC (50m 30s; PagerDuty incident 14:00 – 14:47 UTC)"


def test_the_duration_is_exact_in_every_format(tmp_path: Path) -> None:
    start, resolved = at(14, 0, 10), at(14, 47, 30)
    entries = [log_entry("RTRIG", "trigger", start), log_entry("RRES", "resolve", resolved)]
    said = slack_message(at(14, 15), "cert on api expired; impact started at 13:57 UTC")
    tl = timeline_of(bundle(tmp_path, start, resolved, entries=entries, messages=[said]))
    figures = metrics.as_json(metrics.compute(tl))
    assert figures["time_to_resolve_s"] == 47 * 60 + 20
    marks = metrics.milestones(tl)
    assert marks.impact_start is not None and marks.impact_start.time == at(13, 57)
    markdown = render(tl, RenderOptions(), Config())
    assert f"- **Duration:** {DURATION}\n" in markdown
    assert "- **Time to resolve:** 47m 20s (14:00:10 → 14:47:30)\n" in markdown
    for fmt in ("html", "page"):
        text = render(tl, RenderOptions(fmt=fmt), Config())
        found = re.search(r"<strong>Duration:</strong> ([^<]*)</li>", text)
        assert found is not None and found.group(1) == DURATION, fmt


def test_an_hour_long_span_keeps_its_seconds(tmp_path: Path) -> None:
    start, resolved = at(14, 0, 10), at(15, 32, 5)
    entries = [log_entry("RTRIG", "trigger", start), log_entry("RRES", "resolve", resolved)]
    tl = timeline_of(bundle(tmp_path, start, resolved, entries=entries))
    markdown = render(tl, RenderOptions(), Config())
    assert "- **Duration:** 14:00 – 15:32 UTC (1h 31m 55s)\n" in markdown
    assert "- **Time to resolve:** 1h 31m 55s (14:00:10 → 15:32:05)\n" in markdown
