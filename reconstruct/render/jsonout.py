"""JSON for other tools. The contract (byte-identical run to run), published as a JSON Schema
in the package (``SCHEMA_FILE``, ``reconstruct/render/schema/timeline-v1.schema.json``)::

    {"schema_version": 1,
     "incident": {"id", "number", "title", "severity", "services": [], "started_at",
                  "resolved_at", "url"},
     "events": [{"time": "2026-03-14T09:42:07Z", "kind": "alert", "summary": "...",
                 "actor": null, "sources": ["pagerduty", "slack"], "reason": "...",
                 "links": [{"source": "slack", "url": "https://...", "label": "..."}],
                 "edited_at": null}],
     "omitted": {"slack:#inc-1234": 400, "slack:#inc-1234 (deleted)": 12}, "warnings": [],
     "metrics": {"time_to_detect_s": 120, "time_to_ack_s": 130, "time_to_mitigate_s": null,
                 "time_to_resolve_s": 2820},
     "milestones": {"impact_start": {"time", "summary", "from_edit", "stated", "links"} | null,
                    "detected": ..., "acknowledged", "mitigated", "resolved", "reopened": [...]},
     "summary": {"draft": true, "lede": "On 2026-03-14, between ...", "clauses": [{"name",
                 "text", "rows": [{"time", "summary", "links"}]}], "blanks": [...]},
     "records": {"slack": {"collected": 440, "shown": 28, "omitted": {
         "messages without a keyword, pin or reaction in slack:#inc-1234": 400,
         "deleted in slack:#inc-1234": 12}}}}

``omitted`` counts the records not shown per scope, and per scope and reason where a parser named
one or a copy was dropped (``"<scope> (<reason>)"``); it counts the same records as ``records``'
``omitted`` (one ledger: ``normalize.ledger``), so their sums agree. ``records`` is the
accounting, per source: every record collected is
shown (in a row, alone or merged) or counted under a named reason, so ``shown`` plus the sum of
its ``omitted`` reasons equals ``collected``. ``set_aside`` (only when there are some) lists
the deploys and merged PRs of the window with no tie to the incident (``normalize.during``),
and the latest lead-up deploys with none or tied only by their repository while what they
shipped was not found relevant (``normalize.leaddeploys``: ``... that shipped PR #2288, not found
relevant to this incident``), each in the event shape above with its links, its ``reason`` the
one it is counted under.
An alert state record whose tool wrote its evaluation's values has ``"values"`` (``["B=0.6,
C=1"]``), a dashboard annotation with tags ``"tags"`` (``["cert-manager", "manual"]``, lower
case; both in the schema): the row's words leave them out. A row of several records
(``members``) leaves them to each member.
A collapsed series row (``normalize.collapse``) also has ``"members"`` (in the schema): every
record it stands for, each in the event shape above, in time order; its own ``links`` are the
first and the last member's. So has a row of one step joined from several records
(``normalize.steps``: a person's message, annotation and note of it, a tool's audit post of
it): each record with its own time, text, actor and links; the row's ``links`` are all of them.

Times are ISO 8601 UTC with ``Z``; events in time order; text redacted but not shortened or
escaped; links http(s) only. ``warnings`` also names failed sources no warning mentions.

``schema_version`` changes only when a field is removed, renamed or changes meaning; a new field
may appear within a version (consumers ignore keys they do not know) and is added to the schema.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from reconstruct.model import Event, Timeline
from reconstruct.normalize.instances import TAG, VALUES
from reconstruct.render import coverage, lede, metrics
from reconstruct.render.table import safe_url
from reconstruct.timeutil import ensure_utc, iso_z

SCHEMA_VERSION = 1
SCHEMA_FILE = "schema/timeline-v1.schema.json"
"""The JSON Schema of this output, relative to the ``reconstruct.render`` package."""


def _event(event: Event) -> dict[str, Any]:
    out = _record(event)
    if event.members:
        out["members"] = [_record(m) for m in event.members]
    return out


def _record(event: Event) -> dict[str, Any]:
    out = {
        "time": iso_z(event.time),
        "kind": str(event.kind),
        "summary": event.summary,
        "actor": event.actor,
        "sources": list(event.sources),
        "reason": event.reason,
        "links": [{"source": ln.source, "url": ln.url, "label": ln.label} for ln in event.links],
        "edited_at": iso_z(event.edited_at) if event.edited_at is not None else None,
    }
    if event.members:  # a row of several records: each member says its own
        return out
    if values := sorted(t[len(VALUES) :] for t in event.tags if t.startswith(VALUES)):
        out["values"] = values  # an alert evaluation's values, no words of the row
    if tags := sorted(t[len(TAG) :] for t in event.tags if t.startswith(TAG)):
        out["tags"] = tags  # a dashboard annotation's tags, no words of the row
    return out


def document(timeline: Timeline) -> dict[str, Any]:
    """The JSON document as Python values. Expects a scrubbed Timeline."""
    inc = timeline.incident
    return {
        "schema_version": SCHEMA_VERSION,
        "incident": {
            "id": inc.id,
            "number": inc.number,
            "title": inc.title,
            "severity": inc.severity,
            "services": list(inc.services),
            "started_at": iso_z(inc.started_at),
            "resolved_at": iso_z(inc.resolved_at) if inc.resolved_at is not None else None,
            "url": safe_url(inc.url) if inc.url else None,
        },
        "events": [_event(e) for e in sorted(timeline.events, key=lambda e: e.time)],
        "omitted": dict(sorted(timeline.omitted.items())),
        **({"set_aside": [_record(e) for e in timeline.set_aside]} if timeline.set_aside else {}),
        "warnings": list(coverage.warning_lines(timeline)),
        **_figures(timeline),
        "records": {
            source: {
                "collected": account.collected,
                "shown": account.shown,
                "omitted": dict(sorted((r, n) for r, n in account.omitted.items() if n > 0)),
            }
            for source, account in sorted(timeline.accounts.items())
        },
    }


def _figures(timeline: Timeline) -> dict[str, Any]:
    """``metrics`` (seconds), ``milestones`` (each ``{"time", "summary"}`` or null; ``reopened``
    a list) and the drafted ``summary`` (``lede.as_json``)."""
    marks = metrics.milestones(timeline)
    day = marks_day(timeline)
    return {
        "metrics": metrics.as_json(metrics.compute(timeline, marks)),
        "milestones": metrics.marks_json(marks),
        "summary": lede.as_json(lede.build(timeline, marks, day)),
    }


def marks_day(timeline: Timeline) -> date:
    return ensure_utc(timeline.incident.started_at).date()


def schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) the document above satisfies."""
    from importlib import resources

    text = (resources.files("reconstruct.render") / SCHEMA_FILE).read_text(encoding="utf-8")
    value: dict[str, Any] = json.loads(text)
    return value


def render_json(timeline: Timeline) -> str:
    return json.dumps(document(timeline), ensure_ascii=False, indent=2) + "\n"
