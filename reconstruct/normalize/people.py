"""One name per person: the same person in several tools gets one display name and one id.

Identities (``model.Identity``: a tool's name for someone, with the email that tool holds, if
any) are joined into one person when

- their emails are equal (case-insensitive), or
- ``[people] aliases`` names them under one display name: each entry is ``tool:name``
  (``"slack:kim"``, ``"github:knguyen"``: the name or handle that tool shows), an email, or a
  bare name (that name in any tool).

Nothing else joins them: two tools' identical or similar names stay two people (a Grafana login
``asouza`` with no email is not the Slack user whose handle is ``asouza``). Records name a person
by the tool's name only, so a tool name that several of that tool's accounts share (different
``Identity.uid``; without uids, different emails, one with none) cannot say which of them a record
means: it joins no one and keeps the tool name (``<tool>:<name>``) unless ``[people] aliases``
names it. One account's identities are one person with every email they show (a GitHub login
whose commits carry a work and a personal address). A person's display
name is the alias key when aliased; else, with ``[people] display = "name"`` (default), the real
name one of their tools holds (the most common; ties: the longest, then alphabetical), with
``"handle"`` their chat handle or login; else the tool's own name.

``resolve`` rewrites each event: ``actor`` becomes the display name, tag ``who:<person id>`` is
added for the actor and ``whom:<person id>`` for each ``target:<name>`` tag (the person paged or
escalated to); in a tool's own text (not a person's message, nor a bot's post standing alone:
a merged row speaks with its tool's text) the tool's name for a person is replaced by the
display name. A person id is ``alias:<key>``, ``email:<address>``, or
``<tool>:<name>`` for someone no email or alias joins.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from reconstruct.config import PeopleConfig
from reconstruct.model import Event, Identity
from reconstruct.normalize.authority import source_rank
from reconstruct.normalize.evolve import new_event

TARGET = "target:"
WHO = "who:"
WHOM = "whom:"


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    display: str


@dataclass(slots=True)
class People:
    """``(tool, name) -> Person`` for every identity the bundle and the config know."""

    known: dict[tuple[str, str], Person] = field(default_factory=dict)
    by_name: dict[str, Person] = field(default_factory=dict)
    """Bare alias names (any tool)."""

    def person(self, source: str, name: str) -> Person:
        found = self.known.get((source, name)) or self.by_name.get(name.casefold())
        return found if found is not None else Person(f"{source}:{name}", name)


def directory(identities: Iterable[Identity], config: PeopleConfig) -> People:
    """The people the identities and ``[people] aliases`` make up."""
    ids = sorted(set(identities))
    parent = list(range(len(ids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    accounts: dict[tuple[str, str], set[str]] = {}
    for ident in ids:
        account = ident.uid or f"email:{ident.email.casefold()}"
        accounts.setdefault((ident.source, ident.name), set()).add(account)
    ambiguous = {key for key, found in accounts.items() if len(found) > 1}
    first_of: dict[tuple[str, str], int] = {}
    for index, ident in enumerate(ids):  # one account's identities: one person, every email
        if (named := (ident.source, ident.name)) not in ambiguous:
            join(first_of.setdefault(named, index), index)
    by_email: dict[str, int] = {}
    for index, ident in enumerate(ids):
        if ident.email and (ident.source, ident.name) not in ambiguous:
            first = by_email.setdefault(ident.email.casefold(), index)
            join(first, index)
    alias_of: dict[int, str] = {}
    bare: dict[str, str] = {}
    for key, entries in sorted(config.aliases.items()):
        members: list[int] = []
        for entry in entries:
            entry = entry.strip()
            tool, sep, name = entry.partition(":")
            for index, ident in enumerate(ids):
                if "@" in entry and not sep and ident.email.casefold() == entry.casefold():
                    members.append(index)
                elif sep and ident.source == tool.lower() and name in (ident.name, ident.handle):
                    members.append(index)
                elif not sep and "@" not in entry and ident.name.casefold() == entry.casefold():
                    members.append(index)
            if not sep and "@" not in entry:
                bare[entry.casefold()] = key
            elif sep:
                bare.setdefault(f"{tool.lower()}:{name}", key)
        for index in members:
            join(members[0], index)
            alias_of.setdefault(index, key)
    groups: dict[int, list[Identity]] = {}
    aliases: dict[int, str] = {}
    for index, ident in enumerate(ids):
        top = root(index)
        groups.setdefault(top, []).append(ident)
        if index in alias_of:  # two keys naming one person: the first (sorted) wins
            aliases[top] = min(aliases.get(top, alias_of[index]), alias_of[index])
    people = People()
    for top, group in groups.items():
        alias = aliases.get(top)
        emails = sorted({i.email.casefold() for i in group if i.email})
        if alias is not None:
            pid = f"alias:{alias}"
        elif emails:
            pid = f"email:{emails[0]}"
        else:
            pid = f"{group[0].source}:{group[0].name}"
        for ident in group:
            display = alias or _display(group, ident, config.display)
            person = Person(pid, display)
            if (ident.source, ident.name) in ambiguous and alias is None:
                person = Person(f"{ident.source}:{ident.name}", ident.name)
            people.known[(ident.source, ident.name)] = person
    for name, key in bare.items():
        person = Person(f"alias:{key}", key)
        if ":" in name:
            tool, _, tool_name = name.partition(":")
            people.known.setdefault((tool, tool_name), person)
        else:
            people.by_name[name] = person
    return people


def _display(group: list[Identity], ident: Identity, mode: str) -> str:
    """The most common real name (or handle) the person's tools hold; ties: the longest (the
    fullest name), then alphabetical."""
    values = Counter(i.handle if mode == "handle" else i.real_name for i in group)
    values.pop("", None)
    if values:
        return min(values.items(), key=lambda item: (-item[1], -len(item[0]), item[0]))[0]
    return ident.name


def resolve(events: Iterable[Event], people: People) -> tuple[list[Event], dict[str, str]]:
    """The events with one display name and id per person (see the module docstring), and
    each person id's display name."""
    out: list[Event] = []
    names: dict[str, str] = {}
    seen: dict[tuple[tuple[str, ...], str | None, frozenset[str]], _Named] = {}
    """What ``_named`` gives per (sources, actor, tags): records repeat them."""
    for event in events:
        facts = (event.sources, event.actor, event.tags)
        named = seen.get(facts)
        if named is None:
            named = seen[facts] = _named(event, people, names)
        actor, tags, renames = named
        summary = _renamed(event.summary, renames) if renames else event.summary
        if len(tags) == len(event.tags) and summary == event.summary and actor == event.actor:
            out.append(event)
            continue
        out.append(
            new_event(
                event.time,
                event.kind,
                summary,
                event.sources,
                event.links,
                event.key,
                actor,
                event.refs,
                tags,
                event.scope,
                event.reason,
                event.members,
                event.edited_at,
            )
        )
    return out, names


