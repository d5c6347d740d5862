"""One name per person: the same person in several tools gets one display name and one id.

Identities (``model.Identity``: a tool's name for someone, with the email that tool holds, if
any) are joined into one person when

- their emails are equal (case-insensitive), or
- ``[people] aliases`` names them under one display name. An entry names identities, never a
  name two people share: an email (the address a tool holds), ``tool:<id>`` where ``<id>`` is
  that tool's account id, unique handle or email (``slack:U0SAMLEE2``, ``slack:samuel.lee``,
  ``github:knguyen``, ``grafana:kim``, ``pagerduty:PKIM001``, ``pagerduty:kim@acme.example``)
  or the name its records show (``slack:Kim Nguyen``), or a bare name (that name in any tool).
  A name (bare or ``tool:``) that two people show (two accounts: two account ids, or two
  emails) names no one and gets a warning; so does an entry that names no one in the incident.

Nothing else joins them: two tools' identical or similar names stay two people (a Grafana login
``asouza`` with no email is not the Slack user whose handle is ``asouza``). Records name a person
by the tool's name; when several of that tool's accounts show the name (different
``Identity.uid``; without uids, different emails, one with none), the record's key says which
(``Identity.records``, ``collectors.people``): that record goes to its account's person. A record
no account claims cannot say which: it joins no one and keeps the tool name (``<tool>:<name>``)
unless every account showing the name is one person. One account's identities are one person
with every email they show (a GitHub login whose commits carry a work and a personal address).
A person's display name is the alias key when aliased; else, with ``[people] display = "name"``
(default), the real name one of their tools holds (the most common; ties: the longest, then
alphabetical), with ``"handle"`` their chat handle or login; else the tool's own name. Two
people of one draft shown by one name, whom a tool says are two (each has an account in it, not
the same one), are told apart by their handle (``Sam Lee (@samlee)`` /
``Sam Lee (@samuel.lee)``: a Slack username first, then a GitHub or Grafana login, else an
email, else the tool's account id).

``resolve`` rewrites each event: ``actor`` becomes the display name, tag ``who:<person id>`` is
added for the actor and ``whom:<person id>`` for each ``target:<name>`` tag (the person paged or
escalated to); in a tool's own text (not a person's message, nor a bot's post standing alone:
a merged row speaks with its tool's text) the tool's name for a person is replaced by the
display name. In every text, a person's message too, a mention (tag ``mention:<account id>:<name
shown>``, from a tool that writes whom it mentions: Slack's ``<@U…>``) of an account the
directory knows reads as that person's display name, without its ``@`` ("triggered by @tomas"
-> "triggered by Tomás García"); an account it does not know keeps ``@<name>``, and so does a
name two mentioned people of one text show (the text does not say which is which). A person id
is ``alias:<key>``, ``email:<address>``, or ``<tool>:<name>`` for someone no email or alias
joins (``<tool>:<name>#<account id>`` when the tool shows that name for several accounts).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from reconstruct.config import PeopleConfig
from reconstruct.model import Event, Identity, Kind
from reconstruct.normalize.authority import source_rank
from reconstruct.normalize.evolve import new_event

TARGET = "target:"
MENTION = "mention:"
"""Tag of a person a text mentions: ``mention:<account id>:<name shown after the @>``."""
WHO = "who:"
WHOM = "whom:"
ALIAS = "alias:"
_HANDLE_TOOLS = ("slack", "github", "grafana", "pagerduty")
"""Whose login tells two same-named people apart first (the chat handle people know)."""
_TOOL_NAMES = {"slack": "Slack", "github": "GitHub", "grafana": "Grafana", "pagerduty": "PagerDuty"}
"""How a row names the tool of a login that two people's handles share (``alice (GitHub)``)."""


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
    by_record: dict[str, dict[str, Person]] = field(default_factory=dict)
    """Record key -> the tool name it shows -> the person, for names several accounts show."""
    handles: dict[str, str] = field(default_factory=dict)
    """Person id -> what tells them apart from another person of the same name (``@samlee``)."""
    handle_tools: dict[str, str] = field(default_factory=dict)
    """Person id -> the tool whose login ``handles`` holds (``slack``), for a login only."""
    accounts: dict[str, frozenset[tuple[str, str]]] = field(default_factory=dict)
    """Person id -> their ``(tool, account id)``s: what says two people differ."""
    by_account: dict[tuple[str, str], Person] = field(default_factory=dict)
    """``(tool, account id)`` -> the person: whom a mention (``MENTION``) names."""
    matched: set[str] = field(default_factory=set)
    """Alias keys that name at least one identity."""
    refused: set[str] = field(default_factory=set)
    """Alias keys with an entry left out (a name two people show): warned about already."""
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """Alias problems found by ``directory`` (see ``warnings``)."""
    tools: dict[str, frozenset[str]] = field(default_factory=dict)
    """Person id -> the tools whose identities are theirs (``unjoined_people``)."""
    forms: dict[str, str] = field(default_factory=dict)
    """Person id -> the ``[people] aliases`` entry that names their account of one tool
    (``github:marco-bianchi``, ``slack:samuel.lee``, ``pagerduty:PKIM001``)."""

    def person(self, source: str, name: str) -> Person:
        found = self.known.get((source, name)) or self.by_name.get(name.casefold())
        return found if found is not None else Person(f"{source}:{name}", name)


