"""What this incident is about, for deciding what else concerns it.

``Concern.of(events, incident, start, repos, is_chat, also)`` gathers, from the tool records of
the window (and the lead-up deploys shown, ``also``) and the config, never from a source's name:

- ``incident_refs``: ``pd:<id>``, ``pd#<number>``;
- ``alert_refs``: the incident's alerts: ``rule:<name>`` (state dropped) and ``alert_key:`` refs
  of the tool (non-chat) alert events in the window;
- ``change_refs``: ``sha:``, ``pr:`` and ``deploy:`` refs of the tool change and deploy events
  of the incident's repositories (any repository when none is configured);
- ``repos``: ``LeadupSettings.repos``, the incident's repositories (none
  configured: the repositories the change and deploy events came from);
- ``names``: the affected services' names (``name_forms``: ``Checkout API``, ``checkout-api``,
  ``checkout``), the repositories' names (``checkout`` for ``acme/checkout``) and the affected
  hosts (``hosts``: ``api.northwind.example`` in the incident's title or its alerts' words,
  "BlackboxProbeFailed: https://api.northwind.example probe failing"; not a tool's own host its
  links point to), matched as whole words; and the hyphenated names people in the incident
  channel wrote that hold an affected service's name as a part (``compounds``:
  ``checkout-pricing-v2``, the feature flag the responders turned off).

A bot post in a shared channel concerns the incident when it carries one of these refs, names a
repository's pull request, or names an affected service or repository (``about``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from reconstruct.model import Event, Incident, Kind

_CHANGE_PREFIXES = ("sha:", "pr:", "deploy:")

_HOST = re.compile(
    r"(?<![\w@.-])((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z])(?![\w-])"
)
"""A DNS name (``api.northwind.example``; lower case), not an address's domain (``a@b.com``)."""
_FILE_ENDINGS = frozenset("json yaml yml toml txt log py go js ts md csv html conf ini sh".split())
"""A last label that makes a dotted word a file name (``values.yaml``), no host."""


def hosts(texts: Iterable[str], tools: Iterable[str] = ()) -> set[str]:
    """The DNS names (two labels or more, ``api.northwind.example``) in ``texts``, lower case,
    but for file names (``values.yaml``) and ``tools`` (the hosts of the records' own links:
    ``grafana.acme.example``, ``acme.pagerduty.com``)."""
    skip = {t.lower() for t in tools}
    found: set[str] = set()
    for text in texts:
        for match in _HOST.finditer(text.lower()):
            name = match.group(1)
            if name.rpartition(".")[2] not in _FILE_ENDINGS and name not in skip:
                found.add(name)
    return found


_COMPOUND = re.compile(r"(?<![\w.-])([a-z0-9]+(?:[-_][a-z0-9]+)+)(?![\w-])")


def compounds(texts: Iterable[str], names: Iterable[str]) -> set[str]:
    """The hyphenated names people in the incident channel wrote that hold an affected
    service's name as a part (``checkout-pricing-v2``, a feature flag of checkout): a tool's
    post elsewhere naming one concerns the incident, though a name written inside a longer one
    is otherwise no mention of the service (another team's ``checkout-worker`` deploys)."""
    words = {n for n in names if n.isalnum()}
    if not words:
        return set()
    found: set[str] = set()
    for text in texts:
        if "-" not in text and "_" not in text:
            continue
        for match in _COMPOUND.finditer(text.lower()):
            name = match.group(1)
            if not words.isdisjoint(re.split(r"[-_]", name)):
                found.add(name)
    return found


GENERIC = frozenset(
    """api apis app apps service services svc server servers backend frontend web prod
    production staging primary cluster worker workers the and for""".split()
)
"""Words of a service's name that do not name it on their own (``Checkout API``: ``api``)."""


def name_forms(service: str) -> set[str]:
    """How a text may name a service: ``Checkout API`` -> ``checkout api``, ``checkout-api``,
    ``checkout_api``, and its distinctive words of 4+ letters (``checkout``)."""
    name = " ".join(service.lower().split())
    if not name:
        return set()
    words = re.findall(r"[a-z0-9]+", name)
    forms = {name, "-".join(words), "_".join(words)}
    forms.update(w for w in words if len(w) >= 4 and w not in GENERIC and not w.isdigit())
    return {f for f in forms if f}


