"""Changes the responders ruled out: a naming that clears a change is no tie to the incident.

Responders name the changes they suspect and the ones they clear. A message that names a change
in a clause that **rules it out** says the opposite of a tie: "not #2219", "#2219 is
unrelated", "rolling back #2219 won't help", "ruled out the 14:31 deploy", "3e9a1f0 is a
search-api deploy, unrelated". ``read`` reads every record people wrote in the window (their
messages, shown or not, and notes: never a bot's post) and gives:

- ``Rulings.out``: change key -> the record that ruled it out. **The latest says**: for each
  change, the latest record naming it with a verdict decides; a later plain naming ("actually it
  IS #2219", "root cause: #2219") clears the ruling, an earlier one is overruled by it. A
  question ("is it #2219?", "should we roll back #2219?") or a hedge ("not sure it's #2219",
  "maybe #2219") gives no verdict. A clause that clears **all our changes** ("no change on our
  side lines up", "not us", "nothing shipped on our side") rules out every change and deploy
  at or before it. A ruling of a PR rules out the deploys that shipped it (their ``pr:`` or
  ``sha:`` refs), and a ruling of a deploy the PR it shipped.
- ``Rulings.masked``: the records as the rules of ties read them (``during.ties``,
  ``leadup.choose``): each name in a clause that rules it out, and each name of a change ruled
  out, taken out of the text (its ``pr:``/``sha:`` refs too), so that such a naming is no tie.

A name is what ``during`` and ``leadup`` read as one: a PR (``#2219``, ``PR 2219``, a PR link,
``acme/web#2219``), a commit (6 to 40 hex digits, a digit and a letter among them: 6 only when a
change's commit starts with them), a repository (``acme/search-api``, ``search-api``; with
"deploy" next to it, the deploy of that repository nearest the record), or a deploy by its time
("the 14:31 deploy", "deploy at 14:31", UTC). A clause is a sentence (``.``, ``!``, ``?``,
``;``, a dash, "but"), or a comma's part that begins with a name of its own ("#2220 looks bad,
#2219 is a red herring").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reconstruct.model import Event, Kind, Link
from reconstruct.normalize.authority import is_chat
from reconstruct.normalize.concern import scope_place
from reconstruct.normalize.evolve import evolve

RULED_OUT = "ruled-out"
"""Tag of a change or deploy row a responder ruled out (the lede never names it)."""

_CHANGING = (Kind.CHANGE, Kind.DEPLOY)
_CHANGE_REFS = ("pr:", "sha:")
_PR = re.compile(
    r"(?:https?://[^\s<>|]*?/([\w.-]+)/([\w.-]+)/pulls?/(\d{1,7})\b[^\s<>|]*"
    r"|(?<![\w./-])([\w.-]+/[\w.-]+)#(\d{1,7})\b"
    r"|(?:(?<![\w&])#|\bPR\s*#?\s*)(\d{1,7})\b)",
    re.IGNORECASE,
)
_HEX = re.compile(r"(?<![0-9a-zA-Z/])([0-9a-f]{6,40})(?![0-9a-zA-Z])", re.IGNORECASE)
_CLOCK = re.compile(
    r"\b(?:(?:the\s+)?([01]?\d|2[0-3]):([0-5]\d)(?:\s*utc)?\s+(?:deploy(?:ment)?|release|rollout)"
    r"|(?:deploy(?:ment)?|release|rollout)\s+at\s+([01]?\d|2[0-3]):([0-5]\d))\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+|\s[-–—]+\s|\s+(?:but|however|though|although)\s+")
_COMMA = re.compile(r",\s+")
_DIGIT = re.compile(r"\d")
_LEAD = re.compile(r"(?:(?:and|while|whereas|then|so|also|the|that)\s+)+", re.IGNORECASE)
"""Words a comma's part may begin with before the name that makes it a clause of its own."""
_MARK = "\x00"
"""Stands for a name in a clause while its verdict is read (``_verdicts``)."""
_NAME = f"{_MARK}(?:\\s*(?:,|and|or|nor|/)?\\s*{_MARK})*"
_LINK = r"(?:the|a|an|our|that|this|by|from|due|to|because|of|related|about|coming|come|came|it|"
_LINK += r"it's|its|is|was|in|with|like|look|looks|seem|seems|be|caused|any)"
_PREFIX = re.compile(
    r"(?:\b(?:not|isn't|wasn't|aren't|weren't|isnt|wasnt|never|doesn't|does\s+not|didn't|did\s+not)"
    r"|\bnothing\s+to\s+do\s+with|\bunrelated\s+to|\bnot\s+related\s+to"
    r"|(?<!\bto\s)(?<!n't\s)(?<!not\s)(?<!cannot\s)\b(?:ruled|ruling|rules)\s+out"
    r"|\bexclud(?:ed|ing))"
    rf"\s+(?:{_LINK}\s+){{0,3}}{_NAME}",
    re.IGNORECASE,
)
"""A negation or a ruling right before the names: "not #2219", "ruled out the 14:31 deploy"."""
_POSTFIX = re.compile(
    rf"{_NAME}[^?{_MARK}]*?(?:"
    r"\b(?:unrelated|irrelevant|innocent|a\s+red\s+herring|ruled\s+out)\b"
    r"|\bnot\s+(?:related|relevant|involved|it|the\s+(?:cause|culprit|problem|issue|trigger)"
    r"|to\s+blame|ours)\b"
    r"|\b(?:isn't|wasn't|isnt|wasnt)\s+(?:related|relevant|involved|it|the\s+(?:cause|culprit"
    r"|problem|issue|trigger)|to\s+blame)\b"
    r"|\b(?:has|have)\s+been\s+fine\b"
    r"|\b(?:didn't|did\s+not|doesn't|does\s+not|can't|cannot|couldn't|could\s+not|won't|wouldn't)"
    r"\s+(?:have\s+)?(?:cause[sd]?|be\s+it|be\s+the\s+cause|explain|be\s+related)\b)",
    re.IGNORECASE,
)
"""The names, then their verdict: "#2219 is unrelated", "3e9a1f0 ..., unrelated"."""
_FUTILE = re.compile(
    r"(?:\b(?:roll(?:ing)?\s*back|revert(?:ing)?|undo(?:ing)?)\s+(?:the\s+|our\s+)?"
    rf"{_NAME}[^?{_MARK}]*?\b(?:won't|will\s+not|wouldn't|would\s+not|doesn't|does\s+not|"
    r"isn't\s+going\s+to|is\s+not\s+going\s+to)\s+(?:help|fix|matter|change)\b"
    r"|\b(?:rolled\s*back|reverted|undid)\s+(?:the\s+|our\s+)?"
    rf"{_NAME}[^?{_MARK}]*?\b(?:didn't|did\s+not)\s+(?:help|fix|matter|change)\b"
    r"|\bno\s+(?:point|use|need)\s+(?:in\s+)?(?:rolling\s*back|reverting)\s+(?:the\s+|our\s+)?"
    rf"{_NAME})",
    re.IGNORECASE,
)
"""An undo of the names that would not help: "rolling back #2219 won't help"."""
_ALL_OURS = re.compile(
    r"\bno\s+(?:recent\s+)?(?:changes?|deploys?|deployments?|releases?)\s+(?:on|from)\s+our\s+"
    r"(?:side|end)"
    r"|\bnothing\s+(?:\w+\s+)?(?:on|from)\s+our\s+(?:side|end)"
    r"|\bnot\s+(?:on\s+)?our\s+(?:side|end|change|changes|deploy|deploys|code)\b"
    r"|\bnot\s+us(?![\w-])"
    r"|\bnone\s+of\s+our\s+(?:changes|deploys|releases)\b"
    r"|\bwe\s+(?:didn't|did\s+not|haven't|have\s+not)\s+(?:ship|shipped|deploy|deployed|change|"
    r"changed|release|released)\s+anything\b",
    re.IGNORECASE,
)
"""A clause that clears every change of ours: "No change on our side lines up", "not us"."""
_CUES = (
    "not", "n't", "isnt", "wasnt", "never", "unrelated", "irrelevant", "innocent", "herring",
    " out", "exclud", "fine", "none of", "roll", "revert", "undo", "undid", "our ",
)  # fmt: skip
"""A word every ruling holds (``_PREFIX``, ``_POSTFIX``, ``_FUTILE``, ``_ALL_OURS``): a record
without one is read for its names alone."""
_HEDGE = re.compile(
    r"\b(?:not\s+sure|unsure|no\s+idea|maybe|might|perhaps|possibly|could\s+be|wonder|"
    r"can't\s+rule\s+out|cannot\s+rule\s+out|not\s+(?:yet\s+)?ruled\s+out|suspect|what\s+about)\b",
    re.IGNORECASE,
)
_ASKS = re.compile(
    r"^\W*(?:is|was|are|were|did|does|do|could|can|should|shall|would|has|have|will|any)\s",
    re.IGNORECASE,
)

