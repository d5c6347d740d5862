"""Row economy: a series of like rows becomes one row with its count, span and first and last
evidence; every record stays in that row's ``members``.

Runs last (after ``steps``), on the kept rows. Three kinds of series:

- **Repeated pages**: pages (kind ``page``, one row per round) for the same person(s)
  (``whom:`` ids) -> "Dana Okoro paged 14 times, 09:05–09:18 (32 notifications: 14 push, 14
  email, 4 SMS)": the pages counted as rounds, the notifications (log entries: one per device,
  number or address, ``repeats.tally``) exactly per method, the failed ones said apart ("; 2 by
  phone failed, no answer"); when none reached them, "4 phone pages to Kim Nguyen failed (no
  answer), 09:45–09:51", with the notifications counted when a page held more than one.
- **A flapping alert**: an alert rule one of whose instances (``instances.instance_of``: its
  ``label:`` tags; a rule naming none is one instance) changes state at least ``[collapse]
  flap_changes`` times (default 4) within ``[collapse] flap_window`` (default 1h), its Pending
  steps joined (``pending``: Pending -> Alerting one firing, Pending -> Normal no change).
  Elastic calls an alert flapping when it changes status at least 4 times in its last 20 rule
  runs (Kibana's ``DEFAULT_FLAPPING_SETTINGS``, https://github.com/elastic/kibana/pull/147774);
  we have state changes, not runs, so the window is time, as in Moogsoft's ``xinyState`` (X
  state changes in Y seconds; a repeat of the same state is no change,
  https://docs.moogsoft.com/Enterprise.8.0.0/xinystate.html). Changes are counted per instance
  (pod B firing after pod A is a change of B, no repeat): one instance ->
  "CheckoutLatency flapped 60 times 09:45–10:15, last state Normal"; several ->
  "CoreDNSForwardLatency flapped on 1 of 6 pods (coredns-2xkqz), 24 state changes
  14:01–15:24; last state Normal on all" (the instances that flap, named when not all; every
  instance's changes; each one's last state: "last state Normal on 5 pods, Alerting on
  coredns-2xkqz"). A record repeating its instance's state before it (Grafana's "Alerting ->
  Alerting" on a re-evaluation, a re-notification) is a member but not counted: "(2 repeats
  of a state not counted)"; a notifier's post of the group naming no instance when others do
  (``[FIRING:6] X``) is a member, no instance and no repeat; states named as Grafana writes
  them: ``NoData``, ``OK``; a milestone among them (below) is a row of its own, counted among
  the changes and named by its time as an author notes it: "...; 09:10 firing shown
  separately", but for the incident's last clearing when it is the rule's last record and
  leaves every instance cleared: the rule's resolution ends the row's story, a member said
  in its words, "OrdersApiP99Latency flapped 8 times 14:03–14:41 (4 firings, 4 clearings);
  resolved 14:41" ("resolved on all by 14:41" for several instances).
- **An alert storm**: the alerts of one rule, each part at the time it happened. Its firings
  (per state that is no clearing) split into waves (a gap over ``[collapse] wave_gap``, default
  5 minutes, starts the next): the wave holding the incident's first firing joins that row:
  "Grafana alert Cache hit ratio (pod=cache-00) firing; 96 pods firing by 09:58" (the instance
  label that differs most among them, tag ``label:<key>=<value>``, and when the last fired);
  every other wave is a row at its first time, "96 alerts of Cache hit ratio fired across 96
  pods, 09:41–09:58", "KafkaLag firing again on 25 pods (orders-5 … orders-19, search-0 …
  search-9), 10:40–10:46" when every instance of the wave fired in an earlier one, "12 more
  alerts of ..." when some are new. NoData and Error (a change of state) on ``min_series``
  instances or more within a wave are a row, "KafkaLag went NoData on 12 pods (...),
  10:30–10:31"; fewer stay rows. Its clearings split into waves too, each at its own time: the
  wave holding the incident's last clearing joins that row ("...resolved; the last 3 of 8
  instances (gw-6 … gw-8) cleared, this one last, 14:41–14:42", "...; all 8 instances cleared,
  this one last, 14:33–14:42" for one wave, ``_last_wave_words``);
  every other wave is a row at its first clearing, a partial recovery: "EdgeTLSHandshakeErrors
  cleared on 5 of 8 instances (gw-1 … gw-5), 14:33–14:34" ("on all 5 pods" when it is every
  instance). Instances are counted, not clearings: an instance that cleared in an earlier wave
  and fired since is said apart, as cleared again ("...; the last 3 of 8 instances (gw-6 …
  gw-8) cleared, this one last, 14:41–14:42; gw-3 cleared again"; the row's own instance, which
  its head names, "..., then this one again, ..."; "... cleared on the last 2 of 8 instances
  (gw-7, gw-8) and again on gw-3"), and its firing row, when it stays a row, says so: "... firing
  again (cleared 14:34) (B=0.6, C=1)". A wave of fewer than ``min_series`` alerts (a
  milestone it joins counted) of two or more instances, one record each (``_small_wave``), is
  one row naming them, as an author merges them: "ReplicationLag fired on replica-1 and
  replica-2, 14:02–14:03" (``_few_fired``), "... cleared on replica-1 and replica-2, ...", "...
  cleared on 2 of 8 instances (gw-1, gw-2), ..."; holding the incident's first firing or last
  clearing, it joins that row, which keeps its time: "...; also on replica-2 at 14:03"
  (``_few_first``), "...; both instances (replica-1, replica-2) cleared, this one last, ...".
  Any other part or wave that small stays as its rows. A notifier's chat post of the group
  (Alertmanager's ``[FIRING:44] X`` /
  ``[RESOLVED] X`` in Slack, Grafana's ``[FIRING:12, RESOLVED:18] X`` listing each alert's
  ``Labels:``: a bot's record holding no state record that names no instance or reports
  several alerts, ``groupposts``) is no alert of its own when the tool's own records of the
  rule exist: a member and a link of the wave it falls within ``wave_gap`` of, of a state it
  reports (the nearest; a post of both joins the clearing on a tie), never counted, never
  moving a span or a "by" time, never the incident's first firing or last clearing; the row's
  reason says "30 rows and 1 chat post". The tool's records count; a post counts only the
  instances (``label`` values) it lists in the wave's state that no record of the tool has in
  that state, each once, in the first wave it joins. A notice beside a wave too small for a
  row joins the row of the nearest record of a state it reports (``_beside``), its words
  unchanged, or the row that record is in (``_taken_in``); notices are no state changes when
  a rule is judged for flapping. Long
  instance lists there are a count with the first and last: "20 again (ip-10-40-17-40 to
  ip-10-40-19-97)". A joined row keeps the milestone's time, key, kind and links, adds the
  ``first:`` / ``last:`` link of the records joined before / after it, and holds every record as
  ``members``. Alerts without a rule: one series per state and text, numbers aside.
- **Re-evaluations** (``reevaluations``): a state record that is no new firing or clearing and
  keeps its instance's previous state (Grafana's "Alerting -> Alerting (NoData, KeepLast)") is
  a member of the row holding that previous record, counted in its words ("...; 3
  re-evaluations at 10:30: still firing on search-0 … search-2"), never a row; a rule paused,
  updated or deleted (tag ``stopped``) or an instance's only record stays a row. A flapping
  rule keeps them in its flapping row, uncounted.
- **Pending, then firing** (``pending``): before a rule's storm is cut, an instance's Pending
  record and its firing within ``[collapse] pending_window`` are one row, the firing's ("...
  firing (pending since 13:58)"); a Pending and its return to normal, never fired, one row
  ("... pending 09:42, back to normal 09:43 without firing"), ``min_series`` of a rule's one
  row ("CardAuthP99 went pending 10 times and never fired, 09:42–10:10"). A rule is judged for
  flapping with these steps joined; one that flaps says its changes by state, adding up to
  their count, and what changed nothing: "(4 firings, 4 clearings; 2 pending never fired)".
- **Earlier blips** (``blips``): of a rule that fired fewer times than a series needs, each
  firing that cleared before the incident's start is one lead-up row with its clearing ("...
  fired (pending since 13:10); cleared 13:28, before the incident began"), never the
  incident's first firing.

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
push at 14:00 and 14:05"); a series of them is led by that first page when nothing came between
(``_page_anchor``: no boundary, no page kept apart): "Dana Okoro paged 5 times, 13:05–13:17 (...)",
an escalation keeping its words ("Escalated to Kim Nguyen ...; paged again 5 times, ..."). A
wave of a rule too small for a series, one record each of two or more instances, is one row:
"IngressNode5xxHigh firing again on node-a and node-b, 15:02–15:03".

Milestones never collapse: the incident's first firing (of any rule, a firing whose rule cleared
before the incident's start aside) and its last clearing (of any rule; the incident's own
trigger is a row anyway), the first page for a person (an escalation row holding their page
counts, ``steps``; it leads the series of its repeats, above) and the last one before each of
their acknowledgements (the page that led to the ack) stay rows of their own, so a series row
holds only the rows around them; a storm's part joins a milestone's row (above), never hides it.
``[collapse] expand`` (``--expand``) leaves every row as it is.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import pairwise

from reconstruct.config import CollapseConfig
from reconstruct.model import Event, Kind, Link
from reconstruct.normalize.blips import join_blips
from reconstruct.normalize.evolve import evolve, new_event
from reconstruct.normalize.groupposts import GroupPost, group_post
from reconstruct.normalize.instances import LABEL, alertnames, instance_of
from reconstruct.normalize.order import order_key
from reconstruct.normalize.pending import NEVER_FIRED, PENDING, join_steps
from reconstruct.normalize.people import person_of, targets_of
from reconstruct.normalize.reevaluations import join_reevaluations
from reconstruct.normalize.repeats import (
    INITIAL,
    boundary,
    first_pages,
    notices,
    repeat_rows,
    tally,
)
from reconstruct.normalize.steps import failure_of

SERIES = "series"
"""Tag of a collapsed row."""
_RESOLVED = "resolved"
_TRIGGERED = "state:triggered"
_STATE_WORDS = {"firing": "fired", "resolved": "cleared"}


def collapse(
    events: list[Event],
    config: CollapseConfig,
    names: Mapping[str, str],
    start: datetime | None = None,
) -> tuple[list[Event], int]:
    """The rows (in timeline order, as ``steps.merge_steps`` gives them) with each series as
    one row, and how many rows were folded into another row (a series row, a milestone's row a
    storm's part joined, a firing's row its Pending joined).
    ``names``: person id -> display name; ``start``: the incident's start (``blips``: an alert
    that fired and cleared before it is no first firing, and one row)."""
    rows = events
    keep = _milestones(rows, start)  # keys
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
        elif event.kind is Kind.ALERT and _TRIGGERED not in event.tags:
            # the incident's own trigger is a row of its own, never a part of its rule's series
            alerts[_series_key(event, known)].append(event)
        elif event.kind is Kind.ANNOTATION and any(t.startswith("state:") for t in event.tags):
            if key := _rule_key(event, known):
                alerts[key].append(event)
            else:
                states.append(event)
    _join_states(alerts, states)
    gone: set[str] = set()  # rows joined into another: a pending record, a milestone's storm
    stepped: dict[str, Event] = {}  # firing key -> its row with the pending record
    noted: dict[str, str] = {}  # a re-evaluations' root key -> the words its own row adds
    few: list[frozenset[str]] = []  # people paged too few times for a series (``repeats``)
    anchored: set[str] = set()  # first pages a series of their repeats took in
    for whom, group in pages.items():
        who = " and ".join(sorted(names.get(p, p.partition(":")[2]) for p in whom))
        members = [e for e in group if e.key not in keep]
        if len(members) >= config.min_series:
            anchor = _page_anchor(rows, whom, members)
            if anchor is not None:  # the first page and its repeats: one row
                anchored.add(anchor.key)
                repeats, members = members, [anchor, *members]
            if anchor is not None and anchor.kind is Kind.ESCALATE and INITIAL not in anchor.tags:
                # an escalation keeps its words; the pages after it are repeats
                text = f"{anchor.summary}; paged again {len(repeats)} times, {_span(repeats)}"
                text += f" ({tally(repeats)})"
            elif any(_paged(e) or not _failed(e) for e in members):  # rounds, notifications
                text = f"{who} paged {len(members)} times, {_span(members)} ({tally(members)})"
            else:
                text = f"{len(members)} {_failed_methods(members)}pages to {who} failed"
                text += f" ({why})" if (why := _one_failure(members)) else ""
                text += f", {_span(members)}"
                if (n := sum(notices(e).total() for e in members)) > len(members):
                    one_method = len({m for e in members for _, m in notices(e)}) == 1
                    text += f" ({n} notifications)" if one_method else f" ({tally(members)})"
            series.append((text, "repeated pages", members))
        else:
            few.append(whom)
    joins: dict[str, list[tuple[str, list[Event]]]] = defaultdict(list)
    refired: dict[str, Event] = {}  # a firing's key -> its instance's clearing before it
    for key, whole in alerts.items():
        for group in _episodes(key, whole, config):
            held: dict[str, list[Event]] = {}
            if not key.startswith("text:"):
                # every instance of a rule with a pending period goes Pending before it fires: a
                # Pending step is one row with its firing (or its return to normal, never fired)
                joined_group, taken = join_steps(group, config.pending_window, _state)
                if taken:
                    group = joined_group
                    gone |= taken
                    stepped.update((e.key, e) for e in group if e.members)
                if not _flaps_recorded(group, config) and start is not None and _few(group, config):
                    # a warning that fired and cleared before the incident: one lead-up row
                    group, quiet = join_blips(group, start, keep, _state)
                    gone |= quiet
                    stepped.update((e.key, e) for e in group if e.members)
                if not _flaps_recorded(group, config):
                    # a re-evaluation that changes nothing rides in its root's row
                    group, held = join_reevaluations(group, _state)
                    gone.update(e.key for quiet in held.values() for e in quiet)
                    stepped.update((e.key, e) for e in group if e.key in held)
                    noted.update((k, _still(v, "")) for k, v in held.items())
            if not key.startswith("text:"):
                refired.update(_refired(group))
            found, joined = _alert_series(key, group, keep, config, held)
            series.extend(found)
            for milestone, text, members in joined:
                joins[milestone].append((text, members))
                gone.update(e.key for e in members)
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
    for row in first_pages(rows, names):  # the trigger's own assignment: worded as its page
        if row.key not in anchored:
            folded[row.key] = row
    for row in repeat_rows(rows, few, keep, names):  # paged again before anyone answered
        for member in row.members:
            folded[member.key] = row
    out: list[Event] = []
    placed: set[str] = set()
    for event in rows:
        if event.key in gone:
            continue
        series_row = folded.get(event.key)
        if series_row is None:
            row = stepped.get(event.key, event)
            row = _joined_row(row, joins[event.key]) if event.key in joins else row
            if event.key in noted and event.key not in joins:  # else counted in the join
                row = _noted(row, noted[event.key])
            if event.key in refired:
                row = _again(row, refired[event.key])
            out.append(row)
        elif series_row.key not in placed:
            placed.add(series_row.key)
            out.append(series_row)
    return out, len(rows) - len(out)


def _page_anchor(rows: list[Event], whom: frozenset[str], pages: list[Event]) -> Event | None:
    """The first page of the assignment a series of ``whom``'s repeated ``pages`` (time order)
    continues, when nothing came between: the latest page to them, or escalation to them that
    holds its page (``steps``), before the first of ``pages``, with no boundary (``repeats``:
    an acknowledgement, a resolve, an escalation or reassignment, the incident reopened) and
    no other page to them kept as a milestone (the page that led to an ack) from it to the last
    of ``pages``; None when there is none."""
    first, last = pages[0].key, pages[-1].key
    candidate: Event | None = None
    started = False
    for event in rows:
        if event.key == first:
            started = True
        mine = targets_of(event) == whom
        if mine and (
            (event.kind is Kind.PAGE and event.key not in {p.key for p in pages})
            or (event.kind is Kind.ESCALATE and _tried(event))
        ):
            if started:
                return None  # a milestone page among them: they stay apart
            candidate = event
        elif boundary(event):
            candidate = None
            if started:
                return None
        if event.key == last:
            break
    return candidate


def _refired(group: list[Event]) -> dict[str, Event]:
    """Firings of an instance that cleared since its firing before: firing key -> that
    clearing (the latest), for the words "firing again (cleared 10:26)". A chat notice of the
    group (``_notice``) is no instance's firing or clearing when the tool's records exist."""
    out: dict[str, Event] = {}
    fired: set[tuple[str, ...]] = set()
    cleared: dict[tuple[str, ...], Event] = {}  # instance -> its clearing since it last fired
    recorded = any(not _notice(e) for e in group)
    for event in group:
        if event.kind is not Kind.ALERT or (recorded and _notice(event)):
            continue
        instance, state = instance_of(event.tags), _state(event)
        if state == _RESOLVED:
            if instance in fired:
                cleared[instance] = event
        elif state == "firing":
            if instance in cleared:
                out[event.key] = cleared.pop(instance)
            fired.add(instance)
    return out


_FIRING = re.compile(r"\bfiring\b(?! again)")


def _again(row: Event, clearing: Event) -> Event:
    """A re-firing's row: its state word "firing" (the first after the rule's name) said as
    "firing again (cleared 10:26)"; the row as it is when its text has no such word."""
    rule = _rule(row)[0]
    at = row.summary.casefold().find(rule) + len(rule) if rule else 0
    match = _FIRING.search(row.summary, max(at, 0))
    if match is None:
        return row
    words = f"firing again (cleared {clearing.time:%H:%M})"
    return evolve(row, summary=row.summary[: match.start()] + words + row.summary[match.end() :])


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


def _few(group: list[Event], config: CollapseConfig) -> bool:
    """Fewer firings (kind ``alert``) than a series needs: no storm to say them."""
    fired = [e for e in group if e.kind is Kind.ALERT and _state(e) not in (_RESOLVED, "")]
    return len(fired) < config.min_series


def _milestones(rows: list[Event], start: datetime | None = None) -> set[str]:
    """Keys of rows no series takes: the incident's first firing and its last clearing (of any
    rule); the first page for a person (an escalation that paged them counts) and the last one
    before each of their acknowledgements (the page that led to the ack). A firing whose rule
    cleared after it and before the incident's ``start`` is an earlier blip, no first firing
    (as ``render.metrics`` judges detection): the incident's detecting alert is."""
    keep: set[str] = set()
    first: Event | None = None
    last_clear: Event | None = None
    known = _known_rules(rows)
    recorded = {  # rules the tool's own records hold: their chat notices are no milestone
        _series_key(e, known) for e in rows if e.kind is Kind.ALERT and not _notice(e)
    }
    cleared: dict[str, list[datetime]] = defaultdict(list)  # rule -> clearings before the start
    for event in rows:
        name, state = _rule(event)
        if start is not None and event.time < start and name and state == _RESOLVED:
            cleared[name].append(event.time)
    for event in rows:
        if event.kind is not Kind.ALERT or _TRIGGERED in event.tags:
            continue  # the incident's own trigger is a row of its own, not an alert's firing
        if _notice(event) and _series_key(event, known) in recorded:
            continue
        name, state = _rule(event)
        blip = any(t > event.time for t in cleared.get(name, ())) if name else False
        if state != _RESOLVED and first is None and not blip:
            first = event
        if state == _RESOLVED:
            last_clear = event
    keep.update(e.key for e in (first, last_clear) if e is not None)
    last_page: dict[str, Event] = {}
    for event in rows:
        if event.kind is Kind.PAGE or (event.kind is Kind.ESCALATE and _tried(event)):
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


