"""Selection: what the timeline keeps, why, and how much was left out per scope.

In the window: every tool event; Slack messages only when a bot posted them in the incident
channel or about the incident, they are pinned, reacted to with a ``[select] emoji``, or
classified. Before ``window.start`` (the lead-up): changes matching ``[github] leadup_match`` to the
configured repos, and the last ``[github] leadup_deploys`` deploys; nothing else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from reconstruct.config import Config
from reconstruct.model import Event, Incident, Kind, Window
from reconstruct.normalize.authority import chat_only, is_chat
from reconstruct.normalize.evolve import evolve
from reconstruct.normalize.leadup import LeadupMatcher, compile_leadup
from reconstruct.normalize.order import order_key
from reconstruct.normalize.reasons import slack_reason, tool_reason
from reconstruct.timeutil import ensure_utc

PLAIN_TAGS = frozenset({"human", "incident-channel"})
"""A person's plain message in the incident channel (``chatter.set_aside`` counts most early)."""


def select(
    events: Iterable[Event],
    incident: Incident,
    window: Window,
    config: Config,
    keywords: Mapping[str, str],
) -> tuple[list[Event], dict[str, int]]:
    """The kept events (each with a reason) and the omitted count per scope."""
    events = list(events)
    start = ensure_utc(window.start)
    matcher = compile_leadup(config.github.leadup_match)
    repos = configured_repos(incident, config)
    emoji = config.select.emoji
    pd_refs = incident_refs(incident)
    n = config.github.leadup_deploys
    early_deploys = sorted(
        (e for e in events if e.kind is Kind.DEPLOY and e.time < start), key=order_key
    )
    last_deploys = {e.key for e in early_deploys[len(early_deploys) - n :]} if n else set()
    kept: list[Event] = []
    omitted: Counter[str] = Counter()
    tool_reasons: dict[tuple[Kind, tuple[str, ...], frozenset[str]], str] = {}
    """``tool_reason`` per (kind, sources, tags), all it reads: tool records repeat them."""
    chat = chat_only()
    for event in events:
        if event.tags == PLAIN_TAGS and event.kind is Kind.MESSAGE and event.sources in chat:
            if event.time >= start:  # the bulk of a channel: a person's plain message
                omitted[scope_of(event)] += 1
                continue
        if event.time < start:
            reason = _leadup_reason(event, matcher, repos, last_deploys)
        elif is_chat(event.sources):
            reason = slack_reason(event, keywords.get(event.key), emoji, pd_refs, incident.services)
        else:
            facts = (event.kind, event.sources, event.tags)
            reason = tool_reasons.get(facts)
            if reason is None:
                reason = tool_reasons[facts] = tool_reason(event)
        if reason is None:
            omitted[scope_of(event)] += 1
            continue
        tags = event.tags | {"leadup"} if event.time < start else event.tags
        kept.append(evolve(event, reason=event.reason or reason, tags=tags))
    return kept, dict(omitted)


def _leadup_reason(
    event: Event, matcher: LeadupMatcher, repos: frozenset[str], last_deploys: set[str]
) -> str | None:
    if event.kind is Kind.DEPLOY and event.key in last_deploys:
        return f"leadup: {tool_reason(event)}"
    if event.kind is not Kind.CHANGE:
        return None
    if repos and event.scope.startswith("github:"):
        if event.scope.removeprefix("github:").lower() not in repos:
            return None
    term = matcher.match(event)
    return f'leadup change matching "{term}"' if term is not None else None


def scope_of(event: Event) -> str:
    return event.scope or (event.sources[0] if event.sources else "unknown")


def configured_repos(incident: Incident, config: Config) -> frozenset[str]:
    """``[github] repos`` plus the repos mapped to the incident's services; empty: any repo."""
    repos = set(config.github.repos)
    for service in incident.services:
        repos.update(config.github.services.get(service, ()))
    return frozenset(repo.lower() for repo in repos)


def incident_refs(incident: Incident) -> frozenset[str]:
    refs = {f"pd:{incident.id.lower()}"}
    if incident.number is not None:
        refs.add(f"pd#{incident.number}")
    return frozenset(refs)
