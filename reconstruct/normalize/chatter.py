"""The bulk of a busy channel, counted up front: a person's plain message in the incident window.

A Slack message whose tags are exactly ``human`` and ``incident-channel``, still
``kind=message``, at or after ``window.start``, that no ``[classify]`` pattern matches is never
kept: text refs and merging leave it as it is (a person's message never merges), classification
gives it no kind, and selection counts it under its scope. ``set_aside`` counts those per scope
before the later steps run, so they only see what they could keep (most of a large incident).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from reconstruct.model import Event, Kind
from reconstruct.normalize.classify import Classifier
from reconstruct.normalize.reasons import omission
from reconstruct.normalize.select import PLAIN_TAGS, SLACK_ONLY, scope_of


def set_aside(
    events: Iterable[Event], start: datetime, classifier: Classifier
) -> tuple[list[Event], Counter[str], Counter[tuple[str, str]]]:
    """The events the later steps must see, the count per scope of those set aside, and the
    same count per (source, reason) (``reasons.omission``, one reason per scope)."""
    rest: list[Event] = []
    counted: Counter[str] = Counter()
    message = Kind.MESSAGE
    for event in events:
        if (
            event.tags == PLAIN_TAGS
            and event.kind is message
            and event.sources == SLACK_ONLY
            and event.time >= start
            and classifier.human_text(event.summary) is None  # classify(event), tags known
        ):
            counted[scope_of(event)] += 1
        else:
            rest.append(event)
    why: Counter[tuple[str, str]] = Counter()
    for scope, count in counted.items():
        sample = Event(start, message, "", SLACK_ONLY, (), "", tags=PLAIN_TAGS, scope=scope)
        why[(SLACK_ONLY[0], omission(sample, start))] += count
    return rest, counted, why