def _failed_methods(members: list[Event]) -> str:
    """``phone `` when every failed page of a series was by one method, else ""."""
    methods = {m for e in members for m in _failed_of(e)}
    return f"{methods.pop()} " if len(methods) == 1 else ""


def _one_failure(members: list[Event]) -> str:
    methods = {m for e in members for m in _failed_of(e)}
    whys = {failure_of(members, m) for m in methods}
    return whys.pop() if len(whys) == 1 else ""


def _tried(event: Event) -> bool:
    """An escalation row that holds the page it caused, delivered or not (``steps``)."""
    return _paged(event) or _failed(event)


def _paged(event: Event) -> bool:
    """An escalation row that holds the page it caused (``steps``: a ``via:`` tag)."""
    return any(t.startswith("via:") for t in event.tags)


_Series = list[tuple[str, str, list[Event]]]
"""Series rows to make: (text, reason, members)."""
_Joins = list[tuple[str, str, list[Event]]]
"""Parts that join a milestone's row: (its key, the words added, the records joined)."""
_SeriesRow = tuple[str, str, list[Event]]
"""One series row to make: (text, reason, members)."""
_Stated = tuple[Event, str]
"""A record of an alert instance and its state (``_state``)."""


def _alert_series(
    key: str,
    group: list[Event],
    keep: set[str],
    config: CollapseConfig,
    held: Mapping[str, list[Event]] | None = None,
) -> tuple[_Series, _Joins]:
    """One rule's (or one text's) rows as series rows and parts joining a milestone's row.
    ``held``: root key -> the re-evaluations its row holds (``reevaluations``), counted in the
    words of the part that takes the root."""
    name = _shown_name(key, group)
    states = [_state(e) for e in group]
    apart = [e for e in group if e.key in keep]
    if _flaps_recorded(group, config):
        # the incident's last clearing, when it is the rule's last record, ends the flapping
        # row's story ("...; resolved 14:41"): a member (figures read it there), no row
        closing = _closing(group, states, keep)
        apart = [e for e in apart if e is not closing]
        members = [e for e in group if e.key not in keep or e is closing]
        if len(members) < config.min_series:
            return [], []
        # a Pending (one that never fired, one not joined to its firing) is no state change of
        # the rule: counted apart
        quiet = [e for e in members if _waiting(e)]
        group = [e for e in group if not _waiting(e)]
        states = [_state(e) for e in group]
        text = _flapping_words(name, group, states, config, closing is None)
        per = _by_instance(group, states)
        changed = {e.key for records in per.values() for e in _changes(records)}
        counted = {e.key for records in per.values() for e, _ in records}
        repeated = len([e for e in members if e.key in counted and e.key not in changed])
        never = sum(NEVER_FIRED in e.tags for e in quiet)
        text += _tally_words(per, repeated, never, len(quiet) - never)
        if closing is not None:  # the rule's resolution: every instance's last clearing
            text += f"; resolved{' on all by' * (len(per) > 1)} {closing.time:%H:%M}"
        text += _apart_words(apart)
        return [(text, f"flapping alert ({config.flap_changes}+ state changes)", members)], []
    if not key.startswith("text:"):
        # a state that is no firing or clearing (Pending, NoData) stays a row when not flapping;
        # NoData and Error on many instances at once are a wave row
        pairs = [(e, s) for e, s in zip(group, states, strict=True) if e.kind is Kind.ALERT]
        found, joins = _storm(name, [e for e, _ in pairs], [s for _, s in pairs], keep, config)
        found += _state_waves(name, group, states, config)
        found += _never_fired(name, group, config)
        if held:
            label = _instance_label(group)
            found = [(t + _held_words(m, held, label), r, m) for t, r, m in found]
            # the milestone's own re-evaluations are counted with its wave's
            joins = [(k, t + _held_words(m, held, label, k), m) for k, t, m in joins]
        return found, joins
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
    return out, []