def _accounts(ids: list[Identity]) -> dict[tuple[str, str], set[str]]:
    """``(tool, name)`` -> the accounts showing it (account id, else ``email:<address>``)."""
    out: dict[tuple[str, str], set[str]] = {}
    for ident in ids:
        account = ident.uid or f"email:{ident.email.casefold()}"
        out.setdefault((ident.source, ident.name), set()).add(account)
    return out


def _two_people(found: list[Identity]) -> bool:
    """Whether identities are (at least) two people by a tool's own word: two of its account ids,
    or two emails it holds. Different emails in different tools say nothing (one person's
    PagerDuty and Slack addresses often differ)."""
    per_tool: dict[str, tuple[set[str], set[str]]] = {}
    for ident in found:
        uids, emails = per_tool.setdefault(ident.source, (set(), set()))
        if ident.uid:
            uids.add(ident.uid)
        if ident.email:
            emails.add(ident.email.casefold())
    return any(len(uids) > 1 or len(emails) > 1 for uids, emails in per_tool.values())


def _entry_matches(entry: str, ident: Identity) -> bool:
    tool, sep, name = entry.partition(":")
    if sep and tool.lower() in _HANDLE_TOOLS:
        if ident.source != tool.lower():
            return False
        folded = name.removeprefix("@").casefold()  # ``slack:@samlee`` as people write it
        return (
            name in (ident.uid, ident.name, ident.handle)
            or (bool(ident.login) and folded == ident.login.casefold())
            or (bool(ident.email) and folded == ident.email.casefold())
        )
    if "@" in entry:
        return bool(ident.email) and ident.email.casefold() == entry.casefold()
    return ident.name.casefold() == entry.casefold()


