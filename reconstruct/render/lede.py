"""The Summary's drafted lede, in the post-mortem template's pattern.

"On 2026-03-14, between 09:40 and 10:29 UTC, checkout ___ for ___." -- what was affected and
between when and when (impact start to resolution, UTC); how it was detected; the deploy or change
that preceded it (``preceded ... by``, never ``caused``: the evidence orders events, it does not
prove causes), or a feature flag change a tool's app posted when it is the latest tied change
before impact start (``flags.preceding``); how it was mitigated and resolved. Every time is the
time of a timeline row and links to that row's first evidence link. What no tool knows (what
users saw, how many, revenue) is a blank for the author. The whole is a draft, marked as such
where it is rendered.

``build(timeline, marks, day)`` gives ``Lede``: clauses made of ``Part``s; ``markdown`` and
``plain`` render them, ``as_json`` gives the JSON ``summary`` object. Expects a scrubbed Timeline
(links http(s) only, text redacted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from reconstruct.model import Event, Kind, Timeline
from reconstruct.render import flags
from reconstruct.render.metrics import Mark, Milestones, record_noun, shipped
from reconstruct.render.table import ELLIPSIS, md_said, md_text, one_line, time_label
from reconstruct.timeutil import between, exact_duration, format_duration, iso_z

QUOTE_MAX = 100
"""Row text quoted in the lede is fitted to this many characters (``fit``)."""
_GROUP = re.compile(r"\(((?:[^()]|\(…\))*)\)")
"""A parenthesised group, innermost first: one holding only groups already given up (``(…)``)
is a group too (a PR title's own brackets: ``(Switch to DNS-01 (…))`` -> ``(…)``)."""
DRAFT_NOTE = (
    "Draft by reconstruct from the timeline: check each clause against the row it links to, "
    "fill in the blanks, then delete this line."
)
BLANKS = {
    "seen": "what users saw: errors, slowness, missing data",
    "affected": "how many users, or what share of requests",
    "revenue": "revenue impact, if known",
}


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of a clause: plain ``text``; a row's time (``event`` set, ``text`` is the time
    label); a quoted row text (``quote``); or a ``blank`` for the author (``text`` the hint)."""

    text: str
    event: Event | None = None
    quote: bool = False
    blank: bool = False


@dataclass(frozen=True, slots=True)
class Clause:
    name: str
    """``what``, ``detected``, ``preceded``, ``mitigated``, ``resolved``, ``impact``."""
    parts: tuple[Part, ...]

    @property
    def rows(self) -> tuple[Event, ...]:
        return tuple(p.event for p in self.parts if p.event is not None)


@dataclass(frozen=True, slots=True)
class Lede:
    clauses: tuple[Clause, ...]

    def markdown(self) -> str:
        return " ".join(_clause_md(c) for c in self.clauses)

    def plain(self) -> str:
        return " ".join(_clause_plain(c) for c in self.clauses)


def _md(text: str) -> str:
    """``md_text`` keeping the spaces at either end (parts join into one line)."""
    core = text.strip()
    if not core:
        return text
    head, tail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    return f"{head}{md_text(core)}{tail}"


def _part_md(part: Part) -> str:
    if part.blank:
        return f"_({md_text(part.text)})_"
    if part.event is not None:
        link = part.event.links[0].url if part.event.links else None
        label = md_text(part.text)
        return f"[{label}]({link})" if link else label
    if part.quote:
        return f"“{md_said(part.text)}”"
    return _md(part.text)


def _part_plain(part: Part) -> str:
    if part.blank:
        return f"___ ({part.text})"
    if part.quote:  # JSON's: the text as scrubbed for it (mentions as written)
        return f"“{part.text}”"
    return part.text


def _clause_md(clause: Clause) -> str:
    return "".join(_part_md(p) for p in clause.parts)


def _clause_plain(clause: Clause) -> str:
    return "".join(_part_plain(p) for p in clause.parts)


# -- building --------------------------------------------------------------------------------------
def _at(mark: Mark, day: date) -> Part:
    """The mark's time, linked to its row (PagerDuty's own time when it has no row)."""
    return Part(time_label(mark.time, day), event=mark.event)


def _row_at(event: Event, day: date) -> Part:
    return Part(time_label(event.time, day), event=event)


def _own(row: Event, record: Event | None) -> Event:
    """What a clause quotes for a mark's row: the record the time comes from (a series' first
    firing: its rule, labels and state in its own words, never the words a storm or a flapping
    series adds to its row; ``prepare.scrub`` cleans it like a row), else the row."""
    return record if record is not None else row


def _quote(event: Event) -> Part:
    return Part(fit(one_line(event.summary), QUOTE_MAX), quote=True)


_LABELS = re.compile(r" ?\(labels?: [^()]*\)")
"""A change's labels group (``(labels: feature-flag)``), the first words a quote gives up."""
_REF = re.compile(
    r"(?:\b(?:PRs?|pull requests?|issues?|commits?|reverts?)\s+)?(?:[\w.-]+/[\w.-]+)?#\d+"
    r"|\b(?:commits?\s+)?(?=[0-9a-f]*\d)[0-9a-f]{7,40}\b",
    re.IGNORECASE,
)
"""A PR, issue or commit reference (``PR #901``, ``acme/api#12``, ``commit c0ffee1``): never
cut inside."""
_ITEM = re.compile(r"[,;] ")