_NEWS_STATES = ("nodata", "error")
"""States of a rule's instances that are news when many instances reach them at once."""


def _state_waves(
    name: str, group: list[Event], states: list[str], config: CollapseConfig
) -> _Series:
    """A rule going NoData or Error on many instances: per state, in waves ``wave_gap`` apart,
    each wave of at least ``min_series`` records a row at its first time, "KafkaLag went NoData
    on 12 pods (lag-0 … lag-11), 10:30–10:31"; smaller waves stay as their rows."""
    out: _Series = []
    for state in _NEWS_STATES:
        of_state = [
            e
            for e, s in zip(group, states, strict=True)
            if s == state and e.kind is Kind.ANNOTATION
        ]
        if len(of_state) < config.min_series:
            continue
        shown = _last_state(of_state[0])
        for wave in _waves(of_state, config.wave_gap):
            if len(wave) < config.min_series:
                continue
            label = _instance_label(wave)
            if label:
                values = _values(wave, label)
                where = f" on {len(values)} {_plural(label, len(values))} ({_names(values)})"
            else:
                where = f" ({len(wave)} records)"
            out.append((f"{name} went {shown}{where}, {_span(wave)}", _STORM, wave))
    return out


def _never_fired(name: str, group: list[Event], config: CollapseConfig) -> _Series:
    """A rule's pendings that never fired (``pending.NEVER_FIRED``), ``min_series`` or more: one
    row at the first, "CardAuthP99 went pending 10 times and never fired, 09:42–10:10" ("... on
    3 pods (web-0 … web-2)"); fewer stay as their rows."""
    quiet = [e for e in group if NEVER_FIRED in e.tags]
    if len(quiet) < config.min_series:
        return []
    text = f"{name} went pending {len(quiet)} times and never fired"
    label = _instance_label(quiet)
    if values := _values(quiet, label):
        text += f" on {len(values)} {_plural(label, len(values))} ({_names(values)})"
    span = _span(sorted(_records(quiet), key=order_key))  # to the last return to normal
    return [(f"{text}, {span}", "alert pending, never fired", quiet)]


