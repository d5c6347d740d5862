"""Who started a deploy: the one person a deploy bot's joined post credits, as the row's actor.

A deploy tool that is an app records itself as the deployment's creator (GitHub: the
deployment's ``creator`` is ``{"login": "shipit[bot]", "type": "Bot"}`` for a GitHub App,
https://docs.github.com/en/rest/deployments/deployments), so its row reads "shipit (bot):
Deployed ...". The person who asked for the deploy is in the bot's own posts that
``deploystart`` joined into the row: "Deploying checkout 9e3b1c2 to production, started by
<@U02RAJ>" (a Slack user mention, rendered ``@<display name>``, or ``@<user ID>`` when the users
list does not have the user), "Workflow was triggered via push by raj-patel" (the GitHub Slack
app and GitHub Actions notifications name ``github.actor``, a login), "requested by Raj Patel".
An SRE writes that row "Raj Patel: Deployed ... to production (via shipit)".

Two steps:

- ``credits(text)`` (``deploystart`` calls it on each post it joins; the row keeps the result as
  tags ``started-by:<name as written>``): what follows a credit phrase (``CREDIT``: "started",
  "triggered", "requested", "initiated", "kicked off", "launched", "deployed", ... "by"; or a
  bare "by @handle"), up to the end of its clause (a comma, semicolon, bracket or dash, or a
  word ``CLAUSE_END``: "cc", "via", "in", "to", "for", ...). Who is "cc"'d is informed, not the
  one who started it: "started by @raj cc @lee" credits @raj, and "cc @lee" alone credits no one.
- ``credit_starters(rows, people, identities, names)`` (after ``people.resolve``): a deploy row
  (kind ``deploy``) whose actor is an app (tag ``bot-actor:<its name>``, which a collector sets:
  GitHub's creator ``type: "Bot"`` or a ``[bot]`` login) or unknown, whose ``started-by:`` names
  resolve to exactly one person, gets that person's one display name as actor (``who:`` their id)
  and "(via <app>)" after its text ("(started 13:59 via shipit)" when ``deploystart`` said when it
  started), the app's name without its "(bot)" mark. A name resolves to a person only through the
  people directory, by an exact (case-insensitive) name, real name, login, user ID or alias key some
  identity or ``[people] aliases`` holds: never by a similar name. A name that resolves to no one,
  or to two people (a Slack display name two accounts show; a Slack name and another person's GitHub
  login), or two credited names that are two people ("started by @raj and @lee") or of whom one is
  unknown leave the app as the actor. A deployment a person created keeps its creator.

A collector may add ``started-by:`` itself from its deploy record: GitHub's deployment
``payload`` is free-form, and a chat-ops tool creating deployments writes who asked for it there
(hubot-deploy: ``payload.notify.user_name``, the chat user's name; GitHub's API reference example:
``payload: {"user": "atmos"}``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from reconstruct.model import Event, Identity, Kind
from reconstruct.normalize.evolve import new_event
from reconstruct.normalize.people import WHO, People, Person

BOT_ACTOR = "bot-actor:"
"""Tag of a record whose actor is an app, not a person, with that actor's name
(``bot-actor:shipit (bot)``; GitHub: the creator's ``type: "Bot"``). A row that merged it with
another tool's record whose actor is a person (``merge.combine``) keeps that person."""
STARTED_BY = "started-by:"
"""Tag of a deploy row: a name a joined bot post credits with starting it, as written there."""
BOT_MARK = " (bot)"
"""How a row shows an app's account: GitHub's ``shipit[bot]`` login reads ``shipit (bot)``
(Markdown would escape the brackets: ``shipit\\[bot\\]``)."""

CLAUSE_END = (
    "cc",
    "via",
    "in",
    "on",
    "at",
    "to",
    "for",
    "from",
    "with",
    "using",
    "through",
)
"""Words that end the name after a credit phrase ("started by @raj via deploy-ui")."""
CREDIT = re.compile(
    r"(?:\b(?:started|triggered|requested|initiated|kicked[ -]off|launched|queued|run"
    r"|deployed|released|shipped|rolled[ -]out|promoted)"
    r"(?:\s+via\s+[\w-]+)?\s+by\s+(?P<who>[^,;()\[\]{}|<>\n\u2014\u2013]+)"
    r"|(?:^|[\s(\[])by\s+(?P<handle>@[^,;()\[\]{}|<>\n\u2014\u2013]+))",
    re.IGNORECASE,
)
"""A credit phrase and what follows it, to the end of its clause (cut at ``CLAUSE_END``)."""
_END = re.compile(
    rf"\s+(?:{'|'.join(CLAUSE_END)})\b.*$|\s+-\s.*$|[.!:]+(?:\s.*)?$", re.IGNORECASE | re.DOTALL
)
_STARTED = re.compile(r"\(started \d\d:\d\d\)$")
_MARKS = re.compile(r"[\s*_`'\"]+$|^[\s*_`'\"]+")


def bot_login(login: str) -> str:
    """A GitHub App's login as a row shows it: ``shipit[bot]`` -> ``shipit (bot)``; any other
    login unchanged."""
    return login[: -len("[bot]")] + BOT_MARK if login.endswith("[bot]") else login


def credits(text: str) -> list[str]:
    """The names ``text`` credits with starting a deploy, as written (``@Raj Patel``,
    ``raj-patel``), in order; [] when it credits no one."""
    found: list[str] = []
    for match in CREDIT.finditer(text):
        name = _MARKS.sub("", _END.sub("", match.group("who") or match.group("handle")))
        if name and name not in found:
            found.append(name)
    return found


def credit_starters(
    rows: Sequence[Event], people: People, identities: Iterable[Identity], names: dict[str, str]
) -> list[Event]:
    """``rows`` with each app-started deploy row whose ``started-by:`` names are one person
    credited to that person (module doc). ``names`` (person id -> display name, from
    ``people.resolve``) gains the people credited."""
    if not any(row.kind is Kind.DEPLOY and _credited(row) for row in rows):
        return list(rows)
    directory = _Directory(people, identities)
    out: list[Event] = []
    for row in rows:
        said = _credited(row) if row.kind is Kind.DEPLOY else []
        if not said or (row.actor is not None and BOT_ACTOR + row.actor not in row.tags):
            out.append(row)
            continue
        each = [directory.find(name) for name in said]
        found = {person.id: person for people_of in each for person in people_of}
        if len(found) != 1 or not all(each):
            out.append(row)  # no one, several, or someone unknown: the app stays the actor
            continue
        person = next(iter(found.values()))
        display = names.setdefault(person.id, person.display)
        summary = _via(row.summary, (row.actor or "").removesuffix(BOT_MARK).strip())
        tags = frozenset(t for t in row.tags if not t.startswith(WHO)) | {WHO + person.id}
        out.append(
            new_event(
                row.time,
                row.kind,
                summary,
                row.sources,
                row.links,
                row.key,
                display,
                row.refs,
                tags,
                row.scope,
                row.reason,
                row.members,
                row.edited_at,
            )
        )
    return out


def _via(summary: str, app: str) -> str:
    """``summary`` saying the app ran the deploy: "... (started 13:59 via shipit)" when it says
    when the deploy started, else "... (via shipit)"; unchanged without an app's name."""
    if not app:
        return summary
    if _STARTED.search(summary):
        return f"{summary[:-1]} via {app})"
    return f"{summary} (via {app})"


def _credited(row: Event) -> list[str]:
    return sorted(tag[len(STARTED_BY) :] for tag in row.tags if tag.startswith(STARTED_BY))


class _Directory:
    """Exact lookups of a written name in the people directory."""

    def __init__(self, people: People, identities: Iterable[Identity]) -> None:
        self.people = people
        self.by_word: dict[str, list[Identity]] = {}
        for ident in identities:
            for word in {ident.name, ident.real_name, ident.login, ident.handle, ident.uid}:
                if word:
                    self.by_word.setdefault(word.casefold(), []).append(ident)
        self.by_display: dict[str, set[Person]] = {}
        for (_, name), person in people.known.items():  # aliases' ``github:<login>`` too
            for word in {name, person.display}:
                self.by_display.setdefault(word.casefold(), set()).add(person)

    def find(self, written: str) -> set[Person]:
        """The people ``written`` names exactly (``@`` dropped); two accounts of one tool
        found by it are two people, whatever the directory joined."""
        word = written.removeprefix("@").strip().casefold()
        idents = self.by_word.get(word, [])
        accounts: dict[str, set[str]] = {}
        for ident in idents:
            accounts.setdefault(ident.source, set()).add(ident.uid or ident.name)
        if any(len(found) > 1 for found in accounts.values()):
            return {Person(f"ambiguous:{word}", written), Person(f"ambiguous:{word}#2", written)}
        found = {self.people.known.get((i.source, i.name)) for i in idents}
        found |= self.by_display.get(word, set())
        if (alias := self.people.by_name.get(word)) is not None:
            found.add(alias)
        return {person for person in found if person is not None}
