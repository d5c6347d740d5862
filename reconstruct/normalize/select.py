"""Selection: what the timeline keeps, why, and why the rest was left out.

In the window: every tool event; chat messages only when a bot posted them in the incident
channel or about this incident (``concern.Concern.about``: its refs, alerts, changes, services),
they are pinned, reacted to with a ``[select] emoji``, or classified. Before ``window.start``
(the lead-up): the changes ``leadup.choose`` finds relevant to this incident, the last
``LeadupSettings.deploys`` deploys and the deploy that shipped each of those changes
(``leaddeploys``); nothing else. Every row left out gets a reason
(``reasons.omission``), counted per scope and per reason, except a person's message in the
window that may be their copy of what they wrote in a tool (``copies``): it is held back for
``steps``, with the reason it would be left out under.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from reconstruct.config import Config, LeadupSettings
from reconstruct.model import Event, Incident, Kind, Window
from reconstruct.normalize.authority import chat_only, is_chat
from reconstruct.normalize.concern import Concern
from reconstruct.normalize.copies import NOWHERE, Written, could_copy
from reconstruct.normalize.during import Judged, first_symptom, judge, judge_leadup
from reconstruct.normalize.evolve import evolve
from reconstruct.normalize.leaddeploys import (
    latest,
    not_relevant,
    pick,
    shipping,
    unknown_content,
)
from reconstruct.normalize.leadup import WORDS_ONLY, choose
from reconstruct.normalize.order import order_key
from reconstruct.normalize.reasons import chat_reason, omission, tool_reason
from reconstruct.normalize.regions import REGION, overlaps
from reconstruct.normalize.ruled import Rulings, read
from reconstruct.normalize.untied import NOTHING, Heard
from reconstruct.normalize.untied import untied as untied_rules
from reconstruct.timeutil import ensure_utc

PLAIN_TAGS = frozenset({"human", "incident-channel"})
"""A person's plain message in the incident channel (``chatter.set_aside`` counts most early)."""


@dataclass(slots=True)
class Selection:
    kept: list[Event]
    omitted: dict[str, int]
    """Rows left out per scope."""
    dropped: list[tuple[Event, str]] = field(default_factory=list)
    """Every row left out, with the reason (``reasons.omission``)."""
    held: list[tuple[Event, str]] = field(default_factory=list)
    """People's messages that would be left out (with that reason) but may be their copy of a
    record they wrote in a tool (``copies``): neither kept nor counted yet."""
    set_aside: list[Event] = field(default_factory=list)
    """The window's changes with no tie to the incident (``during``), in ``dropped`` too, each
    with the reason it is counted under (JSON lists them with their links)."""
    echoes: dict[str, str] = field(default_factory=dict)
    """Key of a row of ``set_aside`` -> the reason the records of other tools merged into it
    are counted under (``Ledger.settle``)."""
    ruled: dict[str, Event] = field(default_factory=dict)
    """Key of a change or deploy a responder ruled out -> the record that ruled it out
    (``ruled``): no naming of it is a tie; its row, if it shows, says so (``ruled.noted``)."""


