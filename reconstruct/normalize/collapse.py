"""Row economy: a series of like rows becomes one row with its count, span and first and last
evidence; every record stays in that row's ``members``.

Runs last (after ``steps``), on the kept rows. Three kinds of series:

- **Repeated pages**: pages (kind ``page``) for the same person(s) (``whom:`` ids) ->
  "Priya Raman notified 380 times by email, 09:43–10:20"; pages that reached no one counted
  apart, per method, with why when each says the same ("; 2 phone pages failed (no answer)"), or
  "4 phone pages to Kim Nguyen failed (no answer), 09:45–09:51" when none reached them.
- **A flapping alert**: an alert rule that changes state at least ``[collapse] flap_changes``
  times (default 4) within ``[collapse] flap_window`` (default 1h), whatever the states
  (Pending and Normal without ever firing too). Elastic calls an alert
  flapping when it changes status at least 4 times in its last 20 rule runs (Kibana's
  ``DEFAULT_FLAPPING_SETTINGS``, https://github.com/elastic/kibana/pull/147774); we have state
  changes, not runs, so the window is time, as in Moogsoft's ``xinyState`` (X state changes in
  Y seconds; a repeat of the same state is no change,
  https://docs.moogsoft.com/Enterprise.8.0.0/xinystate.html) ->
  "CheckoutLatency flapped: 60 state changes 09:45–10:15, last state Normal": the count, span
  and last state are exactly the row's members' (a member repeating the state before it, as
  Grafana's "Alerting -> Alerting" on a re-evaluation, is kept but not counted: "(2 repeats of
  a state not counted)"; states named as Grafana writes them:
  ``NoData``, ``OK``); a milestone among them (below) is a row of its own, named by its time,
  and only the total in brackets counts it ("(60 in all, counting the row at 09:45)").
- **An alert storm**: the alerts of one rule, firing and clearing (each rule its own row) ->
  "96 alerts of Cache hit ratio fired across 96 pods, 09:41–09:58; 96 cleared across 96 pods,
  10:25–10:35": per state its count, the instance label that differs most among them (tag
  ``label:<key>=<value>``) and its span; a milestone among them is named, "(the 09:41:00 one
  its own row)". Alerts without a rule: one series per state and text, numbers aside.

- **A bot's repeated posts**: one bot's plain posts (kind ``message``, tag ``bot``, one tool)
  in one channel with the same shape (``shape``: the text with every URL, chat mention or
  token holding a digit masked) -> "kube-events: 120 posts like “Pod payments-api-6d9f-00
  restarted (OOMKilled), restart count 1”, 14:03–15:05". A bot post a rule gave a milestone
  kind (a status update, a mitigation) or a person pinned is no plain post: it stays a row of
  its own.

A rule is the longest of the row's names (``rule:<name>`` refs, ``alertname:<name>`` tags) that
a tool states as a name (an ``alertname:`` tag anywhere, or the only rule a row carries: a chat
title's ``[FIRING:1] PaymentsLatencyHigh payments`` gives every run of its leading words), else
the longest; its shown name is an ``alertname:`` tag's, as written. A row without one is in the
series of the rows with its text, numbers aside (PagerDuty's alerts of one group: "Disk latency
high on db-3", "... on db-7"). A state annotation (Grafana's Pending, NoData, Error) is in its
rule's series by its ``alertname:`` tag, else by the rule its text names, so a rule flapping
through Pending is one series; when the rule does not flap, such states stay rows. A series
needs ``[collapse] min_series`` rows (default 3); fewer stay as they are, but a person's pages
too few for a series join the first page of their assignment (``repeats``: "Paged Ana Silva by
push at 14:00 and 14:05").

Milestones never collapse: the incident's first firing and its last clearing (of any rule; the
incident's own trigger is a row anyway), the first page for a person (an escalation row holding
their page counts, ``steps``) and the last one before each of their acknowledgements (the page
that led to the ack) stay rows of their own, so a series row holds only the rows around them.
``[collapse] expand`` (``--expand``) leaves every row as it is.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from functools import lru_cache

from reconstruct.config import CollapseConfig
from reconstruct.model import Event, Kind, Link
from reconstruct.normalize.evolve import new_event
from reconstruct.normalize.instances import LABEL, alertnames
from reconstruct.normalize.order import order_key
from reconstruct.normalize.people import person_of, targets_of
from reconstruct.normalize.repeats import repeat_rows
from reconstruct.normalize.steps import failure_of

SERIES = "series"
"""Tag of a collapsed row."""
_RESOLVED = "resolved"
_TRIGGERED = "state:triggered"
_STATE_WORDS = {"firing": "fired", "resolved": "cleared"}


def collapse(
    events: list[Event], config: CollapseConfig, names: Mapping[str, str]
) -> tuple[list[Event], int]:
    """The rows (in timeline order, as ``steps.merge_steps`` gives them) with each series as
    one row, and how many rows were folded into series rows (members minus series rows).
    ``names``: person id -> display name."""
    rows = events
    keep = _milestones(rows)  # keys
    series: list[tuple[str, str, list[Event]]] = []
    pages: dict[frozenset[str], list[Event]] = defaultdict(list)
    alerts: dict[str, list[Event]] = defaultdict(list)
    states: list[Event] = []
    posts: dict[tuple[str, str, str], list[Event]] = defaultdict(list)
    known = _known_rules(rows)
    for event in rows:
        if _plain_bot_post(event):
            bot = person_of(event) or event.actor or ""
            posts[(bot, event.scope or "", shape(event.summary))].append(event)
        elif event.kind is Kind.PAGE and (whom := targets_of(event)):
            pages[whom].append(event)
        elif event.kind is Kind.ALERT:
            alerts[_series_key(event, known)].append(event)
        elif event.kind is Kind.ANNOTATION and any(t.startswith("state:") for t in event.tags):
            if key := _rule_key(event, known):
                alerts[key].append(event)
            else:
                states.append(event)
    _join_states(alerts, states)
    few: list[frozenset[str]] = []  # people paged too few times for a series (``repeats``)
    for whom, group in pages.items():
        who = " and ".join(sorted(names.get(p, p.partition(":")[2]) for p in whom))
        members = [e for e in group if e.key not in keep]
        if len(members) >= config.min_series:
            methods = sorted({t[4:] for e in members for t in e.tags if t.startswith("via:")})
            how = f" by {', '.join(methods)}" if methods else ""
            reached = [e for e in members if _paged(e) or not _failed(e)]
            if reached:
                text = f"{who} notified {len(reached)} times{how}, {_span(members)}"
                text += f"; {fails}" if (fails := _failures(members)) else ""
            else:
                text = f"{len(members)} {_failed_methods(members)}pages to {who} failed"
                text += f" ({why})" if (why := _one_failure(members)) else ""
                text += f", {_span(members)}"
            series.append((text, "repeated pages", members))
        else:
            few.append(whom)
    for key, group in alerts.items():
        series.extend(_alert_series(key, group, keep, config))
    actors: dict[str, str] = {}
    for group in posts.values():
        if len(group) >= config.min_series:
            first = group[0].summary
            if all(e.summary == first for e in group):
                text = f"“{first}” posted {len(group)} times, {_span(group)}"
            else:
                text = f"{len(group)} posts like “{first}”, {_span(group)}"
            series.append((text, "repeated bot posts", group))
            actors[group[0].key] = group[0].actor or ""
    folded: dict[str, Event] = {}
    for summary, reason, members in series:
        row = _series_row(members, summary, reason, actors.get(members[0].key))
        for member in members:
            folded[member.key] = row
    for row in repeat_rows(rows, few, keep, names):  # paged again before anyone answered
        for member in row.members:
            folded[member.key] = row
    out: list[Event] = []
    placed: set[str] = set()
    for event in rows:
        series_row = folded.get(event.key)
        if series_row is None:
            out.append(event)
        elif series_row.key not in placed:
            placed.add(series_row.key)
            out.append(series_row)
    return out, len(folded) - len(placed)


def _join_states(alerts: dict[str, list[Event]], states: list[Event]) -> None:
    """Alert state annotations without a rule name of their own join the series of the longest
    rule their text names, word for word, so a rule flapping through Pending is one series."""
    names = sorted((k for k in alerts if not k.startswith("text:")), key=len, reverse=True)
    if not names or not states:
        return
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in names) + r")(?!\w)")
    joined: set[str] = set()
    for event in states:
        found = [m.group(1) for m in pattern.finditer(event.summary.casefold())]
        if found:
            name = max(found, key=len)
            alerts[name].append(event)
            joined.add(name)
    for name in joined:
        alerts[name].sort(key=order_key)


_NUMBER = re.compile(r"\d+")
_MASKS = (
    re.compile(r"<?https?://[^\s>|]+(?:\|[^>]*)?>?"),  # a URL, a chat link <url|label>
    re.compile(r"<[@#!][^>]*>"),  # a chat mention of a person, channel or group
    re.compile(r"[\w./:@+-]*\d[\w./:@+-]*"),  # a number, id, version, time, pod or host name
)


def shape(text: str) -> str:
    """A bot post's shape: its text with every URL and chat mention, and every token holding a
    digit (a number, an id, a version, a time, ``payments-api-6d9f-00``, ``db-3``,
    ``10.0.3.7:8080``) masked as ``#``, runs of white space as one space. Words, case and
    punctuation stay: a pod or host name without a digit is a word, so two such names are two
    shapes."""
    for pattern in _MASKS:
        text = pattern.sub("#", text)
    return " ".join(text.split())


def _known_rules(rows: list[Event]) -> frozenset[str]:
    """Rule names a tool states as a name, not read off a title: an ``alertname:`` tag (a
    label or the dashboard's rule), or the one rule a row carries. A chat title
    (``[FIRING:1] PaymentsLatencyHigh payments``) gives every run of its leading words, so
    its rule is the longest of them that is a known name."""
    known: set[str] = set()
    for event in rows:
        if event.kind is not Kind.ALERT and event.kind is not Kind.ANNOTATION:
            continue
        known.update(n.casefold() for n in alertnames(event.tags))
        rules = _rules_of(event.refs)
        if len(rules) == 1:
            known.update(rules)
    return frozenset(known)


def _rule_key(event: Event, known: frozenset[str]) -> str:
    """The row's rule: the longest of its names (``alertname:`` tags, ``rule:`` refs) that is
    a known name, else the longest; "" when it names none."""
    names = _rules_of(event.refs) | {n.casefold() for n in alertnames(event.tags)}
    if not names:
        return ""
    best = sorted(names & known or names, key=lambda n: (-len(n), n))
    return best[0]


def _series_key(event: Event, known: frozenset[str]) -> str:
    """An alert row's series: its rule, else its text with every number masked (the same alert
    on ``cache-17`` and ``cache-18``)."""
    return _rule_key(event, known) or "text:" + _NUMBER.sub("#", event.summary)


@lru_cache(maxsize=4096)
def _rules_of(refs: frozenset[str]) -> frozenset[str]:
    return frozenset(ref[5:].rpartition(":")[0] for ref in refs if ref.startswith("rule:"))


def _rule(event: Event) -> tuple[str, str]:
    """The longest alert rule name the row carries and its state ("" when none)."""
    return _rule_of(event.refs)


@lru_cache(maxsize=4096)
def _rule_of(refs: frozenset[str]) -> tuple[str, str]:
    best = ("", "")
    for ref in refs:
        if ref.startswith("rule:"):
            name, _, state = ref[5:].rpartition(":")
            if len(name) > len(best[0]) or (len(name) == len(best[0]) and name < best[0]):
                best = (name, state)
    return best


_SAME_STATE = {"alerting": "firing", "normal": "resolved"}
"""A state annotation's ``state:`` tag as the state a firing or clearing row's ref says."""


def _state(event: Event) -> str:
    state = _rule(event)[1] or next(
        (t[6:] for t in sorted(event.tags) if t.startswith("state:")), ""
    )
    return _SAME_STATE.get(state, state)


def _milestones(rows: list[Event]) -> set[str]:
    """Keys of rows no series takes: the incident's first firing and its last clearing (of any
    rule); the first page for a person (an escalation that paged them counts) and the last one
    before each of their acknowledgements (the page that led to the ack)."""
    keep: set[str] = set()
    first: Event | None = None
    last_clear: Event | None = None
    for event in rows:
        if event.kind is not Kind.ALERT or _TRIGGERED in event.tags:
            continue  # the incident's own trigger is a row of its own, not an alert's firing
        state = _rule(event)[1]
        if state != _RESOLVED and first is None:
            first = event
        if state == _RESOLVED:
            last_clear = event
    keep.update(e.key for e in (first, last_clear) if e is not None)
    last_page: dict[str, Event] = {}
    for event in rows:
        if event.kind is Kind.PAGE or (event.kind is Kind.ESCALATE and _paged(event)):
            for person in targets_of(event):
                if person not in last_page:
                    keep.add(event.key)  # the first page for a person
                last_page[person] = event
        elif event.kind is Kind.ACK and (who := person_of(event)) and who in last_page:
            keep.add(last_page[who].key)
    return keep


def _plain_bot_post(event: Event) -> bool:
    """A bot's post that is no milestone: kind ``message`` (no rule gave it another), one tool's
    (not joined to another tool's record of the same occurrence), not pinned (a person kept it)."""
    return (
        event.kind is Kind.MESSAGE
        and "bot" in event.tags
        and "pinned" not in event.tags
        and len(event.sources) == 1
    )


def _failed(event: Event) -> bool:
    """A page that did not reach the person (``steps``: a ``failed:`` tag)."""
    return any(t.startswith("failed:") for t in event.tags)


def _failed_of(event: Event) -> list[str]:
    """The methods by which a page row did not reach the person (``failed:`` tags; a step row
    that also reached them by that method has it as ``via:`` too, and it is left out)."""
    via = {t[4:] for t in event.tags if t.startswith("via:")}
    return sorted(t[7:] for t in event.tags if t.startswith("failed:") and t[7:] not in via)


def _failures(members: list[Event]) -> str:
    """The failed pages among a series' members, per method, with why when every one says the
    same: ``2 phone pages failed (no answer)``, ``1 SMS page failed, 2 phone pages failed``."""
    counts: dict[str, int] = defaultdict(int)
    for event in members:
        for method in _failed_of(event):
            counts[method] += 1
    parts = []
    for method in sorted(counts):
        n = counts[method]
        why = failure_of([e for e in members if method in _failed_of(e)], method)
        parts.append(f"{n} {method} page{'s' * (n > 1)} failed" + (f" ({why})" if why else ""))
    return ", ".join(parts)


def _failed_methods(members: list[Event]) -> str:
    """``phone `` when every failed page of a series was by one method, else ""."""
    methods = {m for e in members for m in _failed_of(e)}
    return f"{methods.pop()} " if len(methods) == 1 else ""


def _one_failure(members: list[Event]) -> str:
    methods = {m for e in members for m in _failed_of(e)}
    whys = {failure_of(members, m) for m in methods}
    return whys.pop() if len(whys) == 1 else ""


def _paged(event: Event) -> bool:
    """An escalation row that holds the page it caused (``steps``: a ``via:`` tag)."""
    return any(t.startswith("via:") for t in event.tags)


def _alert_series(
    key: str, group: list[Event], keep: set[str], config: CollapseConfig
) -> list[tuple[str, str, list[Event]]]:
    name = _shown_name(key, group)
    states = [_state(e) for e in group]
    apart = [e for e in group if e.key in keep]
    if _flaps(group, states, config):
        members = [e for e in group if e.key not in keep]
        if len(members) < config.min_series:
            return []
        repeats = {
            e.key
            for e, prev, now in zip(group[1:], states, states[1:], strict=False)
            if now == prev
        }
        changes = len([e for e in members if e.key not in repeats])
        last = _last_state(members[-1])
        text = f"{name} flapped: {changes} state changes {_span(members)}, last state {last}"
        if apart:
            times = list(dict.fromkeys(f"{e.time:%H:%M}" for e in apart))
            rows = "the row" if len(apart) == 1 else "the rows"
            if len(apart) > 1 and len(times) == 1:
                rows = f"the {len(apart)} rows"
            text += (
                f" ({len(group) - len(repeats)} in all, counting {rows} at {' and '.join(times)})"
            )
        if repeated := len([e for e in members if e.key in repeats]):
            text += f" ({repeated} repeat{'s' * (repeated > 1)} of a state not counted)"
        return [(text, f"flapping alert ({config.flap_changes}+ state changes)", members)]
    if not key.startswith("text:"):
        # one rule, one row: its milestones (the incident's first firing, last clearing) apart;
        # a state that is no firing or clearing (Pending, NoData) stays a row when not flapping
        pairs = [(e, s) for e, s in zip(group, states, strict=True) if e.kind is Kind.ALERT]
        group, states = [e for e, _ in pairs], [s for _, s in pairs]
        members = [e for e in group if e.key not in keep]
        if len(members) < config.min_series:
            return []
        parts: list[tuple[int, str]] = []
        for state in dict.fromkeys(states):
            of_state = [e for e, s in zip(group, states, strict=True) if s == state]
            verb = _STATE_WORDS.get(state, state or "raised")
            part = f"{verb}{_across(of_state)}, {_span(of_state)}"
            if own := [e for e in of_state if e.key in keep]:
                when = " and ".join(dict.fromkeys(f"{e.time:%H:%M:%S}" for e in own))
                part += f" (the {when} one its own row)"
            parts.append((len(of_state), part))
        (count, first), rest = parts[0], parts[1:]
        if count > 1 and count == max(n for n, _ in parts):
            # "100 alerts of X fired across 100 pods, 14:03–14:12; 100 cleared ..., 14:50–14:59"
            text = f"{count} alerts of {name} {first}" + "".join(f"; {n} {p}" for n, p in rest)
        else:
            text = f"{name}: " + "; ".join(f"{n} {p}" for n, p in parts)
        return [(text, "alert storm (one rule)", members)]
    out = []
    for state in dict.fromkeys(states):
        members = [
            e for e, s in zip(group, states, strict=True) if s == state and e.key not in keep
        ]
        if len(members) < config.min_series:
            continue
        first = members[0].summary
        if all(m.summary == first for m in members):
            text = f"{first} ({len(members)} alerts, {_span(members)})"
        else:
            text = f"{len(members)} alerts like “{first}”, {_span(members)}"
        out.append((text, "alert storm (one rule)", members))
    return out


def _across(members: list[Event]) -> str:
    """`` across 40 pods``: the instance label (tag ``label:<key>=<value>``) whose values differ
    most among the members; "" when none differs."""
    values: dict[str, set[str]] = defaultdict(set)
    for event in members:
        for tag in event.tags:
            if tag.startswith(LABEL):
                key, _, value = tag[len(LABEL) :].partition("=")
                values[key].add(value)
    best = max(sorted(values.items()), key=lambda item: len(item[1]), default=None)
    if best is None or len(best[1]) < 2:
        return ""
    key, seen = best
    return f" across {len(seen)} {key if key.endswith('s') else key + 's'}"


def _flaps(group: list[Event], states: list[str], config: CollapseConfig) -> bool:
    """At least ``flap_changes`` state changes within ``flap_window``."""
    changes = [
        e.time for e, prev, now in zip(group[1:], states, states[1:], strict=False) if now != prev
    ]
    need = config.flap_changes
    for n in range(len(changes) - need + 1):
        if changes[n + need - 1] - changes[n] <= config.flap_window:
            return True
    return False


def _shown_name(key: str, group: list[Event]) -> str:
    """The rule's name as a tool wrote it (the refs hold it in lower case): an ``alertname:``
    tag, else the members' text."""
    if key.startswith("text:"):
        return group[0].summary
    for event in group:
        for name in alertnames(event.tags):
            if name.casefold() == key:
                return name
    for event in group:
        at = event.summary.casefold().find(key)
        if at >= 0:
            return event.summary[at : at + len(key)]
    return key


_STATE_NAMES = {"nodata": "NoData", "no_data": "NoData", "ok": "OK"}
"""States as Grafana writes them where ``capitalize`` would not (``Nodata``, ``Ok``)."""


def _last_state(event: Event) -> str:
    for tag in sorted(event.tags):
        if tag.startswith("state:"):
            state = tag[6:]
            return _STATE_NAMES.get(state, state.replace("_", " ").capitalize())
    return _rule(event)[1] or "unknown"


def _span(members: list[Event]) -> str:
    """``09:43–10:20`` (UTC), the dates added when it crosses midnight; ``at 09:44`` within
    one minute."""
    start, end = members[0].time, members[-1].time
    if start.date() != end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%Y-%m-%d %H:%M}"
    if f"{start:%H:%M}" == f"{end:%H:%M}":
        return f"at {start:%H:%M}"
    return f"{start:%H:%M}–{end:%H:%M}"


def _series_row(members: list[Event], summary: str, reason: str, actor: str | None = None) -> Event:
    first, last = members[0], members[-1]
    links: list[Link] = []
    if first.links:
        ln = first.links[0]
        links.append(Link(ln.source, ln.url, f"first: {ln.label or ln.source}"))
    if last.links and last is not first:
        ln = last.links[0]
        links.append(Link(ln.source, ln.url, f"last: {ln.label or ln.source}"))
    kinds = {m.kind for m in members}
    return new_event(
        first.time,
        Kind.ALERT if Kind.ALERT in kinds else first.kind,
        summary,
        tuple(sorted({s for m in members for s in m.sources})),
        tuple(links),
        f"{SERIES}:{first.key}",
        actor or None,
        frozenset().union(*(m.refs for m in members)),
        frozenset().union(*(m.tags for m in members)) | {SERIES},
        first.scope,
        f"{reason}: {len(members)} rows",
        tuple(members),
    )
