"""One log line of ``watch``/``serve``: a ``str`` (the message) that also carries the incident,
the sink and the level, so a log pipeline can filter on them (``--log-format json``).

    Line("Q3CK (#4821): delivered to dir: /srv/pm/x.md", incident="Q3CK", number=4821, sink="dir")

``text(line, when)``  ``2026-03-14T10:40:31Z reconstruct: <message>``
``json_line(line, when)`` ``{"time": "...Z", "level": "info", "message": ..., "incident": ...,
"number": ..., "sink": ...}`` (one object per line; keys absent when unknown).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

LEVELS = ("info", "warning", "error")


class Line(str):
    incident: str | None
    number: int | None
    sink: str | None
    level: str

    def __new__(
        cls,
        message: str,
        *,
        incident: str | None = None,
        number: int | None = None,
        sink: str | None = None,
        level: str = "info",
    ) -> Line:
        line = super().__new__(cls, message)
        line.incident = incident
        line.number = number
        line.sink = sink
        line.level = level
        return line


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def text(line: str, when: datetime) -> str:
    return f"{_stamp(when)} reconstruct: {line}"


def json_line(line: str, when: datetime) -> str:
    doc: dict[str, object] = {"time": _stamp(when), "level": getattr(line, "level", "info")}
    doc["message"] = str(line)
    for key in ("incident", "number", "sink"):
        value = getattr(line, key, None)
        if value is not None:
            doc[key] = value
    return json.dumps(doc, ensure_ascii=False)