def _is_name(entry: str, ident: Identity) -> bool:
    """Whether ``entry`` matched ``ident`` by a name it shows (not by an id, login or email)."""
    tool, sep, name = entry.partition(":")
    if sep and tool.lower() in _HANDLE_TOOLS:
        folded = name.removeprefix("@").casefold()
        by_id = name == ident.uid or (bool(ident.login) and folded == ident.login.casefold())
        return not by_id and not (bool(ident.email) and folded == ident.email.casefold())
    return "@" not in entry


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

    accounts = _accounts(ids)
    ambiguous = {key for key, found in accounts.items() if len(found) > 1}
    first_of: dict[tuple[str, ...], int] = {}
    for index, ident in enumerate(ids):  # one account's identities: one person, every email
        named = (ident.source, ident.name)
        account = (*named, ident.uid) if named in ambiguous and ident.uid else named
        if named not in ambiguous or ident.uid:
            join(first_of.setdefault(account, index), index)
    by_email: dict[str, int] = {}
    for index, ident in enumerate(ids):
        if ident.email and ((ident.source, ident.name) not in ambiguous or ident.uid):
            join(by_email.setdefault(ident.email.casefold(), index), index)
    people = People(aliases={k: tuple(v) for k, v in config.aliases.items()})
    alias_of: dict[int, str] = {}
    named_by: dict[int, dict[str, str]] = {}
    """Identity index -> alias key -> the first entry of that key that names it."""
    bare: dict[str, str] = {}
    for key, entries in sorted(config.aliases.items()):
        members: list[int] = []
        for entry in (e.strip() for e in entries):
            found = [i for i, ident in enumerate(ids) if _entry_matches(entry, ident)]
            by_name = [ids[i] for i in found if _is_name(entry, ids[i])]
            if by_name and _two_people(by_name):
                people.warnings.append(
                    f"[people] aliases {_quoted(key)}: {_quoted(entry)} is the name of "
                    f"{_listing(by_name)}, two people; name the one you mean by email or "
                    f"tool:<user id or handle> ({_forms(by_name)}); left out"
                )
                people.refused.add(key)
                continue
            members.extend(found)
            for index in found:
                named_by.setdefault(index, {}).setdefault(key, entry)
            tool, sep, name = entry.partition(":")
            if sep and tool.lower() in _HANDLE_TOOLS:
                bare.setdefault(f"{tool.lower()}:{name}", key)
            elif "@" not in entry:
                bare[entry.casefold()] = key
        if members:
            people.matched.add(key)
            _check_join(key, [ids[i] for i in members], people.warnings)
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
    tops: dict[tuple[str, str], set[int]] = {}
    for index, ident in enumerate(ids):
        tops.setdefault((ident.source, ident.name), set()).add(root(index))
    pid_of: dict[int, str] = {}
    for top, group in groups.items():
        alias = aliases.get(top)
        emails = sorted({i.email.casefold() for i in group if i.email})
        if alias is not None:
            pid = ALIAS + alias
        elif emails:
            pid = f"email:{emails[0]}"
        elif (group[0].source, group[0].name) in ambiguous and group[0].uid:
            pid = f"{group[0].source}:{group[0].name}#{group[0].uid}"
        else:
            pid = f"{group[0].source}:{group[0].name}"
        pid_of[top] = pid
        handle, tool = _handle(group)
        if handle:
            people.handles[pid] = handle
        if tool:
            people.handle_tools[pid] = tool
        people.accounts[pid] = frozenset((i.source, i.uid) for i in group if i.uid)
        people.tools[pid] = frozenset(i.source for i in group)
        people.forms[pid] = _form(group[0])
        for ident in group:
            person = Person(pid, alias or _display(group, ident, config.display))
            if ident.uid:
                people.by_account[(ident.source, ident.uid)] = person
            named = (ident.source, ident.name)
            for record in ident.records:
                people.by_record.setdefault(record, {})[ident.name] = person
            if named in ambiguous and len(tops[named]) > 1:
                person = Person(f"{ident.source}:{ident.name}", ident.name)
            people.known[named] = person
    for name, key in bare.items():
        person = Person(ALIAS + key, key)
        tool = name.partition(":")[0] if ":" in name else ""
        if tool:  # an account the alias names, an identity or not (a login with no email)
            people.tools[person.id] = people.tools.get(person.id, frozenset()) | {tool}
        if ":" in name:
            tool, _, tool_name = name.partition(":")
            people.known.setdefault((tool, tool_name), person)
        else:
            people.by_name[name] = person
    _check_names(people, groups, aliases, pid_of)
    _check_keys(people, ids, named_by, root, aliases)
    return people


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _listing(found: list[Identity]) -> str:
    tools = sorted({i.source for i in found})
    return f"{len({(i.source, i.uid or i.email) for i in found})} {'/'.join(tools)} accounts"


def _forms(found: list[Identity]) -> str:
    """The entries that name each account of ``found`` alone (``slack:U0SAM1``, an email)."""
    out = []
    for ident in sorted(found):
        if ident.uid:
            out.append(f"{ident.source}:{ident.uid}")
        elif ident.email:
            out.append(ident.email)
    return ", ".join(dict.fromkeys(out)) or "none known"