_OUT, _NAMED = "out", "named"
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Rulings:
    out: Mapping[str, Event]
    """Change or deploy key -> the record (a person's message, a note) that ruled it out."""
    masked: Mapping[str, Event]
    """Record key -> the record without the names that are no tie (module docstring)."""

    def read_as(self, events: Iterable[Event]) -> list[Event]:
        """``events`` as the rules of ties read them: each masked record in place of its own."""
        masked = self.masked
        return [masked.get(e.key, e) for e in events] if masked else list(events)


NONE = Rulings({}, {})


@dataclass(frozen=True, slots=True)
class _Name:
    start: int
    end: int
    keys: frozenset[str]
    """The changes and deploys it names (may be none: a repository, an unknown PR)."""
    refs: frozenset[str]
    """The refs this name carries (a PR link's ``pr:``), taken out with it."""


def speaks(event: Event, start: datetime) -> bool:
    """Whether a record is one a person wrote in the window: a message or a note (never a
    bot's post, nor a tool's change or deploy record)."""
    if event.time < start or "bot" in event.tags:
        return False
    if event.kind in _CHANGING:
        return "human" in event.tags
    return "human" in event.tags or "note" in event.tags


def read(
    records: Iterable[Event], changes: Iterable[Event], start: datetime, number: int | None
) -> Rulings:
    """The rulings of ``records`` (people's records of the window, ``speaks``; others are
    skipped) about ``changes`` (the change and deploy records, the lead-up's too); ``number``:
    the incident's own number (``#4711`` names no PR)."""
    changes = [
        e
        for e in changes
        if e.kind in _CHANGING and "/" in scope_place(e.scope) and not is_chat(e.sources)
    ]
    texts = sorted((e for e in records if speaks(e, start)), key=lambda e: (e.time, e.key))
    if not changes or not texts:
        return NONE
    index = _Index.of(changes)
    verdicts: dict[str, tuple[_Order, str, Event]] = {}
    cited: dict[str, tuple[_Order, str, Event]] = {}  # the latest verdict naming the change
    said: dict[str, list[tuple[_Name, str | None]]] = {}
    for event in texts:
        stances, every = _verdicts(event, index, number)
        if not stances and not every:
            continue
        said[event.key] = stances
        when = event.time
        if every:  # all ours at or before it: a verdict naming the change outranks it
            for change in changes:
                if change.time <= when:
                    _say(verdicts, change.key, (when, 0, 0), _OUT, event)
        for i, (name, stance) in enumerate(stances):
            if stance is not None:
                for key in index.closure(name.keys):
                    _say(verdicts, key, (when, 1, i), stance, event)
                    _say(cited, key, (when, 1, i), stance, event)
    out: dict[str, Event] = {}
    for key, (_, stance, event) in sorted(verdicts.items()):
        if stance == _OUT:  # cite the ruling that names it, unless named again since
            named = cited.get(key)
            out[key] = named[2] if named is not None and named[1] == _OUT else event
    masked: dict[str, Event] = {}
    for event in texts:
        stances = said.get(event.key, [])
        drop = [n for n, s in stances if s == _OUT or (n.keys and n.keys <= out.keys())]
        if drop:
            masked[event.key] = _without(event, drop, out, index)
    return Rulings(out, masked)


