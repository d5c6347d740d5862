"""The human ``reason`` a kept event carries (shown with ``--why``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from reconstruct.model import Event, Kind
from reconstruct.normalize.authority import primary_source, source_rank, source_reason
from reconstruct.normalize.concern import Concern
from reconstruct.normalize.ledger import BEFORE_REASON


def tool_reason(event: Event) -> str:
    """Why a tool's record is in the timeline; a merged row names the other sources."""
    primary = primary_source(event.sources)
    base = _base(event, primary)
    others = sorted((s for s in event.sources if s != primary), key=source_rank)
    return f"{base}; also seen in {', '.join(others)}" if others else base


def _base(event: Event, primary: str) -> str:
    """Deploys alike for every source; else the primary source's own wording (its traits'
    ``reasons``), else the kind's."""
    kind, tags = event.kind, event.tags
    if kind is Kind.DEPLOY:
        if "failure" in tags:
            return "failed deploy"
        if "revert" in tags:
            return "revert deployed"  # a new commit going forward, not a rollback
        if "rollback" in tags:
            return "rollback"
        return "deploy to production" if "production" in tags else "deploy"
    worded = source_reason(event, primary)
    if worded is not None:
        return worded
    if kind is Kind.CHANGE:
        return "change"
    if kind is Kind.ALERT:
        return "alert state change"
    return f"{kind.value} from {primary or 'unknown source'}"


def chat_reason(
    event: Event, keyword: str | None, emoji: Iterable[str], concern: Concern
) -> str | None:
    """Why a chat message is in the timeline, or None when it is not.

    A bot post outside the incident channel (a shared #deploys or #alerts channel) is kept only
    when it concerns this incident (``Concern.about``): it names the incident, carries one of
    its alerts (rule or alert key), a commit, PR or release of its repositories, or names an
    affected service or repository. Other services' posts in a shared channel are counted, not
    shown."""
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
        else:
            about = concern.about(event)
            if about is not None:
                what = f" ({event.kind.value})" if event.kind is not Kind.MESSAGE else ""
                parts.append(f"bot post{what} about {about}")
    if not parts and event.kind is not Kind.MESSAGE and "bot" not in tags:
        parts.append(f"classified as {event.kind.value}")
    return "; ".join(parts) or None


def omission(event: Event, start: datetime) -> str:
    """Why a row is not in the timeline, naming where it was found (its scope)."""
    scope = event.scope or (event.sources[0] if event.sources else "unknown")
    if event.time < start:
        if event.kind is Kind.CHANGE:
            return f"earlier changes not found relevant to this incident in {scope}"
        if event.kind is Kind.DEPLOY:
            return f"earlier deploys in {scope}"
        return f"{BEFORE_REASON} in {scope}"
    if "bot" in event.tags:
        return f"bot posts about other services in {scope}"
    if event.kind is Kind.MESSAGE:
        return plain_reason(scope)
    return f"{event.kind.value} records not selected in {scope}"


def plain_reason(scope: str) -> str:
    """Why a person's plain message is not shown (also for those counted while parsing)."""
    return f"messages without a keyword, pin or reaction in {scope}"