def _form(ident: Identity) -> str:
    """The alias entry naming this identity's account alone: its login (Slack, GitHub,
    Grafana), else the tool's account id, else its email, else the name it shows."""
    if ident.login:
        return f"{ident.source}:{ident.login}"
    if ident.uid:
        return f"{ident.source}:{ident.uid}"
    return ident.email or f"{ident.source}:{ident.name}"


MAX_UNJOINED = 6
"""People ``unjoined_people`` names by their entry; more are "and N more"."""
_LOGIN_ONLY = ("github",)
"""Tools whose records name people by a login that is an identity only with an email (GitHub:
a commit's), so a person of the rows may be no identity at all."""


def unjoined_people(
    events: Iterable[Event], people: People, names: Mapping[str, str] | None = None
) -> str | None:
    """One line for the author when the rows show a person known by one tool's handle only
    (no email to join them by, no alias: a GitHub login without a commit email on a merged PR's
    row, a Slack or PagerDuty user whose email the token could not read) while another person
    of the rows has no identity in that tool (they may be the same person): the entry of each
    such person (``github:lferreira-acme``, after the name the rows give them, ``names``: person
    id -> display name; up to ``MAX_UNJOINED``) and the ``[people] aliases`` line to add.
    Nothing is guessed from names: it lists, never joins. A bot (a ``bot`` row's actor, a
    ``[bot]`` login, a Grafana service account ``sa-...``) is no one. None when no such
    person."""
    shown: dict[str, frozenset[str]] = {}
    for event in events:
        for tag in event.tags:
            if not (tag.startswith(WHO) or tag.startswith(WHOM)):
                continue
            pid = tag.partition(":")[2]
            if _machine(pid) or (tag.startswith(WHO) and "bot" in event.tags):
                continue
            if pid in people.tools:
                shown[pid] = people.tools[pid]
            elif _login_only(pid) and event.kind is Kind.CHANGE:  # who merged or opened a PR
                shown[pid] = frozenset({pid.partition(":")[0]})
    lone = sorted(
        pid
        for pid, tools in shown.items()
        if len(tools) == 1
        and not pid.startswith((ALIAS, "email:"))  # an alias, or an email no one else holds
        and any(not tools <= others for other, others in shown.items() if other != pid)
    )
    if not lone:
        return None
    named = sorted((people.forms.get(pid, pid), (names or {}).get(pid, "")) for pid in lone)
    items = [
        form if not name or form.endswith(f":{name}") else f"{name} ({form})"
        for form, name in named
    ]
    listed = ", ".join(items[:MAX_UNJOINED])
    if len(items) > MAX_UNJOINED:
        listed += f" and {len(items) - MAX_UNJOINED} more"
    who = "1 person" if len(items) == 1 else f"{len(items)} people"
    return (
        f"{who} of the rows known to one tool only, joined to no other tool's by an email or "
        f"[people] aliases: {listed}; if one is someone another tool names, add under "
        f'[people.aliases]: "<their name>" = ["{named[0][0]}", "<their email>"]'
    )


def _login_only(pid: str) -> bool:
    tool, _, name = pid.partition(":")
    return tool in _LOGIN_ONLY and bool(name)


def _machine(pid: str) -> bool:
    """A bot's or service account's person id: a ``[bot]`` login (``(bot)`` as rows show it),
    a Grafana service account (its login ``sa-<name>`` or ``sa-<org id>-<name>``)."""
    tool, _, name = pid.partition(":")
    low = name.lower()
    return low.endswith(("[bot]", "(bot)")) or (tool == "grafana" and low.startswith("sa-"))