_Order = tuple[datetime, int, int]
"""(the record's time, 1 for a name and 0 for an every-change clause, the name's place)."""


def _say(
    verdicts: dict[str, tuple[_Order, str, Event]],
    key: str,
    order: _Order,
    stance: str,
    event: Event,
) -> None:
    """Keep the latest verdict (by time, then a naming over an every-change clause)."""
    old = verdicts.get(key)
    if old is None or order >= old[0]:
        verdicts[key] = (order, stance, event)


def _numbered(text: str, when: datetime, index: _Index, number: int | None) -> Iterable[_Name]:
    """The names holding digits that name a collected change: PRs, commits, deploy times."""
    for m in _PR.finditer(text):
        if m.group(3):
            ref = f"pr:{m.group(1).lower()}/{m.group(2).lower()}#{int(m.group(3))}"
        elif m.group(5):
            ref = f"pr:{m.group(4).lower()}#{int(m.group(5))}"
        else:
            ref = ""
        if ref:
            keys = index.by_ref.get(ref, frozenset())
        elif int(m.group(6)) != number:
            keys = index.numbers.get(int(m.group(6)), frozenset())
        else:
            continue
        if keys:
            yield _Name(m.start(), m.end(), keys, frozenset({ref}) if ref else frozenset())
    for m in _CLOCK.finditer(text):
        hour, minute = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        keys = index.deploys_at(int(hour), int(minute), when)
        if keys:
            yield _Name(m.start(), m.end(), keys, frozenset())
    for m in _HEX.finditer(text):
        token = m.group(1)
        if any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
            keys = index.sha(token)
            if keys:
                yield _Name(m.start(), m.end(), keys, frozenset({f"sha:{token[:7].lower()}"}))