def _held_words(
    members: list[Event], held: Mapping[str, list[Event]], label: str, own: str = ""
) -> str:
    """The words a part adds for the re-evaluations its rows (and the milestone ``own`` it
    joins) hold ("" when none)."""
    keys = [own, *(e.key for e in members)] if own else [e.key for e in members]
    records = sorted((q for k in keys for q in held.get(k, ())), key=order_key)
    return _still(records, label) if records else ""


def _still(records: list[Event], label: str) -> str:
    """``; 3 re-evaluations at 10:30: still firing on search-indexer-0 … search-indexer-2``:
    re-evaluations that kept their state, per state, with their instances' ``label`` values
    (none when "": a row of one instance names it already)."""
    parts = []
    by_state: dict[str, list[Event]] = defaultdict(list)
    for record in records:
        by_state[_state(record)].append(record)
    for state, of_state in by_state.items():
        word = _STILL_WORDS.get(state) or _last_state(of_state[0])
        n = len(of_state)
        text = f"{n} re-evaluation{'s' * (n > 1)} {_span(of_state)}: still {word}"
        if values := _values(of_state, label):
            text += f" on {_names(values)}"
        parts.append(text)
    return "; " + "; ".join(parts)


_STILL_WORDS = {"firing": "firing", "resolved": "normal"}


def _noted(row: Event, words: str) -> Event:
    """A row with the words for the re-evaluations it holds added to its text."""
    return evolve(row, summary=row.summary + words)


_STORM = "alert storm (one rule)"


def _storm(
    name: str, group: list[Event], states: list[str], keep: set[str], config: CollapseConfig
) -> tuple[_Series, _Joins]:
    """One rule's alerts, each part at the time it happened: its firings (per state that is no
    clearing) and its clearings, each in waves ``wave_gap`` apart, each wave a row at its first
    time, the wave holding the incident's first firing or last clearing joined to that row. A
    wave of fewer than ``min_series`` alerts (a milestone it joins counted) stays as its rows.
    A chat notice of the group (``_notice``) is a member of a wave of a state it reports
    (``_place``), uncounted but for the instances it lists that no record of the tool has in
    that state (``_uncovered``)."""
    series: _Series = []
    joins: _Joins = []
    # a chat notice of a group the tool's own records hold is no alert of its own
    told = {e.key for e in group if _notice(e)} if any(not _notice(e) for e in group) else set()
    label = _instance_label([e for e in group if e.key not in told])
    waves: dict[str, list[list[Event]]] = {}  # state -> its waves of the tool's records
    for state in dict.fromkeys(states):
        of_state = [
            e for e, s in zip(group, states, strict=True) if s == state and e.key not in told
        ]
        if len(of_state) >= 2:  # a wave too small for a series may be one row (``_small_wave``)
            waves[state] = _waves(of_state, config.wave_gap)
    notices = [e for e in group if e.key in told and e.key not in keep]
    placed = _place(notices, waves, config)
    extra = _uncovered(placed, group, states, told, label)
    fired = {v for (state, _), values in extra.items() if state != _RESOLVED for v in values}
    every = sorted({*_values(group, label), *fired}, key=_natural)
    for state, state_waves in waves.items():
        of_state = [e for wave in state_waves for e in wave]
        own = next((e for e in of_state if e.key in keep), None)
        notes = {n: placed.get((state, n), []) for n in range(len(state_waves))}
        listed = {n: extra.get((state, n), []) for n in range(len(state_waves))}
        if state == _RESOLVED:
            series_, joins_ = _clearings(name, of_state, own, label, every, config, notes, listed)
        else:
            cleared = [
                e
                for e, s in zip(group, states, strict=True)
                if s == _RESOLVED and e.key not in told
            ]
            series_, joins_ = _firings(
                name, state, of_state, own, cleared, label, config, notes, listed
            )
        series.extend(series_)
        joins.extend(joins_)
    beside = _beside(notices, placed, group, states, told, config.wave_gap)
    return _taken_in(series, joins, beside)


def _taken_in(series: _Series, joins: _Joins, beside: _Joins) -> tuple[_Series, _Joins]:
    """The series and joins with each notice ``_beside`` puts next to a record that a series
    row or a milestone's row took in moved to that row (a member and a link of it): the record
    is no row of its own any more, and the notice must not vanish with it."""
    rows: dict[str, int] = {}  # a record's key -> the series row holding it
    for n, (_, _, members) in enumerate(series):
        rows.update((e.key, n) for e in members)
    milestone = {e.key: key for key, _, members in joins for e in members}
    out = list(series)
    for key, text, posts in beside:
        if key in rows:
            n = rows[key]
            words, reason, members = out[n]
            out[n] = (words, reason, sorted([*members, *posts], key=order_key))
        else:
            joins.append((milestone.get(key, key), text, posts))
    return out, joins


def _beside(
    notices: list[Event],
    placed: Mapping[_Wave, list[Event]],
    group: list[Event],
    states: list[str],
    told: set[str],
    gap: timedelta,
) -> _Joins:
    """A notice in no wave (its wave is a few rows) joins the row of the tool's record it is
    nearest, of a state it reports, within ``gap``: a link of that row, its words unchanged
    (the post of the last two gateways to clear is no third row beside theirs)."""
    waved = {id(e) for posts in placed.values() for e in posts}
    out: _Joins = []
    for notice in notices:
        if id(notice) in waved:
            continue
        best: tuple[timedelta, int, str] | None = None
        for rank, state in enumerate(_reports(notice)):
            for event, s in zip(group, states, strict=True):
                if s != state or event.key in told or event.kind is not Kind.ALERT:
                    continue
                away = abs(event.time - notice.time)
                if away <= gap and (best is None or (away, rank, event.key) < best):
                    best = (away, rank, event.key)
        if best is not None:
            out.append((best[2], "", [notice]))
    return out


def _flaps_recorded(group: list[Event], config: CollapseConfig) -> bool:
    """Whether a rule flaps (``_flaps``), judged on the tool's own records: a chat notice of
    the group (``_notice``: a repeat notification, a post of both firing and resolved alerts)
    is no state change of the rule."""
    recorded = [e for e in group if not _notice(e)] or group
    recorded = [e for e in recorded if not _waiting(e)]  # no firing, no clearing
    return _flaps(recorded, [_state(e) for e in recorded], config)