def _check_join(key: str, members: list[Identity], warnings: list[str]) -> None:
    """Warn when an alias joins two accounts of one tool whose emails differ: the tool itself
    says they are two people."""
    seen: dict[str, Identity] = {}
    for ident in sorted(members):
        if not (ident.uid and ident.email):
            continue
        other = seen.setdefault(ident.source, ident)
        if other.uid != ident.uid and other.email.casefold() != ident.email.casefold():
            warnings.append(
                f"[people] aliases {_quoted(key)}: joins two {ident.source} accounts whose "
                f"emails say they are two people ({other.email}, {ident.email}); "
                "check the alias"
            )
            return


def _check_keys(
    people: People,
    ids: list[Identity],
    named_by: dict[int, dict[str, str]],
    root: Callable[[int], int],
    aliases: dict[int, str],
) -> None:
    """Warn when two alias keys name one person: one account by two forms (``"X" =
    ["slack:@bstone"]``, ``"Y" = ["slack:U0BOB0002"]``, the same Slack user: only the directory
    knows), or two accounts that are one person (their email). The rows say the first key."""
    keys_of: dict[int, dict[str, str]] = {}
    for index, by_key in sorted(named_by.items()):
        if len(by_key) > 1:
            ident = ids[index]
            account = f"{ident.source} account {ident.uid or ident.name}"
            _two_keys(people, by_key, account, aliases[root(index)])
        for key, entry in by_key.items():
            keys_of.setdefault(root(index), {}).setdefault(key, entry)
    for top, by_key in sorted(keys_of.items()):
        if len(by_key) > 1:
            group = [ident for i, ident in enumerate(ids) if root(i) == top]
            _two_keys(people, by_key, f"one person, {_who(group)}", aliases[top])


def _two_keys(people: People, by_key: Mapping[str, str], what: str, shown: str) -> None:
    keys = sorted(by_key)
    named = ", ".join(f"{_quoted(by_key[k])} under {_quoted(k)}" for k in keys)
    text = (
        f"[people] aliases {' and '.join(_quoted(k) for k in keys)} name {what} ({named}); "
        f"rows say {_quoted(shown)}; keep it under one name"
    )
    if not any(w.startswith(text.partition(" name ")[0] + " name ") for w in people.warnings):
        people.warnings.append(text)


def _check_names(
    people: People,
    groups: dict[int, list[Identity]],
    aliases: dict[int, str],
    pid_of: dict[int, str],
) -> None:
    """Warn when an alias gives someone the name another person shows whom the tools say is
    someone else (``_differ``: another account of a tool both have)."""
    shown: dict[str, set[int]] = {}
    for top, group in groups.items():
        for ident in group:
            for name in {ident.name, ident.real_name} - {""}:
                shown.setdefault(name.casefold(), set()).add(top)
    for top, key in sorted(aliases.items(), key=lambda item: item[1]):
        for other in sorted(shown.get(key.casefold(), ())):
            if aliases.get(other) == key or not _differ(people, pid_of[top], pid_of[other]):
                continue
            text = (
                f"[people] aliases {_quoted(key)}: {_who(groups[top])} gets the name of "
                f"another person ({_who(groups[other])}); their accounts say they are two "
                "people, so the draft tells them apart; add that person to the alias if they "
                "are one"
            )
            if text not in people.warnings:
                people.warnings.append(text)


def _who(group: list[Identity]) -> str:
    """A person's emails, else their accounts (``slack:U0SAMLEE2``)."""
    emails = sorted({i.email.casefold() for i in group if i.email})
    return ", ".join(emails or sorted({f"{i.source}:{i.uid or i.name}" for i in group}))


