"""The bulk of a busy channel, counted up front: a person's plain message in the incident window.

A Slack message whose tags are exactly ``human`` and ``incident-channel``, still
``kind=message``, at or after ``window.start``, that no ``[classify]`` pattern matches and that
names no PR (``leadup.names_change``: the lead-up reads those), no commit or repository of a
change (``during.mentions``: ``during`` reads those) and is no copy of a record a
person wrote in a tool (``copies``: the same words within ``[collapse] step_window``, which
``steps`` joins) is never
kept: text refs and merging leave it as it is (a person's message never merges), classification
gives it no kind, and selection counts it under its scope. ``set_aside`` counts those per scope
before the later steps run, so they only see what they could keep (most of a large incident).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime

from reconstruct.model import Event, Kind
from reconstruct.normalize.authority import chat_only
from reconstruct.normalize.classify import Classifier
from reconstruct.normalize.copies import NOWHERE, Written
from reconstruct.normalize.leadup import names_change
from reconstruct.normalize.reasons import plain_reason
from reconstruct.normalize.select import PLAIN_TAGS, scope_of


def set_aside(
    events: Iterable[Event],
    start: datetime,
    classifier: Classifier,
    written: Written = NOWHERE,
    mentions: Callable[[str], bool] | None = None,
) -> tuple[list[Event], Counter[str], Counter[tuple[str, str]]]:
    """The events the later steps must see, the count per scope of those set aside, and the
    same count per (source, reason) (``reasons.plain_reason``, one reason per scope).
    ``written``: the records people wrote in tools; a copy of one is not set aside.
    ``mentions``: a text naming a commit or repository of the window's changes is not set
    aside either (``during.mentions``: ``during.judge`` reads it)."""
    rest: list[Event] = []
    per_source: Counter[tuple[tuple[str, ...], str]] = Counter()
    message = Kind.MESSAGE
    chat = chat_only()
    copies = written.copies if written.times else None
    for event in events:
        if (
            event.tags == PLAIN_TAGS
            and event.kind is message
            and event.sources in chat
            and event.time >= start
            and classifier.human_text(event.summary) is None  # classify(event), tags known
            and not names_change(event.summary)  # the lead-up reads it (``leadup.choose``)
            and (copies is None or not copies(event.time, event.summary))  # ``copies``
            and (mentions is None or not mentions(event.summary))  # ``during``
        ):
            per_source[(event.sources, scope_of(event))] += 1
        else:
            rest.append(event)
    counted: Counter[str] = Counter()
    why: Counter[tuple[str, str]] = Counter()
    for (sources, scope), count in per_source.items():
        counted[scope] += count
        why[(sources[0], plain_reason(scope))] += count
    return rest, counted, why