@dataclass(frozen=True, slots=True)
class _Index:
    by_ref: Mapping[str, frozenset[str]]
    """``pr:``/``sha:`` ref -> keys of the changes and deploys carrying it."""
    refs_of: Mapping[str, frozenset[str]]
    numbers: Mapping[int, frozenset[str]]
    shas: tuple[tuple[str, str], ...]
    """(first 7 hex digits, key)."""
    places: Mapping[str, tuple[Event, ...]]
    """Repository (``owner/name`` and ``name``, lower case) -> its deploys."""
    repos: re.Pattern[str] | None
    deploys: tuple[Event, ...]

    @classmethod
    def of(cls, changes: list[Event]) -> _Index:
        by_ref: dict[str, set[str]] = {}
        refs_of: dict[str, frozenset[str]] = {}
        numbers: dict[int, set[str]] = {}
        shas: list[tuple[str, str]] = []
        places: dict[str, list[Event]] = {}
        for event in changes:
            refs = frozenset(r for r in event.refs if r.startswith(_CHANGE_REFS))
            refs_of[event.key] = refs
            for ref in refs:
                by_ref.setdefault(ref, set()).add(event.key)
                if ref.startswith("pr:") and "#" in ref:
                    numbers.setdefault(int(ref.rpartition("#")[2]), set()).add(event.key)
                elif ref.startswith("sha:"):
                    shas.append((ref[4:], event.key))
            place = scope_place(event.scope)
            if "/" in place and event.kind is Kind.DEPLOY:
                for form in {place, place.rpartition("/")[2]}:
                    if len(form) >= 3:
                        places.setdefault(form, []).append(event)
        forms = sorted(places, key=lambda f: (-len(f), f))
        repos = (
            re.compile(r"(?<![\w./-])(" + "|".join(map(re.escape, forms)) + r")(?![\w-])", re.I)
            if forms
            else None
        )
        return cls(
            {r: frozenset(k) for r, k in by_ref.items()},
            refs_of,
            {n: frozenset(k) for n, k in numbers.items()},
            tuple(sorted(shas)),
            {p: tuple(e) for p, e in places.items()},
            repos,
            tuple(e for e in changes if e.kind is Kind.DEPLOY),
        )

    def closure(self, keys: Iterable[str]) -> set[str]:
        """The keys with every change or deploy sharing a ``pr:`` or ``sha:`` ref with them."""
        out = set(keys)
        todo = list(out)
        while todo:
            for ref in self.refs_of.get(todo.pop(), ()):
                for other in self.by_ref.get(ref, ()):
                    if other not in out:
                        out.add(other)
                        todo.append(other)
        return out

    def sha(self, token: str) -> frozenset[str]:
        token = token.lower()
        head = token[:7]
        if len(token) >= 7:
            return frozenset(k for s, k in self.shas if s == head)
        return frozenset(k for s, k in self.shas if s.startswith(token))

    def nearest_deploy(self, place: str, when: datetime) -> frozenset[str]:
        found = self.places.get(place.lower(), ())
        if not found:
            return frozenset()
        best = min(found, key=lambda e: (abs((e.time - when).total_seconds()), e.key))
        return frozenset({best.key})

    def deploys_at(self, hour: int, minute: int, when: datetime) -> frozenset[str]:
        """The deploys that went live at that minute (UTC) within a day of ``when``."""
        return frozenset(
            e.key
            for e in self.deploys
            if e.time.hour == hour and e.time.minute == minute and abs(e.time - when) < _DAY
        )


