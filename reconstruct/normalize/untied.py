"""Alert rules of other services that merely fired in the window: a named count, never a row.

A shared alerting tool records every rule that changes state, so the window of an incident
about one rule (the one its incident alerts carry) also holds the flapping of another team's
rule on another dashboard ("KafkaConsumerLagWarning flapped 8 times"). As a row it reads as
part of the incident, and as the first firing it would become the impact start and the
detection. The rule here is narrow: it acts only when the incident has a **tied rule**:

- a rule the incident tool's own alerts carry: the ``rule:<name>:<state>`` refs of the tool
  (non-chat) alert rows that carry the incident's refs (``pd:<id>``, ``pd#<number>``), or a
  rule whose name those rows' words or the incident's title hold as a whole word
  ("EdgeHTTP403High: mobile API 403s ...");
- a rule a responder names (a person's message names it) without dismissing it.

Then an alert row whose rules (``rule:`` refs, ``alertname:`` tags) are all **untied** is set
aside, when (a) no incident alert carries its rule, (b) none of its links points to a page
(scheme, host and path: a dashboard, ``/d/<uid>``) a tied rule's records link to, (c) neither its
words, rule names nor labels name an affected service, repository or host (``Concern.named``)
and it shares no label (``label:<key>=<value>`` tags: the instance) with a tied rule's records,
and (d) no responder names its rule except to dismiss it (``DISMISS``: "ignore", "unrelated",
"not related", "noise"). Without a tied rule nothing is set aside. Each record set aside is
counted under ``reason`` ("alerts of KafkaConsumerLagWarning, a rule not tied to this incident").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from reconstruct.model import Event, Incident, Kind
from reconstruct.normalize.authority import is_chat
from reconstruct.normalize.concern import Concern
from reconstruct.normalize.instances import OTHER_LABEL

DISMISS = re.compile(
    r"\b(?:ignor(?:e|ed|ing)|unrelated|not related|noise|noisy|red herring|not ours)\b",
    re.IGNORECASE,
)
"""Words with which a responder dismisses an alert they name ("KafkaConsumerLagWarning again,
ignore")."""

ALERTNAME = "alertname:"
LABEL = "label:"


def rules(event: Event) -> dict[str, str]:
    """The event's alert rule names, lower case -> as written (``alertname:`` tags win over the
    lower-cased ``rule:<name>:<state>`` refs)."""
    found: dict[str, str] = {}
    for ref in sorted(event.refs):
        if ref.startswith("rule:"):
            name = ref[5:].rpartition(":")[0]
            if name:
                found.setdefault(name, name)
    for tag in sorted(event.tags):
        if tag.startswith(ALERTNAME) and tag[len(ALERTNAME) :]:
            written = tag[len(ALERTNAME) :]
            found[" ".join(written.split()).lower()] = written
    return found


def _words(name: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", re.IGNORECASE)


_REASON = "alerts of {}, a rule not tied to this incident"

WHY = (
    "a rule not tied to the incident: no incident alert carries it, on no dashboard "
    "of the incident's alerts, naming no affected service or instance, named by no responder "
    "but to dismiss it"
)
"""Why an alert under "Not shown" (``--why``) is no row."""


def reason(name: str) -> str:
    """The count a record of rule ``name`` set aside is counted under."""
    return _REASON.format(name)


def is_untied(reason: str) -> bool:
    """Whether a row set aside was set aside here (its ``reason``)."""
    head, _, tail = _REASON.partition("{}")
    return reason.startswith(head) and reason.endswith(tail)


def _page(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}".lower()


def names_rule(events: Iterable[Event]) -> Callable[[str], bool] | None:
    """A test of a message's text: does it name, as a whole word, an alert rule of these events'
    alert rows? Such a person's message is read here even when it is no row (``chatter`` and
    the parsers' tally keep it). None when no alert row names a rule."""
    names = {n for e in events if e.kind is Kind.ALERT for n in rules(e) if len(n) >= 3}
    if not names:
        return None
    pattern = re.compile(
        r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in sorted(names)) + r")(?![\w-])",
        re.IGNORECASE,
    )
    return lambda text: pattern.search(text) is not None


def either(
    first: Callable[[str], bool] | None, second: Callable[[str], bool] | None
) -> Callable[[str], bool] | None:
    """One text test of two (``during.mentions``, ``names_rule``); None when both are."""
    if first is None or second is None:
        return first or second
    return lambda text: first(text) or second(text)


def spoken(events: Iterable[Event]) -> tuple[str, ...]:
    """What people wrote in chat (``human`` messages, any channel) that names an alert rule of
    the events' alert rows (``names_rule``), for ``untied`` to tell a rule a responder names."""
    events = list(events)
    says = names_rule(events)
    if says is None:
        return ()
    return tuple(
        e.summary for e in events if "human" in e.tags and is_chat(e.sources) and says(e.summary)
    )


@dataclass(frozen=True, slots=True)
class Heard:
    """What is read of the records before the later steps drop it: what people wrote naming an
    alert rule (``spoken``), and per rule (lower case) its records' label values (``label:``
    and ``alertlabel:`` tags, before ``instances.named_instances`` drops those that name no
    instance: ``service=orders-api``)."""

    said: tuple[str, ...] = ()
    labels: tuple[tuple[str, frozenset[str]], ...] = ()

    @classmethod
    def of(cls, events: Iterable[Event]) -> Heard:
        events = list(events)
        labels: dict[str, set[str]] = {}
        for event in events:
            if event.kind is not Kind.ALERT:
                continue
            values = {
                t.partition("=")[2].lower()
                for t in event.tags
                if t.startswith((LABEL, OTHER_LABEL))
            }
            for name in rules(event) if values else ():
                labels.setdefault(name, set()).update(values)
        return cls(spoken(events), tuple((n, frozenset(v)) for n, v in sorted(labels.items())))


NOTHING = Heard()


def untied(
    kept: Iterable[Event],
    events: Iterable[Event],
    heard: Heard,
    incident: Incident,
    concern: Concern,
) -> dict[str, str]:
    """Key of each kept alert row set aside -> its reason (``reason``); empty without a tied
    rule. ``kept``: the window's rows kept so far; ``events``: every row (a bot's notification
    of a rule says what it is about); ``heard``: what people wrote naming a rule, kept or not,
    and the rules' label values."""
    alerts = [e for e in kept if e.kind is Kind.ALERT and not is_chat(e.sources)]
    by_name: dict[str, list[Event]] = {}
    for event in alerts:
        for name in rules(event):
            by_name.setdefault(name, []).append(event)
    own = [e for e in alerts if not concern.incident_refs.isdisjoint(e.refs)]
    tied: set[str] = {name for e in own for name in rules(e)}
    texts = [incident.title, *(e.summary for e in own)]
    patterns = {name: _words(name) for name in by_name if len(name) >= 3}
    tied.update(n for n, p in patterns.items() if any(p.search(t) for t in texts))
    for name, pattern in patterns.items():
        if any(pattern.search(t) and not DISMISS.search(t) for t in heard.said):
            tied.add(name)  # a responder names it, not to dismiss it: part of the incident
    if not tied:
        return {}
    tied_rows = [e for e in alerts if not tied.isdisjoint(rules(e))]
    pages = {_page(link.url) for e in tied_rows for link in e.links if not _chat_link(link.source)}
    instances = {t for e in tied_rows for t in e.tags if t.startswith(LABEL)}
    values = dict(heard.labels)
    keep = set(tied)
    for name, records in by_name.items():
        if name in keep:
            continue
        if any(
            _page(ln.url) in pages for e in records for ln in e.links if not _chat_link(ln.source)
        ):
            keep.add(name)  # on a dashboard of the incident's alerts
        elif any(not instances.isdisjoint(e.tags) for e in records):
            keep.add(name)  # an instance of the incident's alerts
        elif any(_labels_name(v, concern) for v in values.get(name, ())):
            keep.add(name)  # its labels name an affected service (``pod=orders-api-7c9d-00``)
    open_names = [n for n in patterns if n not in keep]
    for event in events if open_names else ():
        if "human" in event.tags:
            continue  # a person's words: only ``heard.said`` (naming, or dismissing)
        mine = rules(event)
        about = [n for n in open_names if n in mine or patterns[n].search(event.summary)]
        if about and any(concern.named(w) for w in (event.summary, *mine)):
            keep.update(about)  # a record of the rule names an affected service
    out: dict[str, str] = {}
    for event in alerts:
        mine = rules(event)
        if mine and keep.isdisjoint(mine):
            out[event.key] = reason(_shortest(mine))
    return out


def _labels_name(value: str, concern: Concern) -> bool:
    """Whether a label value names an affected service: as a word, or as the first part of a
    name made from it (a pod ``orders-api-7c9d8f-00`` of the deployment ``orders-api``)."""
    return concern.named(value) is not None or any(
        value.startswith(name + "-") for name in concern.names
    )


def _shortest(names: Mapping[str, str]) -> str:
    """The rule's name as written: the shortest (``KafkaConsumerLagWarning`` before
    ``kafkaconsumerlagwarning billing-consumer``), written forms first."""
    return min(names.values(), key=lambda n: (n.islower(), len(n), n))


def _chat_link(source: str) -> bool:
    return is_chat((source,))
