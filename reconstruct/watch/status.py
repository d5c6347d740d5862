"""``reconstruct watch status``: what the state knows about each incident, as text lines or one
JSON document (``[{"id", "number", "title", "status", "resolved_at", "due_at", "revision",
"failures", "retry_at", "last_error", "claimed_by", "deliveries": [{"sink", "location",
"revision", "delivered_at"}]}]``, times as fixed-width UTC text)."""

from __future__ import annotations

import json

from reconstruct.watch.runner import hhmm
from reconstruct.watch.state import IncidentRow, State, ts


def lines(state: State, rows: list[IncidentRow]) -> list[str]:
    lines: list[str] = []
    for row in rows:
        head = f"{row.label}  {row.status}"
        if row.title:
            head += f"  {row.title}"
        lines.append(head)
        lines.append(f"    resolved {hhmm(row.resolved_at)}")
        if row.status == "pending":
            lines.append(f"    draft due {hhmm(row.due_at)}")
        if row.revision > 1:
            lines.append(f"    revision {row.revision} (resolved again after a delivery)")
        if row.owner and row.lease_until:
            lines.append(f"    claimed by {row.owner} until {hhmm(row.lease_until)}")
        if row.failures:
            lines.append(f"    {row.failures} failure(s) in a row")
        if row.retry_at and row.status != "parked":
            lines.append(f"    retried from {hhmm(row.retry_at)}")
        if row.last_error:
            lines.append(f"    last error: {row.last_error}")
        for sink, where, revision, when in state.deliveries(row.id):
            old = "" if revision >= row.revision else f", revision {revision} (update due)"
            lines.append(f"    delivered to {sink} {hhmm(when)}{old}: {where}")
    return lines


def as_json(state: State, rows: list[IncidentRow]) -> str:
    out = []
    for row in rows:
        out.append(
            {
                "id": row.id,
                "number": row.number,
                "title": row.title,
                "status": row.status,
                "resolved_at": ts(row.resolved_at),
                "due_at": ts(row.due_at),
                "revision": row.revision,
                "failures": row.failures,
                "retry_at": ts(row.retry_at) if row.retry_at else None,
                "last_error": row.last_error,
                "claimed_by": row.owner,
                "deliveries": [
                    {"sink": sink, "location": where, "revision": rev, "delivered_at": ts(when)}
                    for sink, where, rev, when in state.deliveries(row.id)
                ],
            }
        )
    return json.dumps(out, indent=1, ensure_ascii=False)