def select(
    events: Iterable[Event],
    incident: Incident,
    window: Window,
    config: Config,
    keywords: Mapping[str, str],
    leadup_settings: LeadupSettings | None = None,
    written: Written = NOWHERE,
    rule_talk: Heard = NOTHING,
) -> Selection:
    """The kept events (each with a reason) and what was left out, per scope and per row.

    Only what is surely kept decides what else is: the tool records of the window and the last
    lead-up deploys say what concerns the incident (``Concern``); the rows kept in the window
    then say which lead-up changes are relevant (``leadup.choose``). So normalizing the result
    again keeps the same rows. ``leadup_settings``: default ``config.leadup`` of the incident's
    services. ``written``: the records people wrote in tools (``copies``). ``rule_talk``: what
    people wrote naming an alert rule and the rules whose labels name an affected service
    (``untied.Heard``, read before ``chatter`` and ``named_instances`` drop them)."""
    events = list(events)
    start, end = ensure_utc(window.start), ensure_utc(window.end)
    settings = leadup_settings or config.leadup(incident.services)
    repos = settings.repos
    emoji = config.select.emoji
    early_deploys = [e for e in events if e.kind is Kind.DEPLOY and e.time < start]
    last_deploys = {e.key for e in latest(early_deploys, settings.deploys)}
    concern = Concern.of(events, incident, start, repos, _chat, frozenset(last_deploys))
    kept: list[Event] = []
    early: list[Event] = []
    omitted: Counter[str] = Counter()
    dropped: list[tuple[Event, str]] = []
    held: list[tuple[Event, str]] = []
    tool_reasons: dict[tuple[Kind, tuple[str, ...], frozenset[str]], str] = {}
    """``tool_reason`` per (kind, sources, tags), all it reads: tool records repeat them."""
    why_not: dict[tuple[str, Kind, bool, bool], str] = {}
    """``omission`` per (scope, kind, bot, before the window), all it reads."""

    def drop(event: Event) -> None:
        scope = scope_of(event)
        facts = (scope, event.kind, "bot" in event.tags, event.time < start)
        reason = why_not.get(facts)
        if reason is None:
            reason = why_not[facts] = omission(event, start)
        if written.times and event.time >= start and could_copy(event, written):
            held.append((event, reason))  # ``steps`` may join it with the record; else counted
            return
        omitted[scope] += 1
        dropped.append((event, reason))

    chat = chat_only()
    for event in events:
        if event.tags == PLAIN_TAGS and event.kind is Kind.MESSAGE and event.sources in chat:
            if event.time >= start:  # the bulk of a channel: a person's plain message
                drop(event)
                continue
        reason: str | None
        if event.time < start:
            early.append(event)  # once the window's rows are known
            continue
        if is_chat(event.sources):
            reason = chat_reason(event, keywords.get(event.key), emoji, concern)
        else:
            facts = (event.kind, event.sources, event.tags)
            reason = tool_reasons.get(facts)
            if reason is None:
                reason = tool_reasons[facts] = tool_reason(event)
        if reason is None:
            drop(event)
            continue
        kept.append(evolve(event, reason=event.reason or reason) if not event.reason else event)
    out = [*dropped, *held]
    said = [e for e, _ in out if "incident-channel" in e.tags and e.time >= start]
    linked = [e for e, _ in out if "incident-channel" not in e.tags and e.time >= start]
    rulings = read([*kept, *said, *linked], [*kept, *early], start, incident.number)
    kept, set_aside = _during(
        kept, said, linked, incident, start, settings, omitted, dropped, rulings
    )
    other_rules = untied_rules(kept, events, rule_talk, incident, concern)
    if other_rules:  # alerts of another service's rule: a named count
        shown: list[Event] = []
        for event in kept:
            if (why := other_rules.get(event.key)) is None:
                shown.append(event)
                continue
            omitted[scope_of(event)] += 1
            dropped.append((event, why))
            set_aside.append(evolve(event, reason=why))
        kept = shown
    if set_aside:  # a bot's post about a change set aside is about another service too
        aside = {e.key for e in set_aside}
        rest = (e for e in events if e.key not in aside)
        narrow = Concern.of(rest, incident, start, repos, _chat, frozenset(last_deploys))

        def still(event: Event) -> str | None:
            return chat_reason(event, keywords.get(event.key), emoji, narrow)

        kept = _about_others(kept, still, drop)
    leadup: dict[str, str] = {}
    worded: set[str] = set()  # lead-up changes shown for their words alone
    rows, heard, elsewhere = rulings.read_as(kept), rulings.read_as(said), rulings.read_as(linked)
    if early:  # a change named in a record not shown still names it (``leadup.choose``)
        leadup = choose(rows, early, incident, start, settings, heard, elsewhere, worded)
    shown = [e for e in early if e.kind is Kind.CHANGE and e.key in leadup]
    shipped = shipping(early_deploys, shown)
    ties = judge_leadup(early_deploys, rows, heard, elsewhere, incident, start, settings)
    tied = None if ties is None else ties.tied
    unrelated = ties.unrelated if ties else {}
    if ties is not None and ties.repository_only:  # tied by its repository, shipped no change shown
        shipped_aside = not_relevant(early_deploys, ties.repository_only, early, leadup)
        first = first_symptom(kept, incident, start)  # of unknown content, not just before
        shipped_aside |= unknown_content(
            early_deploys, ties.repository_only, early, first, start, shown
        )
        tied = {k: v for k, v in ties.tied.items() if k not in shipped_aside}
        unrelated = {**unrelated, **shipped_aside}
    weakly = set(ties.tied) - set(tied) if ties is not None and tied is not None else set()
    picked = pick(early_deploys, settings.deploys, shipped, tied, unrelated, weakly)
    if picked.set_aside:  # a bot's post about a lead-up deploy set aside is about another service
        gone = {e.key for e in set_aside} | set(picked.set_aside)
        rest = (e for e in events if e.key not in gone)
        also = frozenset(last_deploys - gone)
        narrower = Concern.of(rest, incident, start, repos, _chat, also)

        def still_about(event: Event) -> str | None:
            return chat_reason(event, keywords.get(event.key), emoji, narrower)

        kept = _about_others(kept, still_about, drop)
    for event in early:
        if REGION in event.tags and overlaps(event, start, end):
            reason = "region overlapping the incident (began before the window)"
        elif (untied := picked.set_aside.get(event.key)) is not None:  # a named count
            omitted[scope_of(event)] += 1
            dropped.append((event, untied))
            set_aside.append(evolve(event, reason=untied))
            continue
        else:
            reason = _leadup_reason(event, leadup, picked.shown, shipped)
        if reason is None:
            drop(event)
            continue
        tags = event.tags | {"leadup"}
        if _by_words(event, worded, shown, shipped, ties):
            tags |= {WORDS_ONLY}
        kept.append(evolve(event, reason=event.reason or reason, tags=tags))
    echoes = {e.key: f"records about {e.reason}" for e in set_aside if len(e.sources) > 1}
    listed = sorted(set_aside, key=order_key)
    return Selection(kept, dict(omitted), dropped, held, listed, echoes, dict(rulings.out))