_Named = tuple[str | None, frozenset[str], dict[str, str]]
"""The actor's display name, the tags with ``who:``/``whom:``, the renames for the text."""


def _named(event: Event, people: People, names: dict[str, str]) -> _Named:
    sources = sorted(event.sources, key=source_rank)
    actor = event.actor
    added: list[str] = []
    renames: dict[str, str] = {}
    if actor:
        person = _lookup(people, sources, actor)
        added.append(WHO + person.id)
        names[person.id] = person.display
        if person.display != actor:
            renames[actor] = person.display
        actor = person.display
    for tag in event.tags:
        if tag.startswith(TARGET):
            name = tag[len(TARGET) :]
            person = _lookup(people, sources, name)
            added.append(WHOM + person.id)
            names[person.id] = person.display
            if person.display != name:
                renames[name] = person.display
    own_words = "human" in event.tags or ("bot" in event.tags and len(event.sources) == 1)
    tags = event.tags.union(added) if added else event.tags
    return actor, tags, {} if own_words else renames


def _lookup(people: People, sources: list[str], name: str) -> Person:
    for source in sources:
        found = people.known.get((source, name))
        if found is not None:
            return found
    return people.person(sources[0] if sources else "", name)


def _renamed(text: str, renames: Mapping[str, str]) -> str:
    pattern = "|".join(re.escape(n) for n in sorted(renames, key=len, reverse=True))
    return re.sub(rf"(?<!\w)(?:{pattern})(?!\w)", lambda m: renames[m.group(0)], text)


def person_of(event: Event) -> str | None:
    """The actor's person id (``who:``), when ``resolve`` gave one."""
    return min((tag[len(WHO) :] for tag in event.tags if tag.startswith(WHO)), default=None)


def targets_of(event: Event) -> frozenset[str]:
    """The ids of the people a page or escalation is for (``whom:``)."""
    return frozenset(tag[len(WHOM) :] for tag in event.tags if tag.startswith(WHOM))