def _handle(group: list[Identity]) -> tuple[str, str]:
    """What tells this person apart from another of the same name: a login (Slack's first),
    else an email, else a tool's account id; "" when nothing does. With the tool whose login
    it is ("" for an email or an account id)."""
    ordered = sorted(
        group, key=lambda i: (_HANDLE_TOOLS.index(i.source) if i.source in _HANDLE_TOOLS else 9, i)
    )
    for ident in ordered:
        if ident.login:
            return "@" + ident.login, ident.source
    emails = sorted(i.email for i in group if i.email)
    if emails:
        return emails[0], ""
    for ident in ordered:
        if ident.uid:
            return f"{ident.source} {ident.uid}", ""
    return "", ""


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
    each person id's display name. Two people these events name who show one name are told
    apart by their handle (``People.handles``)."""
    rows = list(events)
    shown: dict[str, str] = {}
    names = _names(rows, people, shown)
    shown = _told_apart(names, people)
    if shown:
        names = {pid: shown.get(pid, display) for pid, display in names.items()}
    out: list[Event] = []
    seen: dict[tuple[tuple[str, ...], str | None, frozenset[str], str], _Named] = {}
    """What ``_named`` gives per (sources, actor, tags, record key when it says whose): records
    repeat them."""
    for event in rows:
        facts = _facts(event, people)
        named = seen.get(facts)
        if named is None:
            named = seen[facts] = _named(event, people, {}, shown)
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


def _facts(event: Event, people: People) -> tuple[tuple[str, ...], str | None, frozenset[str], str]:
    key = event.key if event.key in people.by_record else ""
    return (event.sources, event.actor, event.tags, key)


def _names(rows: list[Event], people: People, shown: dict[str, str]) -> dict[str, str]:
    """Each person id the rows name -> display name."""
    names: dict[str, str] = {}
    seen: set[tuple[tuple[str, ...], str | None, frozenset[str], str]] = set()
    for event in rows:
        facts = _facts(event, people)
        if facts not in seen:
            seen.add(facts)
            _named(event, people, names, shown)
    return names


def _told_apart(names: Mapping[str, str], people: People) -> dict[str, str]:
    """Person id -> display name with their handle (``Sam Lee (@samlee)``) for each person
    shown by the name of another whom the tools say is someone else (``_differ``), when their
    handles tell them apart; when they do not (one login in two tools: Slack's ``alice`` and
    GitHub's ``alice``), with the tool the login is of: ``alice (Slack)`` and
    ``alice (GitHub)`` when the name shown is that login, else ``Alice (GitHub @alice)``."""
    by_display: dict[str, list[str]] = {}
    for pid, display in names.items():
        by_display.setdefault(display.casefold(), []).append(pid)
    out: dict[str, str] = {}
    for pids in by_display.values():
        if len(pids) < 2:
            continue
        for pid in sorted(pids):
            handle = people.handles.get(pid)
            others = [other for other in pids if other != pid and _differ(people, pid, other)]
            if not handle or not others:
                continue
            if handle not in {people.handles.get(o) for o in others}:
                out[pid] = f"{names[pid]} ({handle})"
            elif tool := people.handle_tools.get(pid):
                tool = _TOOL_NAMES.get(tool, tool)
                same = handle[1:].casefold() == names[pid].casefold()
                out[pid] = f"{names[pid]} ({tool if same else f'{tool} {handle}'})"
    return out


def _differ(people: People, one: str, other: str) -> bool:
    """Whether the tools say two person ids are two people: both have an account in one tool,
    and not the same one (two Slack users shown "Sam Lee"). Different emails in different tools
    say nothing (one person's PagerDuty and Slack addresses often differ), nor does a name no
    email or alias joins (PagerDuty's "Priya Raman" without an email may be Slack's)."""
    uids = people.accounts.get(one, frozenset())
    their_uids = people.accounts.get(other, frozenset())
    tools = {tool for tool, _ in uids} & {tool for tool, _ in their_uids}
    return bool(tools) and not uids & their_uids


def warnings(people: People) -> list[str]:
    """Alias problems, one line each: a name two people show, a join or a name the tools' emails
    contradict (``directory``). An alias that names no one in this incident's records says
    nothing: a team's config lists everyone, and most are not in a given incident."""
    return list(people.warnings)


_Named = tuple[str | None, frozenset[str], dict[str, str]]
"""The actor's display name, the tags with ``who:``/``whom:``, the renames for the text."""


def _named(event: Event, people: People, names: dict[str, str], shown: Mapping[str, str]) -> _Named:
    sources = sorted(event.sources, key=source_rank)
    actor = event.actor
    added: list[str] = []
    renames: dict[str, str] = {}
    if actor:
        person = _lookup(people, sources, actor, event.key)
        display = shown.get(person.id, person.display)
        added.append(WHO + person.id)
        names[person.id] = display
        if display != actor:
            renames[actor] = display
        actor = display
    for tag in event.tags:
        if tag.startswith(TARGET):
            name = tag[len(TARGET) :]
            person = _lookup(people, sources, name, event.key)
            display = shown.get(person.id, person.display)
            added.append(WHOM + person.id)
            names[person.id] = display
            if display != name:
                renames[name] = display
    own_words = "human" in event.tags or ("bot" in event.tags and len(event.sources) == 1)
    tags = event.tags.union(added) if added else event.tags
    said = _mentioned(event, people, sources, names, shown)
    if own_words:
        return actor, tags, said
    return actor, tags, {**renames, **said} if said else renames


def _mentioned(
    event: Event,
    people: People,
    sources: list[str],
    names: dict[str, str],
    shown: Mapping[str, str],
) -> dict[str, str]:
    """``@<name shown>`` -> the display name, for each person the text mentions whom the
    directory knows by their account (``MENTION`` tags): "triggered by @tomas" reads
    "triggered by Tomás García", the name every row gives them. Someone it does not know (not
    in the tool's users) keeps ``@<name>``; so does a name two mentioned people show."""
    out: dict[str, str] = {}
    clash: set[str] = set()
    for tag in event.tags:
        if not tag.startswith(MENTION):
            continue
        uid, _, name = tag[len(MENTION) :].partition(":")
        person = next(
            (p for s in sources if (p := people.by_account.get((s, uid))) is not None), None
        )
        if person is None or not name:
            continue
        display = shown.get(person.id, person.display)
        names.setdefault(person.id, display)
        said = "@" + name
        if out.get(said, display) != display:
            clash.add(said)
        out[said] = display
    for said in clash:
        del out[said]
    return out


def _lookup(people: People, sources: list[str], name: str, key: str = "") -> Person:
    record = people.by_record.get(key) if key else None
    if record is not None and name in record:
        return record[name]
    for source in sources:
        found = people.known.get((source, name))
        if found is not None:
            return found
    return people.person(sources[0] if sources else "", name)


def _renamed(text: str, renames: Mapping[str, str]) -> str:
    """Each name of ``renames`` (a tool name, or ``@<name>`` of a mention) as a whole word,
    in one pass, so a display name put in is never renamed again."""
    pattern = "|".join(re.escape(n) for n in sorted(renames, key=len, reverse=True))
    return re.sub(rf"(?<![\w.+-])(?:{pattern})(?!\w)", lambda m: renames[m.group(0)], text)


def written_names(
    people: People, identities: Iterable[Identity], names: Mapping[str, str]
) -> dict[str, frozenset[str]]:
    """Each person id -> how a tool's text may write that person, case-folded: their display
    name (``names``, from ``resolve``) and each of their identities' name, real name and email
    (a flag tool's audit post: "Samantha Ortiz updated the flag ..."). Handles and logins are
    left out (a short login reads as a word). A name two people show is left out of both."""
    found: dict[str, set[str]] = {pid: {display.casefold()} for pid, display in names.items()}
    for ident in identities:
        person = people.known.get((ident.source, ident.name))
        if person is None:
            continue
        forms = (person.display, ident.name, ident.real_name, ident.email)
        found.setdefault(person.id, set()).update(f.casefold() for f in forms if f.strip())
    owners: Counter[str] = Counter(name for forms in found.values() for name in forms)
    return {
        pid: frozenset(f for f in forms if owners[f] == 1) for pid, forms in sorted(found.items())
    }


def person_of(event: Event) -> str | None:
    """The actor's person id (``who:``), when ``resolve`` gave one."""
    return min((tag[len(WHO) :] for tag in event.tags if tag.startswith(WHO)), default=None)


def targets_of(event: Event) -> frozenset[str]:
    """The ids of the people a page or escalation is for (``whom:``)."""
    return frozenset(tag[len(WHOM) :] for tag in event.tags if tag.startswith(WHOM))