def _names(event: Event, index: _Index, number: int | None) -> list[_Name]:
    """Every name of a collected change in the record's text (a PR, a commit, a deploy's time),
    and every repository name, in order, none overlapping."""
    text = event.summary
    found: list[_Name] = []
    if _DIGIT.search(text):  # a PR, a commit and a time hold digits
        found.extend(_numbered(text, event.time, index, number))
    if index.repos is not None:
        for m in index.repos.finditer(text):
            deploy = re.match(r"(?:'s)?\s+deploy(?:ment)?s?\b", text[m.end() :], re.I)
            keys = index.nearest_deploy(m.group(1), event.time) if deploy else frozenset()
            end = m.end() + (deploy.end() if deploy else 0)
            found.append(_Name(m.start(), end, keys, frozenset()))
    found.sort(key=lambda n: (n.start, -n.end))
    out: list[_Name] = []
    for name in found:
        if out and name.start < out[-1].end:
            if name.keys and not out[-1].keys:  # "search-api 3e9a1f0": the commit says which
                out[-1] = _Name(out[-1].start, out[-1].end, name.keys, out[-1].refs | name.refs)
            continue
        out.append(name)
    return out


def _verdicts(
    event: Event, index: _Index, number: int | None
) -> tuple[list[tuple[_Name, str | None]], bool]:
    """(each name with its stance: ``_OUT`` in a clause ruling it out, None asked about or
    hedged, else ``_NAMED``; whether a clause rules out all our changes)."""
    text = event.summary
    names = _names(event, index, number)
    lower = text.lower()
    cue = any(word in lower for word in _CUES)
    if not cue and not any(n.keys for n in names):
        return [], False  # most people's records: no verdict, no change named
    every = False
    out: list[tuple[_Name, str | None]] = []
    for lo, hi, asked in _clauses(text, names):
        clause = text[lo:hi]
        inside = [n for n in names if lo <= n.start and n.end <= hi]
        hedged = asked or bool(_HEDGE.search(clause)) or bool(_ASKS.search(clause))
        if not cue:
            out.extend((n, None if hedged else _NAMED) for n in inside)
            continue
        if not hedged and _ALL_OURS.search(_marked(clause, inside, lo).replace(_MARK, " ")):
            every = True
        if not inside:
            continue
        if hedged:
            out.extend((n, None) for n in inside)
            continue
        marked = _marked(clause, inside, lo)
        hit = _hits(_POSTFIX, marked) | _hits(_FUTILE, marked)
        lower = marked.lower()
        for m in _PREFIX.finditer(marked):
            # "3e9a1f0 is unrelated to checkout-api": the names before it are what is unrelated
            if "unrelated to" in lower[m.start() : m.end()] and _MARK in marked[: m.start()]:
                continue
            before = marked.count(_MARK, 0, m.start())
            hit.update(range(before, before + marked.count(_MARK, m.start(), m.end())))
        out.extend((n, _OUT if i in hit else _NAMED) for i, n in enumerate(inside))
    return out, every