def _by_words(
    event: Event,
    worded: set[str],
    shown: list[Event],
    shipped: Mapping[str, str],
    ties: Judged | None,
) -> bool:
    """Whether a lead-up row is shown for words alone (``WORDS_ONLY``): a change ``choose``
    found relevant by its words (``worded``); a deploy whose own tie is its words or its
    repository (``ties``), shown as one of the latest or for shipping changes shown only so."""
    if event.kind is Kind.CHANGE:
        return event.key in worded
    if event.kind is not Kind.DEPLOY or ties is None:
        return False
    if event.key in ties.tied and event.key not in ties.worded | ties.repository_only:
        return False  # named, a rollback, or shipping a change so tied
    if event.key not in shipped:
        return event.key in ties.worded
    refs = {r for r in event.refs if r.startswith(("pr:", "sha:"))}
    return all(c.key in worded for c in shown if refs & c.refs)


def _during(
    kept: list[Event],
    said: list[Event],
    linked: list[Event],
    incident: Incident,
    start: datetime,
    settings: LeadupSettings,
    omitted: Counter[str],
    dropped: list[tuple[Event, str]],
    rulings: Rulings,
) -> tuple[list[Event], list[Event]]:
    """The rows kept once the window's changes with no tie to the incident are counted
    (``during.judge``, reading the records as ``rulings`` leave them: a naming that rules a
    change out is no tie; into ``omitted`` and ``dropped``), and those changes, each with the
    reason it is counted under; one tied by its words alone is tagged ``WORDS_ONLY``."""
    read_as = rulings.read_as
    judged = judge(read_as(kept), read_as(said), read_as(linked), incident, start, settings)
    if not judged.tied and not judged.unrelated:
        return kept, []
    rows: list[Event] = []
    set_aside: list[Event] = []
    for event in kept:
        if (tail := judged.tied.get(event.key)) is not None:
            tags = event.tags | {WORDS_ONLY} if event.key in judged.worded else event.tags
            rows.append(evolve(event, reason=event.reason + tail, tags=tags))
        elif (reason := judged.unrelated.get(event.key)) is not None:
            omitted[scope_of(event)] += 1
            dropped.append((event, reason))
            set_aside.append(evolve(event, reason=reason))
        else:
            rows.append(event)
    return rows, set_aside


def _about_others(
    kept: list[Event], still: Callable[[Event], str | None], drop: Callable[[Event], None]
) -> list[Event]:
    """``kept`` without the bot posts outside the incident channel that were kept only for a
    change ``during`` set aside (``still``: their reason without it, None): those are dropped
    (``drop``) as bot posts about other services."""
    rows: list[Event] = []
    for event in kept:
        tags = event.tags
        if (
            "bot" in tags
            and "incident-channel" not in tags
            and is_chat(event.sources)
            and still(event) is None
        ):
            drop(event)
        else:
            rows.append(event)
    return rows


def _leadup_reason(
    event: Event, leadup: Mapping[str, str], deploys: Mapping[str, str], shipped: Mapping[str, str]
) -> str | None:
    """``deploys``: key -> the reason's tail (its tie) of the lead-up deploys shown by count."""
    if event.kind is Kind.DEPLOY and event.key in shipped:
        return f"leadup: {tool_reason(event)} that shipped {shipped[event.key]}"
    if event.kind is Kind.DEPLOY and event.key in deploys:
        return f"leadup: {tool_reason(event)}{deploys[event.key]}"
    if event.kind is not Kind.CHANGE:
        return None
    return leadup.get(event.key)


def _chat(event: Event) -> bool:
    return is_chat(event.sources)


def scope_of(event: Event) -> str:
    return event.scope or (event.sources[0] if event.sources else "unknown")


def incident_refs(incident: Incident) -> frozenset[str]:
    refs = {f"pd:{incident.id.lower()}"}
    if incident.number is not None:
        refs.add(f"pd#{incident.number}")
    return frozenset(refs)