def alert_ref(ref: str) -> str | None:
    """``rule:<name>`` for ``rule:<name>:<state>``, an ``alert_key:`` ref itself, else None."""
    if ref.startswith("rule:"):
        return ref.rpartition(":")[0]
    if ref.startswith("alert_key:"):
        return ref
    return None


def scope_place(scope: str) -> str:
    """``acme/checkout`` for ``github:acme/checkout``: the part of a scope after the source."""
    return scope.partition(":")[2].lower()


@dataclass(frozen=True, slots=True)
class Concern:
    incident_refs: frozenset[str]
    alert_refs: frozenset[str]
    change_refs: frozenset[str]
    repos: frozenset[str]
    names: tuple[str, ...]
    """Lower case, longest first."""
    _names: re.Pattern[str] | None

    @classmethod
    def of(
        cls,
        events: Iterable[Event],
        incident: Incident,
        start: datetime,
        repos: frozenset[str],
        is_chat: Callable[[Event], bool],
        also: frozenset[str] = frozenset(),
    ) -> Concern:
        """From the tool records (``is_chat(event)`` false) of the window, and those before it
        whose key is in ``also`` (the lead-up deploys shown)."""
        incident_refs = {f"pd:{incident.id.lower()}"}
        if incident.number is not None:
            incident_refs.add(f"pd#{incident.number}")
        alerts: set[str] = set()
        said: list[str] = [incident.title]
        """The incident's own words: its title, its alerts' summaries (for ``hosts``)."""
        linked: set[str] = set()
        changes: list[Event] = []
        seen: set[frozenset[str]] = set()
        """Ref sets already read (alert records repeat them)."""
        alert, change, deploy = Kind.ALERT, Kind.CHANGE, Kind.DEPLOY
        spoken: list[str] = []
        """What people wrote in the incident channel (for ``compounds``)."""
        for event in events:
            kind = event.kind
            tags = event.tags
            if "human" in tags and "incident-channel" in tags:
                spoken.append(event.summary)
            if kind is alert:
                if event.refs not in seen and event.time >= start and not is_chat(event):
                    seen.add(event.refs)
                    alerts.update(a for ref in event.refs if (a := alert_ref(ref)))
                    said.append(event.summary)
                    linked.update(urlsplit(link.url).hostname or "" for link in event.links)
            elif (kind is change or kind is deploy) and not is_chat(event):
                if event.time >= start or event.key in also:
                    changes.append(event)
        if not repos:  # none configured: the repositories the evidence came from
            repos = frozenset(p for e in changes if "/" in (p := scope_place(e.scope)))
        refs: set[str] = set()
        for event in changes:
            if scope_place(event.scope) in repos:
                refs.update(r for r in event.refs if r.startswith(_CHANGE_PREFIXES))
        names: set[str] = set()
        for service in incident.services:
            names.update(name_forms(service))
        names.update(hosts(said, linked))
        names.update(compounds(spoken, names))
        for repo in repos:
            names.add(repo.lower())
            names.add(repo.rpartition("/")[2].lower())
        ordered = tuple(sorted((n for n in names if len(n) >= 3), key=lambda n: (-len(n), n)))
        pattern = (
            re.compile(r"(?<![\w-])(" + "|".join(re.escape(n) for n in ordered) + r")(?![\w-])")
            if ordered
            else None
        )
        return cls(
            frozenset(incident_refs),
            frozenset(alerts),
            frozenset(refs),
            repos,
            ordered,
            pattern,
        )

    def named(self, text: str) -> str | None:
        """The affected service or repository the text names, or None."""
        if self._names is None:
            return None
        match = self._names.search(text.lower())
        return match.group(1) if match else None

    def about(self, event: Event) -> str | None:
        """What of this incident the event is about (for its reason), or None."""
        refs = event.refs
        if not self.incident_refs.isdisjoint(refs):
            return "the incident"
        for ref in sorted(refs):
            alert = alert_ref(ref)
            if alert is not None and alert in self.alert_refs:
                return f"this incident's alert {alert.partition(':')[2]}"
        for ref in sorted(refs):
            if ref in self.change_refs or (
                ref.startswith("pr:") and ref[3:].partition("#")[0] in self.repos
            ):
                return _ref_words(ref)
        name = self.named(event.summary)
        return name


def _ref_words(ref: str) -> str:
    prefix, _, value = ref.partition(":")
    if prefix == "sha":
        return f"commit {value}"
    if prefix == "pr":
        return f"PR #{value.partition('#')[2]}"
    return f"release {value}"