def fit(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, never cut inside a word or a PR, issue or commit
    reference (``_REF``), and keeping its end (an alert row's state: ``... (instance=...,
    mountpoint=...) firing``). First a change's labels group goes (``(labels: feature-flag)``),
    then the other parenthesised groups give up their last whole items, the longest group first,
    down to ``(…)``: ``(instance=kafka-broker-2:9100, …) firing``, ``(opened by Dana Lopez)``
    whole or ``(…)``; a group holding a reference (``(reverts PR #901)``) only after every
    other, and whole; only then is the end cut, after a whole word, with an ellipsis."""
    while len(text) > limit and (labels := _LABELS.search(text)) is not None:
        text = text[: labels.start()] + text[labels.end() :]
    while len(text) > limit:
        groups = [m for m in _GROUP.finditer(text) if m.group(1) not in ("", ELLIPSIS)]
        if not groups:
            return _cut(text, limit)
        plain = [m for m in groups if not _REF.search(m.group(1))]
        group = max(plain or groups, key=lambda m: (len(m.group(1)), -m.start()))
        room = len(group.group(1)) - (len(text) - limit)
        inner = _items(group.group(1), room) if plain else ELLIPSIS
        text = f"{text[: group.start(1)]}{inner}{text[group.end(1) :]}"
    return text


def _items(text: str, room: int) -> str:
    """A group's text in at most ``room`` characters: its first whole items (``, `` or ``; ``
    apart) and ``, …``; ``ELLIPSIS`` alone when not even the first fits."""
    for sep in reversed(list(_ITEM.finditer(text))):
        head = text[: sep.start()]
        if len(head) + 3 <= room:
            return f"{head}, {ELLIPSIS}"
    return ELLIPSIS


def _cut(text: str, room: int) -> str:
    """``text`` cut after a whole word, never inside a reference (``_REF``), so that it and an
    ellipsis take at most ``room`` characters (``ELLIPSIS`` alone when no word fits); a list
    cut after an item ends ``, …``."""
    if len(text) <= room:
        return text
    head = text[: max(room - 1, 0)]
    if text[len(head)] not in " ,":  # inside a word: back to the word's start
        head = head[: max(head.rfind(" "), 0)]
    for ref in _REF.finditer(text):
        if ref.start() < len(head) < ref.end() or (ref.start() < len(head.rstrip()) < ref.end()):
            head = text[: ref.start()]
            break
    head = head.rstrip()
    if head.endswith(","):
        head = head.rstrip(",")
        return f"{head}, {ELLIPSIS}" if len(head) + 3 <= room else _cut(head, room)
    if head.endswith(":") and len(head) + 2 <= room:  # ``labels: …``
        return f"{head} {ELLIPSIS}"
    return f"{head.rstrip(';:')}{ELLIPSIS}" if head else ELLIPSIS


def build(timeline: Timeline, marks: Milestones, day: date) -> Lede:
    clauses: list[Clause] = []
    services = ", ".join(timeline.incident.services)
    what = [Part(f"On {day.isoformat()}, ")]
    impact, resolved = marks.impact_start, marks.resolved
    if impact is not None and resolved is not None:
        what += [Part("between "), _at(impact, day), Part(" and "), _at(resolved, day)]
        what.append(Part(" UTC, "))
    elif impact is not None:
        what += [Part("since "), _at(impact, day), Part(" UTC (ongoing), ")]
    else:
        what.append(Part("at a time no row of the timeline shows, "))
    what.append(Part(services) if services else Part("the affected service", blank=True))
    what += [Part(" "), Part(BLANKS["seen"], blank=True), Part(" for ")]
    what += [Part(BLANKS["affected"], blank=True), Part(".")]
    clauses.append(Clause("what", tuple(what)))

    detected = marks.detected
    if detected is not None and detected.event is not None:
        parts = [
            Part("It was detected at "),
            _at(detected, day),
            Part(" by "),
            _quote(_own(detected.event, detected.record)),
        ]
        if impact is not None and impact.time < detected.time:
            gap = exact_duration(between(impact.time, detected.time))
            parts.append(Part(f", {gap} after the first"))
            parts.append(Part(" symptom at "))
            parts.append(_at(impact, day))
        parts.append(Part("."))
        clauses.append(Clause("detected", tuple(parts)))
        first = "the first page" if detected.event.kind is Kind.PAGE else "the first alert"
        deploy, change = marks.last_deploy, marks.last_change
        nouns = {"deploy": "A deploy", "change": "A change"}
        if deploy is not None and change is not None and shipped(deploy, change):
            nouns["deploy"] = "The deploy that shipped it"
        found = [(e, nouns[name]) for e, name in ((deploy, "deploy"), (change, "change")) if e]
        before = impact.time if impact is not None else detected.time
        flag = flags.preceding(timeline.events, before, timeline.incident.services)
        if flag is not None and all(flag.event.time > e.time for e, _ in found):
            gap = _gap(between(flag.event.time, detected.time))
            noun = flag.noun()
            parts = [Part(f"{noun[0].upper()}{noun[1:]} at "), _row_at(flag.event, day)]
            parts.append(Part(f" preceded {first} by {gap}."))
            clauses.append(Clause("preceded", tuple(parts)))
            found = []  # the latest change before impact: the one the lede names
        for event, noun in sorted(found, key=lambda pair: (pair[0].time, pair[0].key)):
            gap = _gap(between(event.time, detected.time))
            parts = [Part(f"{noun}, "), _quote(event), Part(", at "), _row_at(event, day)]
            parts.append(Part(f" preceded {first} by {gap}."))
            clauses.append(Clause("preceded", tuple(parts)))
    else:
        clauses.append(
            Clause("detected", (Part("how it was detected: no alert or page row", blank=True),))
        )

    mitigated = marks.mitigated
    if mitigated is not None and mitigated.event is not None:
        parts = [
            Part("It was mitigated at "),
            _at(mitigated, day),
            Part(" ("),
            _quote(mitigated.event),
        ]
        if mitigated.from_edit:
            posted = time_label((mitigated.source or mitigated.event).time, day)
            parts.append(Part(f", an edit of the {posted} message"))
        elif mitigated.stated:
            source = mitigated.source or mitigated.event
            posted = time_label(source.time, day)
            parts.append(Part(f", as stated in the {posted} {record_noun(source)}"))
        parts.append(Part(")"))
    else:
        parts = [Part("how it was mitigated: no mitigation row in the timeline", blank=True)]
    if resolved is not None:
        verb = "finally resolved" if marks.reopened else "resolved"
        lead = f" and {verb} at " if len(parts) > 1 else f"; it was {verb} at "
        parts += [Part(lead), _at(resolved, day)]
        for i, reopen in enumerate(marks.reopened):
            parts += [Part(", after being reopened at " if i == 0 else " and "), _at(reopen, day)]
        parts.append(Part("."))
    else:
        parts.append(Part("; the incident is not resolved yet."))
    clauses.append(Clause("mitigated", tuple(parts)))
    clauses.append(
        Clause("impact", (Part("Revenue impact: "), Part(BLANKS["revenue"], blank=True), Part(".")))
    )
    return Lede(tuple(clauses))


def _gap(delta: timedelta) -> str:
    """How long a change preceded detection: as the figures give it, to the second; days
    before, to the minute ("10d 19h 32m": no author counts the seconds of a change made a week
    earlier)."""
    return exact_duration(delta) if delta < timedelta(days=1) else format_duration(delta)


def as_json(lede: Lede) -> dict[str, Any]:
    """``{"draft": true, "lede": "...", "clauses": [{"name", "text", "rows": [{"time",
    "summary", "links"}]}], "blanks": [...]}``: the JSON ``summary`` object."""
    return {
        "draft": True,
        "lede": lede.plain(),
        "clauses": [
            {
                "name": c.name,
                "text": _clause_plain(c),
                "rows": [
                    {
                        "time": iso_z(e.time),
                        "summary": e.summary,
                        "links": [
                            {"source": ln.source, "url": ln.url, "label": ln.label}
                            for ln in e.links
                        ],
                    }
                    for e in c.rows
                ],
            }
            for c in lede.clauses
        ],
        "blanks": [p.text for c in lede.clauses for p in c.parts if p.blank],
    }
