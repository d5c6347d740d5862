"""CSV, one row per event: ``time,kind,summary,actor,sources,reason,links``.

``sources`` and ``links`` (URLs) are space separated. Text is redacted, not shortened. A cell that
starts like a spreadsheet formula (``=``, ``+``, ``-``, ``@``) gets a leading ``'``.
"""

from __future__ import annotations

import csv
import io

from reconstruct.model import Timeline
from reconstruct.timeutil import iso_z

COLUMNS = ("time", "kind", "summary", "actor", "sources", "reason", "links")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_csv(timeline: Timeline) -> str:
    """Expects a scrubbed Timeline."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for event in sorted(timeline.events, key=lambda e: e.time):
        writer.writerow(
            [
                iso_z(event.time),
                str(event.kind),
                _cell(event.summary),
                _cell(event.actor or ""),
                " ".join(event.sources),
                _cell(event.reason),
                " ".join(link.url for link in event.links),
            ]
        )
    return out.getvalue()