def _clauses(text: str, names: list[_Name]) -> list[tuple[int, int, bool]]:
    """(start, end, asked) of each clause: sentences, and a comma's part naming a change."""
    bounds: list[tuple[int, int, bool]] = []
    pos = 0
    for m in [*_SENTENCE.finditer(text), None]:
        end = m.start() if m is not None else len(text)
        sentence = text[pos:end]
        asked = sentence.rstrip().endswith("?")
        starts = [pos]
        for c in _COMMA.finditer(sentence):
            after = pos + c.end()
            lead = _LEAD.match(text, after)
            head = lead.end() if lead is not None else after
            if any(n.start == head for n in names) and any(
                starts[-1] <= n.start < pos + c.start() for n in names
            ):
                starts.append(after)
        for i, lo in enumerate(starts):
            hi = starts[i + 1] if i + 1 < len(starts) else end
            bounds.append((lo, hi, asked))
        if m is None:
            break
        pos = m.end()
    return bounds


def _marked(clause: str, names: list[_Name], lo: int) -> str:
    """The clause with each name as ``_MARK`` (the patterns read names as one token)."""
    out, pos = [], lo
    for name in names:
        out.append(clause[pos - lo : name.start - lo])
        out.append(_MARK)
        pos = name.end
    out.append(clause[pos - lo :])
    return "".join(out)


def _hits(pattern: re.Pattern[str], marked: str) -> set[int]:
    """The indexes (among the clause's names) of the names inside each match."""
    out: set[int] = set()
    for m in pattern.finditer(marked):
        before = marked.count(_MARK, 0, m.start())
        inside = marked.count(_MARK, m.start(), m.end())
        out.update(range(before, before + inside))
    return out


def _without(event: Event, drop: list[_Name], out: Mapping[str, Event], index: _Index) -> Event:
    """The record with the dropped names out of its text, and their refs (and those of the
    changes ruled out) out of its refs."""
    text = event.summary
    for name in sorted(drop, key=lambda n: -n.start):
        text = f"{text[: name.start]} {text[name.end :]}"
    gone = {r for n in drop for r in n.refs}
    gone.update(r for k in out for r in index.refs_of.get(k, ()))
    refs = frozenset(r for r in event.refs if r not in gone)
    return evolve(event, summary=text, refs=refs)


def noted(rows: Iterable[Event], ruled: Mapping[str, Event], day: date) -> list[Event]:
    """The rows, each change or deploy a responder ruled out (``ruled``: its key, or a
    member's, -> the record that ruled it out, its actor resolved) tagged ``RULED_OUT``, its
    text ending ``(ruled out by Tom Hendricks at 14:28)`` (the date too when not ``day``, the
    incident's) and a link to that record last: ``ruled out: #inc-7342``."""
    out: list[Event] = []
    for row in rows:
        found = [ruled[k] for k in (row.key, *(m.key for m in row.members)) if k in ruled]
        if not found or row.kind not in _CHANGING:
            out.append(row)
            continue
        ruling = max(found, key=lambda e: (e.time, e.key))
        when = (
            f"{ruling.time:%H:%M}" if ruling.time.date() == day else f"{ruling.time:%Y-%m-%d %H:%M}"
        )
        said = f"{row.summary} (ruled out by {ruling.actor or 'a responder'} at {when})"
        links = row.links
        if ruling.links:
            first = ruling.links[0]
            label = f"ruled out: {first.label}" if first.label else "ruled out"
            links = (*links, Link(first.source, first.url, label))
        out.append(evolve(row, summary=said, links=links, tags=row.tags | {RULED_OUT}))
    return out
