"""The human ``reason`` a kept event carries (shown with ``--why``)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from reconstruct.model import Event, Kind
from reconstruct.normalize.authority import primary_source, source_rank


def tool_reason(event: Event) -> str:
    """Why a tool's record is in the timeline; a merged row names the other sources."""
    primary = primary_source(event.sources)
    base = _base(event, primary)
    others = sorted((s for s in event.sources if s != primary), key=source_rank)
    return f"{base}; also seen in {', '.join(others)}" if others else base


def _base(event: Event, primary: str) -> str:
    kind, tags = event.kind, event.tags
    if kind is Kind.DEPLOY:
        if "failure" in tags:
            return "failed deploy"
        if "rollback" in tags:
            return "rollback"
        return "deploy to production" if "production" in tags else "deploy"
    if kind is Kind.CHANGE:
        return "merged PR" if primary == "github" else "change"
    if primary == "pagerduty":
        if kind is Kind.PAGE:
            return "responder paged"
        if "note" in tags or kind is Kind.UPDATE:
            return "PagerDuty note"
        return "PagerDuty state change"
    if kind is Kind.ALERT:
        return "alert state change"
    if primary == "grafana":
        return "dashboard annotation"
    return f"{kind.value} from {primary or 'unknown source'}"


def slack_reason(
    event: Event,
    keyword: str | None,
    emoji: Iterable[str],
    incident_refs: frozenset[str],
    services: Iterable[str] = (),
) -> str | None:
    """Why a Slack message is in the timeline, or None when it is not.

    A bot post outside the incident channel (a shared #deploys or #alerts channel) is kept only
    when it is about this incident: it names the incident, or it is a classified tool post
    (deploy, alert...) that names one of the incident's services. Other services' deploys in a
    shared channel are counted, not shown."""
    tags = event.tags
    parts: list[str] = []
    if keyword and "bot" not in tags:
        parts.append(f'keyword "{keyword}"')
    if "pinned" in tags:
        parts.append("pinned")
    if any(tag.startswith("reaction:") for tag in tags):
        parts += [f"reaction :{name}:" for name in emoji if f"reaction:{name}" in tags]
    if "bot" in tags:
        if "incident-channel" in tags:
            parts.append("bot post in incident channel")
        elif not incident_refs.isdisjoint(event.refs):
            parts.append("bot post about the incident")
        elif event.kind is not Kind.MESSAGE:
            service = _named_service(event.summary, services)
            if service is None:
                return "; ".join(parts) or None
            parts.append(f"bot post ({event.kind.value}) about {service}")
    if not parts and event.kind is not Kind.MESSAGE:
        parts.append(f"classified as {event.kind.value}")
    return "; ".join(parts) or None


def _named_service(text: str, services: Iterable[str]) -> str | None:
    lowered = text.lower()
    for service in services:
        name = service.lower().strip()
        if name and re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", lowered):
            return service
    return None