def _waiting(event: Event) -> bool:
    """A Pending in a row of its own (one that never fired, ``pending.NEVER_FIRED``; one its
    firing did not join, past ``pending_window``): no state change of its rule, which has not
    fired yet; its firing is the change."""
    return event.kind is Kind.ANNOTATION and PENDING in event.tags


def _notice(event: Event) -> bool:
    """A chat post a notifier made of an alert group (Alertmanager's ``[FIRING:12] X`` in
    Slack, Grafana's ``[FIRING:12, RESOLVED:18] X`` listing each alert's labels): a bot's
    record of one source that holds no state record of the tool (tag ``state:``) and names no
    instance (tag ``label:``) or reports several alerts (``groupposts``: the labels every one
    of its alerts shares, a cluster, name none of them)."""
    if "bot" not in event.tags or len(event.sources) != 1:
        return False
    if any(t.startswith("state:") for t in event.tags):
        return False
    if not any(t.startswith(LABEL) for t in event.tags):
        return True
    post = _group_of(event.summary)
    return post is not None and post.several


@lru_cache(maxsize=1024)
def _group_of(summary: str) -> GroupPost | None:
    return group_post(summary)


def _reports(notice: Event) -> tuple[str, ...]:
    """The states a notice reports (``groupposts``: a mixed post both, the clearing first),
    else its own state."""
    post = _group_of(notice.summary)
    return post.states if post is not None else (_state(notice),)


_Wave = tuple[str, int]
"""A wave of a rule's records: its state and its index among that state's waves."""


def _place(
    notices: list[Event], waves: Mapping[str, list[list[Event]]], config: CollapseConfig
) -> dict[_Wave, list[Event]]:
    """Each notice in the wave it falls among (within ``wave_gap`` of its first or last
    record), of a state it reports, of at least ``min_series`` records: the nearest, then the
    state it reports first. Among no such wave, the wave of another state it falls among: a
    notifier re-sends a group's post when the group changes (Alertmanager's and Grafana's
    ``group_interval``), so "[FIRING:11] X" sent while the others clear lists the alerts still
    firing, a notice of that clearing. A notice near no wave is in none (``_beside``, else it
    stays a row)."""
    gap = config.wave_gap
    placed: dict[_Wave, list[Event]] = defaultdict(list)
    for notice in notices:
        reported = _reports(notice)
        others = [state for state in waves if state not in reported]
        best: tuple[timedelta, int, _Wave] | None = None
        for rank, state in enumerate((*reported, *others)):
            if rank == len(reported) and best is not None:
                break  # a wave of a state it reports: that one
            for n, wave in enumerate(waves.get(state, ())):
                if len(wave) < config.min_series:
                    continue
                start, end = wave[0].time, wave[-1].time
                if not start - gap <= notice.time <= end + gap:
                    continue
                away = max(start - notice.time, notice.time - end, timedelta(0))
                if best is None or (away, rank) < best[:2]:
                    best = (away, rank, (state, n))
        if best is not None:
            placed[best[2]].append(notice)
    return placed


def _uncovered(
    placed: Mapping[_Wave, list[Event]],
    group: list[Event],
    states: list[str],
    told: set[str],
    label: str,
) -> dict[_Wave, list[str]]:
    """Per wave, the ``label`` values of the alerts its notices list in its state (``Labels:``
    blocks) that no record of the tool has in that state: the tool's own records count, a
    chat post counts only what they miss, each instance once per state (its first wave)."""
    if not label:
        return {}
    covered: dict[str, set[str]] = defaultdict(set)
    for event, state in zip(group, states, strict=True):
        if event.key not in told:
            covered[state].update(_values([event], label))
    out: dict[_Wave, list[str]] = {}
    for (state, n), posts in sorted(placed.items()):
        found: list[str] = []
        for notice in posts:
            post = _group_of(notice.summary)
            for labels in post.alerts.get(state, ()) if post is not None else ():
                value = labels.get(label)
                if value and value not in covered[state]:
                    covered[state].add(value)
                    found.append(value)
        if found:
            out[(state, n)] = sorted(found, key=_natural)
    return out


def _firings(
    name: str,
    state: str,
    fired: list[Event],
    own: Event | None,
    cleared: list[Event],
    label: str,
    config: CollapseConfig,
    notes: Mapping[int, list[Event]],
    extra: Mapping[int, list[str]],
) -> tuple[_Series, _Joins]:
    """A rule's firings (of one state) in waves (a gap over ``wave_gap`` starts the next), each
    at its own time: the wave holding the incident's first firing (``own``) joins its row ("8
    instances firing by 09:42"); every other wave is a row at its first firing: "96 alerts of X
    fired across 96 pods, 09:41–09:58"; "X firing again on 25 pods (…), 10:40–10:46" when each
    of its instances fired before and cleared since (``cleared``: the rule's clearings); "X
    still firing on 3 pods (…), notified again at 10:40" when each fired before and has not
    cleared (a notifier's repeat); "12 more alerts of X fired ..." otherwise. ``notes``: per
    wave (its index), the chat notices it holds, uncounted; ``extra``: the ``label`` values
    they list that no record has (``_uncovered``), counted as alerts of the wave."""
    series: _Series = []
    joins: _Joins = []
    word = "firing" if state == "firing" else _STATE_WORDS.get(state, state or "raised")
    verb = _STATE_WORDS.get(state, state or "raised")
    last_fired: dict[tuple[str, ...], Event] = {}  # instance -> its latest firing so far
    clearings: dict[tuple[str, ...], list[Event]] = defaultdict(list)
    for event in cleared:
        clearings[instance_of(event.tags)].append(event)
    for n, wave in enumerate(_waves(fired, config.wave_gap)):
        each: list[str] = []  # "again", "still" or "new" per firing
        for event in wave:
            instance = instance_of(event.tags)
            before = last_fired.get(instance)
            if before is None:
                each.append("new")
            elif any(before.time <= c.time <= event.time for c in clearings[instance]):
                each.append("again")
            else:
                each.append("still")
        for event in wave:
            last_fired[instance_of(event.tags)] = event
        kinds = set(each)
        if extra.get(n):
            kinds.add("new")
        if len(wave) < config.min_series:
            if state == "firing" and not extra.get(n) and _small_wave(wave, own, label, state):
                if own is not None and own in wave:
                    joins.append(_few_first(wave, own, label))
                elif kinds <= {"new", "again"}:
                    series.append(_few_fired(name, wave, each, label))
            continue
        values = sorted({*_values(wave, label), *extra.get(n, ())}, key=_natural)
        told = notes.get(n, [])
        where = f"on {len(values)} {_plural(label, len(values))} ({_names(values)})"
        if own is not None and own in wave:
            end = f"{wave[-1].time:%H:%M}"
            if label:
                text = f"{len(values)} {_plural(label, len(values))} {word} by {end}"
            else:
                text = f"{len(wave)} alerts of the rule {word} by {end}"
            rest = sorted([*(e for e in wave if e is not own), *told], key=order_key)
            joins.append((own.key, text, rest))
            continue
        if kinds == {"again"}:
            text = f"{name} {word} again {where}" if label else f"{name} {word} again"
            text += f", {_span(wave)}" if label else f" ({len(wave)} alerts), {_span(wave)}"
        elif kinds == {"still"}:
            text = f"{name} still {word} {where}" if label else f"{name} still {word}"
            text += f", notified again {_span(wave)}"
        else:
            again = " more" if n > 0 else ""
            across = f" across {len(values)} {_plural(label, 2)}" if extra.get(n) else _across(wave)
            count = len(wave) + len(extra.get(n, ()))
            text = f"{count}{again} alerts of {name} {verb}{across}, {_span(wave)}"
        series.append((text, _STORM, sorted([*wave, *told], key=order_key)))
    return series, joins


def _small_wave(wave: list[Event], own: Event | None, label: str, state: str) -> bool:
    """Whether a wave too small for a series (``min_series``) is one row, as an author writes
    it: at least two records, each of its own instance named by ``label`` (one record each),
    none the incident's trigger nor a row holding a record of another state (an earlier blip's
    firing and clearing), a milestone only as ``own`` (its row takes the others in)."""
    if len(wave) < 2 or not label:
        return False
    if len(_values(wave, label)) != len(wave) or any(len(_values([e], label)) != 1 for e in wave):
        return False
    if len({instance_of(e.tags) for e in wave}) != len(wave):
        return False
    return not any(
        _TRIGGERED in e.tags
        or any(m.kind is Kind.ALERT and _state(m) not in (state, "") for m in e.members)
        for e in wave
    )


def _few_fired(name: str, wave: list[Event], each: list[str], label: str) -> _SeriesRow:
    """A few firings of one rule on as many instances within ``wave_gap`` (``_small_wave``),
    none the incident's first: one row at the first, "ReplicationLag fired on replica-1 and
    replica-2, 14:02–14:03"; "... firing again on node-a and node-b, ..." when each cleared
    since it fired before; "... fired on node-c and again on node-a, ..." for both."""
    new = _values([e for e, k in zip(wave, each, strict=True) if k == "new"], label)
    again = _values([e for e, k in zip(wave, each, strict=True) if k == "again"], label)
    if not again:
        text = f"{name} fired on {_few_names(new, label)}"
    elif not new:
        text = f"{name} firing again on {_few_names(again, label)}"
    else:
        text = f"{name} fired on {_and(new)} and again on {_and(again)}"
    return f"{text}, {_span(wave)}", _STORM, wave


def _few_first(wave: list[Event], own: Event, label: str) -> tuple[str, str, list[Event]]:
    """The incident's first firing (``own``) and a few firings of its rule on other instances
    within ``wave_gap`` (``_small_wave``): they join its row, which keeps its time and key (the
    figures cite it), "Grafana alert X (instance=replica-1) firing; also on replica-2 at 14:03"
    ("...; also on b and c by 14:04")."""
    rest = [e for e in wave if e is not own]
    when = f"at {rest[0].time:%H:%M}" if len(rest) == 1 else f"by {rest[-1].time:%H:%M}"
    return own.key, f"also on {_few_names(_values(rest, label), label)} {when}", rest


def _few_names(values: list[str], label: str) -> str:
    """``a and b``; three or more: ``3 pods (a, b, c)``."""
    if len(values) <= 2:
        return _and(values)
    return f"{len(values)} {_plural(label, len(values))} ({_names(values)})"


def _clearings(
    name: str,
    cleared: list[Event],
    own: Event | None,
    label: str,
    every: list[str],
    config: CollapseConfig,
    notes: Mapping[int, list[Event]],
    extra: Mapping[int, list[str]],
) -> tuple[_Series, _Joins]:
    """A rule's clearings in waves (a gap over ``wave_gap`` starts the next): the wave holding
    the incident's last clearing (``own``) joins its row (``_last_wave_words``),
    every other wave is a row of its own ("X cleared on 5 of 8 instances (gw-1 … gw-5),
    14:33–14:34"). ``notes`` and ``extra`` as in ``_firings``; ``every``: the rule's
    instances."""
    waves = _waves(cleared, config.wave_gap)
    series: _Series = []
    joins: _Joins = []
    back: set[str] = set()  # instances cleared so far
    listed = {v for values in extra.values() for v in values}
    total = len({*_values(cleared, label), *listed}) if label else len(cleared)
    noun = _plural(label, total) if label else "alerts of the rule"
    for n, wave in enumerate(waves):
        values = sorted({*_values(wave, label), *extra.get(n, ())}, key=_natural)
        told = notes.get(n, [])
        again = [v for v in values if v in back]  # cleared in an earlier wave, fired since
        new = [v for v in values if v not in back]
        back.update(values)
        few = len(wave) < config.min_series  # one row only as ``_small_wave`` allows
        if few and (extra.get(n) or not _small_wave(wave, own, label, _RESOLVED)):
            continue
        if own is not None and own in wave:
            rest = sorted([*(e for e in wave if e is not own), *told], key=order_key)
            whole = total == len(every)  # every instance that fired has cleared
            text = _last_wave_words(label, total, noun, wave, new, again, own, whole)
            joins.append((own.key, text, rest))
            continue
        if not label:
            text = f"{len(wave)} alerts of {name} cleared, {_span(wave)}"
        elif not new:
            where = f"{len(again)} {_plural(label, len(again))} ({_names(again)})"
            text = f"{name} cleared again on {_few_names(again, label) if few else where}"
            text += f", {_span(wave)}"
        elif len(values) == len(every) and not again:
            where = _few_names(values, label) if few else f"all {len(values)} {_plural(label, 2)}"
            text = f"{name} cleared on {where}, {_span(wave)}"
        else:
            last = " the last" if len(waves) > 1 and back >= set(every) else ""
            more = " more" if again and not last else ""
            text = (
                f"{name} cleared on{last} {len(new)}{more} of {len(every)} {_plural(label, 2)}"
                f" ({_names(new)})"
            )
            text += f" and again on {_names(again)}" if again else ""
            text += f", {_span(wave)}"
        series.append((text, _STORM, sorted([*wave, *told], key=order_key)))
    return series, joins


def _last_wave_words(
    label: str,
    total: int,
    noun: str,
    wave: list[Event],
    new: list[str],
    again: list[str],
    own: Event,
    whole: bool = False,
) -> str:
    """The words the wave holding the incident's last clearing adds to that clearing's row
    ("Grafana alert X (node=c) resolved", which names the rule and its own instance, "this
    one"): what cleared, that the row's instance was last, and when (last, so the renderer's
    summary limit never cuts the times). One wave: "all 14 nodes cleared, this one last,
    15:38–15:41" ("both instances (a, b) cleared, ..." for two; "all 8 alerts of the rule
    cleared, ..." when no label names the instances); a later wave: "the last 6 of 14 nodes (a …
    f) cleared, this one last, 15:38–15:41". Instances are counted, not clearings: those that
    cleared in an earlier wave and fired since are said apart, as cleared again, after the
    times (a row too long for ``[render] max_summary`` loses its end, not its times): "the last
    5 of 14 nodes (e to i) cleared, this one last, 15:38–15:41; b cleared again"; the row's own
    instance (the last to clear) among them, "the last 3 of 8 instances (gw-6 … gw-8) cleared,
    then this one again, 10:23–10:24" ("...; b cleared again" after it); none new, "b and d
    cleared again, then this one again, ..."; every instance among them, "all 25 pods cleared,
    this one last, 14:43–14:46 (9 after firing again)" (``whole``: none still firing)."""
    span = _span(wave)
    if not label:
        some = f"all {total}" if len(wave) == total else f"the last {len(wave)} of {total}"
        return f"{some} {noun} cleared, this one last, {span}"
    if not again:
        if len(new) == total == 2:
            return f"both {noun} ({_names(new)}) cleared, this one last, {span}"
        if len(new) == total:
            return f"all {total} {noun} cleared, this one last, {span}"
        return (
            f"the last {len(new)} of {total} {noun} ({_names(new)}) cleared, this one last, {span}"
        )
    mine = set(_values([own], label))  # the row names its own instance already: "this one"
    others = [v for v in again if v not in mine]
    named = _brief(others)
    if len(others) >= 3:
        named = f"{len(others)} {_plural(label, 2)} ({named})"
    last = "then this one again" if mine & set(again) else "this one last"
    if whole and new and len({*new, *again}) == total:  # every instance cleared in this wave
        return f"all {total} {noun} cleared, {last}, {span} ({len(set(again))} after firing again)"
    if not new:
        return f"{named} cleared again, {last}, {span}" if others else f"cleared again, {span}"
    text = f"the last {len(new)} of {total} {noun} ({_brief(new)}) cleared, {last}, {span}"
    # the times before the names of those cleared again: a long row loses only its end
    return f"{text}; {named} cleared again" if others else text


def _waves(events: list[Event], gap: timedelta) -> list[list[Event]]:
    """The events (time order, at least one) in waves: a gap longer than ``gap`` starts the
    next."""
    waves: list[list[Event]] = [[events[0]]]
    for before, event in pairwise(events):
        if event.time - before.time > gap:
            waves.append([])
        waves[-1].append(event)
    return waves


def _instance_label(members: list[Event]) -> str:
    """The instance label (tag ``label:<key>=<value>``) whose values differ most among the
    members; "" when none differs."""
    values: dict[str, set[str]] = defaultdict(set)
    for event in members:
        for tag in event.tags:
            if tag.startswith(LABEL):
                key, _, value = tag[len(LABEL) :].partition("=")
                values[key].add(value)
    best = max(sorted(values.items()), key=lambda item: len(item[1]), default=None)
    return best[0] if best is not None and len(best[1]) > 1 else ""


def _values(members: list[Event], label: str) -> list[str]:
    """The ``label`` values the members name, each once, in natural order (``gw-2`` before
    ``gw-10``); [] without a label."""
    if not label:
        return []
    prefix = f"{LABEL}{label}="
    found = {t[len(prefix) :] for e in members for t in e.tags if t.startswith(prefix)}
    return sorted(found, key=_natural)


def _natural(value: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", value) if p)


def _plural(label: str, count: int) -> str:
    return label if count == 1 or label.endswith("s") else label + "s"


_NUMBERED = re.compile(r"(.*?)(\d+)")


def _names(values: list[str]) -> str:
    """The values (natural order) by runs: ``gw-1 … gw-5`` for three or more numbered names of
    one prefix without a gap, each other name as it is; up to four such parts within
    ``NAMES_CHARS`` characters, then how many more names: ``orders-0 … orders-19,
    search-3 … search-9``, ``db-2, db-7, db-9, db-12 and 3 more``."""
    runs: list[list[str]] = []
    before: tuple[str, int] | None = None  # prefix and number of the name before
    for value in values:
        match = _NUMBERED.fullmatch(value)
        here = (match.group(1), int(match.group(2))) if match else None
        if runs and here and before and here == (before[0], before[1] + 1):
            runs[-1].append(value)
        else:
            runs.append([value])
        before = here
    parts: list[tuple[str, int]] = []  # (as shown, how many names)
    for run in runs:
        if len(run) >= 3:
            parts.append((f"{run[0]} … {run[-1]}", len(run)))
        else:
            parts.extend((value, 1) for value in run)
    kept = 0  # parts shown: at most four, within NAMES_CHARS (the first always)
    width = 0
    for shown, _ in parts[:4]:
        width += len(shown) + 2
        if kept and width > NAMES_CHARS:
            break
        kept += 1
    if kept == len(parts):
        return ", ".join(shown for shown, _ in parts)
    rest = len(values) - sum(n for _, n in parts[:kept])
    return f"{', '.join(shown for shown, _ in parts[:kept])} and {rest} more"


NAMES_CHARS = 100
"""Characters of names ``_names`` lists before "and N more": four pod names of 30 characters
(``ledger-consumer-6c9f7b8d4-2dm84``) would fill a row and push its times past the cut."""


def _brief(values: list[str]) -> str:
    """``_names`` when it names every value in four parts or fewer, else the first and the
    last (natural order): ``ip-10-40-17-40 to ip-10-40-18-97``, never a list cut mid-name."""
    names = _names(values)
    return (
        names if names.count(", ") < 4 and " more" not in names else f"{values[0]} to {values[-1]}"
    )


def _across(members: list[Event]) -> str:
    """`` across 40 pods``: the instance label (tag ``label:<key>=<value>``) whose values differ
    most among the members; "" when none differs."""
    label = _instance_label(members)
    if not label:
        return ""
    return f" across {len(_values(members, label))} {_plural(label, 2)}"


def _episodes(key: str, group: list[Event], config: CollapseConfig) -> list[list[Event]]:
    """A flapping rule's records in episodes: the rule recording nothing for longer than
    ``flap_window`` ends one, so a firing hours after the flapping stopped (the old primary going
    down during a failover) is judged on its own, a row of its own, not "flapped … 08:25–10:55".
    A rule that does not flap, or a series of one text, is one episode."""
    if key.startswith("text:"):
        return [group]
    joined, _ = join_steps(group, config.pending_window, _state)  # as the caller judges it
    if not _flaps_recorded(joined, config):
        return [group]
    return _waves(group, config.flap_window)


def _flaps(group: list[Event], states: list[str], config: CollapseConfig) -> bool:
    """An instance of the rule flaps (``_flapping``)."""
    return any(_flapping(records, config) for records in _by_instance(group, states).values())


def _flapping(records: list[tuple[Event, str]], config: CollapseConfig) -> bool:
    """At least ``flap_changes`` changes of one instance's state within ``flap_window``."""
    changes = [e.time for e in _changes(records)[1:]]
    need = config.flap_changes
    for n in range(len(changes) - need + 1):
        if changes[n + need - 1] - changes[n] <= config.flap_window:
            return True
    return False


def _by_instance(group: list[Event], states: list[str]) -> dict[tuple[str, ...], list[_Stated]]:
    """The rule's records per instance (``instance_of``: its ``label:`` tags), each with its
    state, in time order. When any record names an instance, one naming none (a notifier's post
    of the group, ``[FIRING:6] X``) is no instance's and left out; when none does, the rule is
    one instance."""
    labelled = any(instance_of(e.tags) for e in group)
    out: dict[tuple[str, ...], list[_Stated]] = defaultdict(list)
    for event, state in zip(group, states, strict=True):
        instance = instance_of(event.tags)
        if instance or not labelled:
            out[instance].append((event, state))
    return out


def _changes(records: list[_Stated]) -> list[Event]:
    """An instance's records that change its state: its first, and each whose state differs
    from the one before it; the others repeat a state (a re-evaluation, a re-notification)."""
    return [e for n, (e, s) in enumerate(records) if n == 0 or s != records[n - 1][1]]


def _tally_words(
    per: Mapping[tuple[str, ...], list[_Stated]], repeated: int, quiet: int, pending: int = 0
) -> str:
    """What a flapping row's state changes were, adding up to their count, then the records
    that changed nothing: `` (6 firings, 6 clearings)``, `` (3 firings, 2 clearings, 1 NoData;
    2 repeats of a state not counted; 2 pending never fired; 1 pending not counted)``.
    ``repeated``: records repeating their instance's state; ``quiet``: the rule's Pendings
    that never fired; ``pending``: its other Pendings in rows of their own."""
    counts: dict[str, int] = defaultdict(int)
    shown: dict[str, str] = {}
    for records in per.values():
        for event in _changes(records):
            state = _state(event)
            counts[state] += 1
            shown.setdefault(state, _last_state(event))
    parts = []
    for state, n in sorted(
        counts.items(), key=lambda item: (_TALLY_ORDER.get(item[0], 2), item[0])
    ):
        noun = _TALLY_NOUNS.get(state)
        parts.append(f"{n} {noun}{'s' * (n > 1)}" if noun else f"{n} {shown[state]}")
    said = [", ".join(parts)] if parts else []
    if repeated:
        said.append(f"{repeated} repeat{'s' * (repeated > 1)} of a state not counted")
    if quiet:
        said.append(f"{quiet} pending never fired")
    if pending:
        said.append(f"{pending} pending not counted")
    return f" ({'; '.join(said)})" if said else ""


_TALLY_NOUNS = {"firing": "firing", _RESOLVED: "clearing"}
_TALLY_ORDER = {"firing": 0, _RESOLVED: 1}


def _closing(group: list[Event], states: list[str], keep: set[str]) -> Event | None:
    """The incident's last clearing (a milestone in ``keep``) when it is the flapping rule's
    last record (a chat notice of the group aside) and every instance's last state is a
    clearing: the rule's resolution, said in its flapping row ("...; resolved 14:41") and a
    member of it, no row of its own (a figure reads it there, ``render.metrics``: a member
    cites its series row at the member's time). None otherwise."""
    own = [(e, s) for e, s in zip(group, states, strict=True) if not _notice(e)]
    if not own:
        return None
    last, state = own[-1]  # a notifier's post of the group after it is no record of the rule
    if last.key not in keep or state != _RESOLVED:
        return None
    per = _by_instance(group, states)
    return last if all(records[-1][1] == _RESOLVED for records in per.values()) else None


def _flapping_words(
    name: str, group: list[Event], states: list[str], config: CollapseConfig, open_end: bool = True
) -> str:
    """A flapping rule's row text. One instance: "X flapped 14 times 14:01–15:25, last state
    Normal". Several: "X flapped on 1 of 6 pods (coredns-2xkqz), 24 state changes 14:01–15:25;
    last state Normal on all": the instances that flap, the state changes of every instance
    (each instance's own: another pod's firing is no repeat), the span of the instances'
    records and each one's last state; no last state when not ``open_end`` (the row says the
    rule's resolution, ``_closing``)."""
    per = _by_instance(group, states)
    records = sorted((e for rs in per.values() for e, _ in rs), key=order_key)
    changes = sum(len(_changes(rs)) for rs in per.values())
    if len(per) == 1:
        (only,) = per.values()
        text = f"{name} flapped {changes} times {_span(records)}"
        text += f", last state {_last_state(only[-1][0])}" if open_end else ""
    else:
        label = _instance_label(records)
        noun = _plural(label, 2) if label else "instances"
        flapping = [rs for rs in per.values() if _flapping(rs, config)]
        some = f"{len(flapping)} of {len(per)}"
        if len(flapping) == len(per):
            some = "both" if len(per) == 2 else f"all {len(per)}"
        text = f"{name} flapped on {some} {noun}"
        if len(flapping) < len(per) and (values := _values([rs[0][0] for rs in flapping], label)):
            text += f" ({_names(values)})"
        text += f", {changes} state changes {_span(records)}"
        if not open_end:
            return text
        text += "; last state "
        last: dict[str, list[Event]] = defaultdict(list)
        for rs in per.values():
            last[_last_state(rs[-1][0])].append(rs[-1][0])
        if len(last) == 1:
            text += f"{next(iter(last))} on all"
        else:
            parts = []
            for state, ends in sorted(last.items(), key=lambda item: (-len(item[1]), item[0])):
                values = _values(ends, label)
                many = _plural(label, len(ends)) if label else "instance" + "s" * (len(ends) > 1)
                where = _names(values) if 0 < len(values) <= 2 else f"{len(ends)} {many}"
                parts.append(f"{state} on {where}")
            text += ", ".join(parts)
    return text


def _apart_words(apart: list[Event]) -> str:
    """The milestones among a flapping rule's records (the incident's first firing, its last
    clearing: counted among its changes, each a row at its time) as an author notes them:
    ``; 13:00 firing shown separately``, ``; 09:42 firing and 09:51 clearing shown
    separately``; "" for none."""
    if not apart:
        return ""
    said = []
    for event in apart:
        state = _state(event)
        word = _APART_WORDS.get(state) or f"change to {_last_state(event)}"
        said.append(f"{event.time:%H:%M} {word}")
    return f"; {_and(list(dict.fromkeys(said)))} shown separately"


_APART_WORDS = {"firing": "firing", "alerting": "firing", _RESOLVED: "clearing"}


def _and(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


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
    counted = _counted(members)
    first, last = counted[0], counted[-1]
    links: list[Link] = []
    if first.links:
        ln = first.links[0]
        links.append(Link(ln.source, ln.url, f"first: {ln.label or ln.source}"))
    if last.links and last is not first:
        ln = last.links[0]
        links.append(Link(ln.source, ln.url, f"last: {ln.label or ln.source}"))
    kept = {id(e) for e in counted}
    told = [e for e in members if id(e) not in kept]
    if reason == _STORM and (posted := [e for e in told if e.links]):
        if posted[-1].links[0].url not in {ln.url for ln in links}:
            links.append(posted[-1].links[0])  # the chat's latest notice of the group
    kinds = {m.kind for m in members}
    kind = Kind.ALERT if Kind.ALERT in kinds else first.kind
    if kind is Kind.ESCALATE and INITIAL in first.tags:
        kind = Kind.PAGE  # led by the trigger's own assignment: pages, no escalation
    tags = _row_tags(members, counted) | {SERIES}
    members = sorted(_records(members), key=order_key)
    return new_event(
        first.time,
        kind,
        summary,
        tuple(sorted({s for m in members for s in m.sources})),
        tuple(links),
        f"{SERIES}:{first.key}",
        actor or None,
        frozenset().union(*(m.refs for m in members)),
        tags,
        first.scope,
        f"{reason}: {len(counted)} rows{_posts(told)}",
        tuple(members),
    )


def _joined_words(rows: int, told: list[Event]) -> str:
    """``7 rows joined and 1 chat post``, ``1 row joined``; ``1 chat post joined`` when no
    row joined."""
    if rows or not told:
        return f"{rows} row{'s' * (rows != 1)} joined{_posts(told)}"
    return f"{len(told)} chat post{'s' * (len(told) > 1)} joined"


def _posts(told: list[Event]) -> str:
    """`` and 2 chat posts`` of the group a row holds, uncounted; "" for none."""
    return f" and {len(told)} chat post{'s' * (len(told) > 1)}" if told else ""


def _counted(rows: list[Event]) -> list[Event]:
    """The rows (time order) without chat notices (``_notice``) when any other is among them."""
    counted = [e for e in rows if not _notice(e)]
    return counted or rows


def _records(rows: list[Event]) -> list[Event]:
    """The records the rows stand for (a row of one step, pending then firing, is two)."""
    return [record for row in rows for record in (row.members or (row,))]


_AUTHORS = frozenset({"bot", "human"})
"""Tags that say who wrote a record (a bot, a person)."""


def _row_tags(rows: list[Event], own: list[Event]) -> frozenset[str]:
    """The tags of a row made of ``rows`` (each with the records it holds): every record's,
    but who wrote it (``_AUTHORS``) only its ``own`` rows' (the rows it counts: a chat notice
    of the group joined as a member or link makes no tool's row a bot's post; normalized
    again, it would be taken for an echo of another record)."""
    tags = frozenset().union(*(m.tags for m in _records(rows)))
    authors = frozenset().union(*(e.tags for e in own)) & _AUTHORS
    return (tags - _AUTHORS) | authors


def _joined_row(row: Event, parts: list[tuple[str, list[Event]]]) -> Event:
    """A milestone's row with the parts of its rule's storm that join it: its text, then each
    part's words; its links, then the ``first:`` / ``last:`` link of the records joined before /
    after it; every record its ``members`` (time order)."""
    joined = sorted((m for _, members in parts for m in members), key=order_key)
    summary = row.summary + "".join(f"; {text}" for text, _ in parts if text)
    links = list(row.links)
    counted = _counted(joined) if _notice(row) else [e for e in joined if not _notice(e)]
    earliest, latest = (counted[0], counted[-1]) if counted else (row, row)
    if earliest.time < row.time and earliest.links:
        ln = earliest.links[0]
        links.append(Link(ln.source, ln.url, f"first: {ln.label or ln.source}"))
    if latest.time > row.time and latest.links:
        ln = latest.links[0]
        links.append(Link(ln.source, ln.url, f"last: {ln.label or ln.source}"))
    kept = {id(e) for e in counted}
    told = [e for e in joined if id(e) not in kept]
    posted = [e for e in told if e.links]
    if posted and posted[-1].links[0].url not in {ln.url for ln in links}:
        links.append(posted[-1].links[0])  # the chat's latest notice of the group
    members = sorted(_records([row, *joined]), key=order_key)
    tags = _row_tags([row, *joined], [row, *counted])
    return new_event(
        row.time,
        row.kind,
        summary,
        tuple(sorted({s for m in members for s in m.sources})),
        tuple(links),
        row.key,
        row.actor,
        frozenset().union(*(m.refs for m in members)),
        tags,
        row.scope,
        f"{row.reason}; {_STORM}: {_joined_words(len(joined) - len(told), told)}",
        tuple(members),
        row.edited_at,
    )
