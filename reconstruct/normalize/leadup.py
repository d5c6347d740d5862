"""The lead-up: which changes before ``window.start`` the timeline shows, and why.

``choose`` ranks the lead-up changes (kind ``change`` before the window, in the incident's
repositories) by their relevance to this incident and keeps a few (``LeadupSettings.changes``):

1. **Named in the evidence**: a change whose PR number (``#1187``, ``PR 1187``, ``pull/1187``,
   ``acme/checkout#1187``) or commit (7+ hex digits) appears in an event of the window, or whose
   ``pr:``/``sha:`` ref an event of the window carries, is always shown (beyond the cap). The
   events read are every collected record of the window that is about this incident: the rows
   kept, and the messages of the incident's own channel that are not shown (a plain "fyi
   <PR link>" is not a row, but it names the change); a record not shown from elsewhere (a
   busy ``#deploys``) names a change only by what says its repository too: a PR URL or
   ``owner/repo#N``.
2. **Words in common** with what the incident says about itself. The vocabulary is the word
   parts of the incident title (weight 1) and of the root-cause (``identify``) and ``mitigate``
   rows and the notes of the window (weight 2), without common words (``STOP_WORDS``: English
   function words and the words any change or chat uses, "line", "typo", "log", "test"...),
   numbers, words under four letters (but a three-letter acronym written in capitals: ``TTL``,
   ``DNS``), and the names of the affected services and repositories (every change there would
   match them). A change scores the weight of each vocabulary word its title or labels hold, but
   **one word alone is never enough**: the words count when two or more are shared, or with an
   identifier or a term.
   **Identifiers** in the same texts (``session.timeout.ms``, ``cache_ttl``, ``src/pool.py``,
   ``RateLimiter``, ``redis-cache``: dotted, snake-case, path, camel-case or hyphenated names,
   links left out, not the affected services' and repositories' own names) score
   ``IDENTIFIER_SCORE`` (3) each when the change's title or labels hold their word parts in
   order: one is enough. (PR numbers and commits are identifiers too: they name the change, 1.)
3. **``LeadupSettings.match`` terms** (``ttl``, ``pool``, ...) add 2. The default terms
   (``LeadupSettings.default_terms``: no list chosen for this installation) count only with a
   mention tied to the incident: an identifier or a vocabulary word of rule 2 (one is enough
   here), or an affected service named (``concern.name_forms``: ``checkout-api``, ``checkout``
   for "Checkout API"): "Add retry to checkout-api client" is a lead-up change of a checkout
   incident, "Add retry to the billing client" is not.
   Terms set in the config count alone.
4. **Dependency and config changes** (labels or title words such as ``dependencies``, ``bump``,
   ``upgrade``, ``config``) add 1 to a change that already scored: they rank higher.

5. **Paperwork is no candidate cause by words**: a change whose title says it is about docs, a
   runbook, a dashboard or an alert rule (``PAPERWORK_WORDS``: "Add runbook link to
   PostgresReplicaLagHigh alert", "Update README", "Tune the alert rule for disk usage"; a
   ``docs``/``documentation`` label), or whose changed files are all docs (``*.md``,
   ``docs/``), alert or recording rules and dashboards (tag ``PAPERWORK_FILES``, when the
   bundle holds the PR's files: ``paperwork_path``), scores nothing by rules 2 to 4: it
   changes what people read, not what runs. A change whose files are known and include code
   or config (tag ``CODE_FILES``) is judged by its words whatever its title says. Named in the
   evidence, it is shown like any other (rule 1), and a term set in the config still counts
   (rule 3: the installation asked for it).
6. **An alert rule's own name says nothing**: the name of an alert rule a change's title
   writes (one of the window's rules, ``rule:`` refs and ``alertname:`` tags, or a name
   next to "alert": "PostgresReplicaLagHigh alert") is left out of its words
   and identifiers, so "Add runbook link to PostgresReplicaLagHigh alert" shares neither
   "postgres" nor "replica" with a PostgresDiskUsageHigh incident whose notes name
   ``orders-pg-replica-1``: every change to the alerts of a system names it.

A change needs a score of at least 2 (or to be named). Ties go to the later change. Text and
terms are split into lower-case word parts (``ReduceCacheTTL`` and ``cache_ttl`` give ``reduce
cache ttl`` and ``cache ttl``); a term matches at the start of a word part and may end inside
one, so ``ttl`` matches "Reduce cache TTL" and ``limit`` matches "rate-limiter".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from reconstruct.config import LeadupSettings
from reconstruct.model import Event, Incident, Kind
from reconstruct.normalize.concern import name_forms, scope_place
from reconstruct.normalize.evolve import evolve

_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_NAMED_NUMBER = re.compile(r"(?:#|\bPR\s*#?\s*|/pulls?/)(\d{1,7})\b", re.IGNORECASE)
_QUALIFIED = re.compile(r"(?<![\w./-])([\w.-]+/[\w.-]+)#(\d{1,7})\b")
_HEX = re.compile(r"(?<![0-9a-zA-Z])([0-9a-f]{7,40})(?![0-9a-zA-Z])", re.IGNORECASE)
THRESHOLD = 2
TERM_SCORE = 2
IDENTIFIER_SCORE = 3
MIN_WORD = 4
"""Shorter vocabulary words are too common to relate a change (but a capitals acronym of 3)."""
_IDENTIFIER = re.compile(
    r"(?<![\w./-])(?:[A-Za-z][A-Za-z0-9]*(?:[._/-][A-Za-z0-9]+)+|[A-Za-z][a-z0-9]+[A-Z][A-Za-z0-9]*)"
)
"""A dotted, snake-case, path, hyphenated or camel-case name: ``session.timeout.ms``,
``cache_ttl``, ``src/pool.py``, ``redis-cache``, ``RateLimiter``."""
_LINK = re.compile(r"\S+://\S*")
DEPENDENCY_WORDS = frozenset(
    {
        "dependency",
        "dependencies",
        "deps",
        "dep",
        "bump",
        "bumps",
        "upgrade",
        "upgrades",
        "downgrade",
        "config",
        "configuration",
        "settings",
        "version",
    }
)
PAPERWORK_WORDS = frozenset(
    {
        "runbook",
        "runbooks",
        "playbook",
        "playbooks",
        "doc",
        "docs",
        "documentation",
        "readme",
        "changelog",
        "dashboard",
        "dashboards",
    }
)
"""Title words of a change that changes what people read, not what runs (module rule 5)."""
_PAPERWORK_PHRASE = re.compile(
    r"\b(?:alert(?:ing|s)?|recording) (?:rules?|thresholds?|annotations?|labels?|routes?"
    r"|routing|descriptions?|summar(?:y|ies))\b"
)
"""Word parts saying a change is to alert or recording rules (module rule 5)."""
PAPERWORK_LABELS = frozenset({"doc", "docs", "documentation"})
PAPERWORK_FILES = "files:paperwork"
"""Tag of a change whose changed files are all docs, alert rules and dashboards."""
CODE_FILES = "files:code"
"""Tag of a change whose changed files include one that is none of those."""
_DOC_SUFFIXES = (".md", ".markdown", ".mdx", ".rst", ".adoc", ".txt")
_DOC_DIRS = frozenset({"docs", "doc", "documentation", "runbooks", "runbook", "playbooks"})
_DOC_NAMES = ("readme", "changelog", "license", "codeowners", "contributing")
_RULE_DIRS = frozenset(
    {"alerts", "alerting", "rules", "alert-rules", "prometheus-rules", "dashboards", "grafana"}
)
_RULE_SUFFIXES = (".yml", ".yaml", ".json", ".rules", ".jsonnet", ".libsonnet")
_RULE_FILE = re.compile(r"(?:^|[._-])(?:alerts?|rules|alerting|dashboards?)(?:[._-]|$)")


def paperwork_path(path: str) -> bool:
    """Whether a changed file is docs (``*.md``, ``docs/...``, ``README``), an alert or
    recording rule file or a dashboard (``alerts/pg.yaml``, ``prometheus/rules/x.rules.yml``,
    ``dashboards/pg.json``, ``pg-alerts.yaml``): module rule 5. Code and config are not
    (``src/pool.py``, ``values.yaml``, ``src/alerts/notify.py``)."""
    lower = path.lower().strip("/")
    dirs, _, name = lower.rpartition("/")
    parts = set(dirs.split("/")) if dirs else set()
    if name.endswith(_DOC_SUFFIXES) or name.startswith(_DOC_NAMES) or parts & _DOC_DIRS:
        return True
    if not name.endswith(_RULE_SUFFIXES):
        return False
    return bool(parts & _RULE_DIRS) or bool(_RULE_FILE.search(name.rsplit(".", 1)[0]))


def paperwork(event: Event) -> bool:
    """Whether a change is docs, a runbook, a dashboard or an alert rule only (module rule 5):
    its files when known (tags ``PAPERWORK_FILES``, ``CODE_FILES``), else its title words and
    labels."""
    if PAPERWORK_FILES in event.tags or CODE_FILES in event.tags:
        return PAPERWORK_FILES in event.tags
    title, _, labels = event.summary.partition("(labels:")
    title = _change_title(title, event.kind)
    parts = word_parts(title)
    if PAPERWORK_WORDS.intersection(parts.split()) or _PAPERWORK_PHRASE.search(parts):
        return True
    said = {word_parts(label) for label in labels.rstrip(" )").split(",")}
    return bool(PAPERWORK_LABELS & said)


_CHANGE_TITLE = re.compile(r"\bPR #\d+(:| \()")


def _change_title(text: str, kind: Kind) -> str:
    """The PR title a change's or deploy's summary holds: ``Merged PR #2420: <title> (opened
    by ...)``, ``Deployed PR #2420 (<title>) to production: ...`` (its parentheses balanced);
    else a change's summary, and nothing of a deploy's (its repository is no title)."""
    match = _CHANGE_TITLE.search(text)
    if match is None:
        return text if kind is Kind.CHANGE else ""
    rest = text[match.end() :]
    if match.group(1) == ":":
        return rest.partition(" (opened by ")[0]
    depth = 1
    for i, char in enumerate(rest):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return rest[:i]
    return rest


_NAME_TOKEN = re.compile(r"[A-Za-z][\w.-]*[\w]")
_RULE_WORDS = frozenset({"alert", "alerts", "alerting"})
"""Words next to a name that make it an alert rule's ("firewall rule" names none)."""


def without_rule_names(text: str, rules: frozenset[str]) -> str:
    """``text`` without the alert rule names it writes (module rule 6): one of ``rules`` (lower
    case, spaces removed), or a camel-case or snake-case name next to "alert"."""
    tokens = list(_NAME_TOKEN.finditer(text))
    drop: list[tuple[int, int]] = []
    for i, match in enumerate(tokens):
        token = match.group(0)
        if token.lower() in rules:
            drop.append(match.span())
            continue
        if not re.search(r"[a-z][A-Z]|_", token):
            continue
        near = {t.group(0).lower() for t in tokens[max(i - 1, 0) : i + 2] if t is not match}
        if near & _RULE_WORDS:
            drop.append(match.span())
    for start, end in reversed(drop):
        text = f"{text[:start]} {text[end:]}"
    return text


def alert_rules(events: Iterable[Event]) -> frozenset[str]:
    """The alert rule names of ``events`` (``rule:<name>:<state>`` refs, ``alertname:<name>``
    tags), lower case, spaces removed."""
    names: set[str] = set()
    for event in events:
        for ref in event.refs:
            if ref.startswith("rule:"):
                names.add(ref[5:].rsplit(":", 1)[0].replace(" ", "").lower())
        for tag in event.tags:
            if tag.startswith("alertname:"):
                names.add(tag[10:].replace(" ", "").lower())
    names.discard("")
    return frozenset(names)


STOP_WORDS = frozenset(
    """
    the and for with from into onto that this these those was were are is be been being has have
    had not but all any can could should would will just than then there their them they its our
    you your yes very more most much many some such only also over under after before about again
    when while what which who whom why how where here out off per via due get got new old now
    one two three first last next still back down up incident incidents issue issues error errors
    problem problems fix fixed fixes fixing update updated updates add added adds remove removed
    change changes changed service services request requests returning return returned failing
    failed fail failure failures root cause caused causes mitigation mitigate mitigated mitigating
    rollback rolled rolling roll revert reverted reverting scale scaled scaling deploy deployed
    deploying deployment note notes merged merge alert alerts alerting firing resolved status
    prod production minutes minute hours hour seconds since going gone came come like look looks
    looking seen see sev declared declaring ack acknowledged page paged users user customers
    line lines typo typos log logs logging message messages test tests testing spec specs doc
    docs readme comment comments code refactor refactoring cleanup clean minor small bug bugs
    support handle handling use used using make makes allow allows value values default check
    checks name names rename file files lint format style improve better missing wrong correct
    instead case cases time times data start started stop work works working need needs thing
    things want know think trivial happy help sure yet done ready okay take took make made
    """.split()
)


def word_parts(text: str) -> str:
    return " ".join(part.lower() for part in _PART.findall(text))


@dataclass(frozen=True, slots=True)
class LeadupMatcher:
    terms: tuple[tuple[str, re.Pattern[str]], ...]

    def match(self, event: Event) -> str | None:
        """The first configured term the title matches, else the labels (the summary's
        ``(labels: ...)`` and the tags), or None."""
        title, _, labels = event.summary.partition("(labels:")
        for text in (title, " ".join((labels, *sorted(event.tags)))):
            parts = word_parts(text)
            for term, pattern in self.terms:
                if pattern.search(parts):
                    return term
        return None


def compile_leadup(terms: Iterable[str]) -> LeadupMatcher:
    return _compile(tuple(terms))


@lru_cache(maxsize=16)
def _compile(terms: tuple[str, ...]) -> LeadupMatcher:
    compiled = []
    for term in terms:
        parts = word_parts(term).split()
        if parts:
            pattern = re.compile(r"(?<![a-z0-9])" + " ".join(re.escape(p) for p in parts))
            compiled.append((term, pattern))
    return LeadupMatcher(tuple(compiled))


def _words(text: str, drop: frozenset[str]) -> set[str]:
    """The uncommon word parts of ``text``, lower-case (module rule 2)."""
    out = set()
    for part in _PART.findall(text):
        word = part.lower()
        if len(word) < MIN_WORD and not (len(word) == 3 and part.isupper()):
            continue
        if not word.isdigit() and word not in STOP_WORDS and word not in drop:
            out.add(word)
    return out


def identifiers(text: str, drop: frozenset[str]) -> dict[str, str]:
    """Word parts (``session timeout ms``) -> the identifier as written, of the identifiers in
    ``text`` (module rule 2); links, plain hyphenated words (``follow-up``, ``read-only``) and
    the names ``drop`` holds all of are none."""
    out: dict[str, str] = {}
    for match in _IDENTIFIER.finditer(_LINK.sub(" ", text)):
        token = match.group(0).rstrip("._/-")
        parts = word_parts(token).split()
        alpha = [p for p in parts if not p.isdigit()]
        if len(alpha) < 2 or all(p in drop for p in alpha):
            continue
        if not re.search(r"[._/]|[a-z][A-Z]", token) and any(
            len(p) < 3 or p in STOP_WORDS for p in alpha
        ):
            continue  # a hyphenated English word, not a name
        out.setdefault(" ".join(parts), token)
    return out


def _about(
    events: Iterable[Event], incident: Incident, start: datetime
) -> Iterable[tuple[str, int]]:
    """(text, weight) of what the incident says about itself: the title (1), the window's
    root-cause and mitigation rows and notes (2)."""
    yield incident.title, 1
    for event in events:
        if event.time < start:
            continue
        if event.kind in (Kind.IDENTIFY, Kind.MITIGATE) or "note" in event.tags:
            yield event.summary, 2


def _dropped(incident: Incident, repos: frozenset[str]) -> frozenset[str]:
    drop: set[str] = set()
    for name in (*incident.services, *repos):
        drop.update(word_parts(name).split())
    return frozenset(drop)


def vocabulary(
    events: Iterable[Event], incident: Incident, start: datetime, repos: frozenset[str]
) -> dict[str, int]:
    """Word -> weight: the incident title's words (1), the words of the window's root-cause and
    mitigation rows and notes (2); the services' and repositories' own names left out."""
    dropped = _dropped(incident, repos)
    words: dict[str, int] = {}
    for text, weight in _about(events, incident, start):
        for word in _words(text, dropped):
            words[word] = max(weight, words.get(word, 0))
    return words


def vocabulary_identifiers(
    events: Iterable[Event], incident: Incident, start: datetime, repos: frozenset[str]
) -> dict[str, str]:
    """Word parts -> identifier as first written, of the identifiers in the texts ``vocabulary``
    reads."""
    dropped = _dropped(incident, repos)
    found: dict[str, str] = {}
    for text, _ in _about(events, incident, start):
        for parts, token in identifiers(text, dropped).items():
            found.setdefault(parts, token)
    return found


@dataclass(frozen=True, slots=True)
class Named:
    numbers: Mapping[int, str]
    """PR number -> how it was named (``#1187``)."""
    shas: Mapping[str, str]
    """First 7 hex digits -> how it was named."""
    refs: frozenset[str]


def names_change(text: str) -> bool:
    """Whether a message's text names a PR (``#1187``, ``PR 1187``, a PR URL, ``owner/repo#N``):
    such a message is read for the lead-up even when it is not shown."""
    return ("#" in text or "pull" in text or "PR" in text) and bool(_NAMED_NUMBER.search(text))


def names_anything(text: str) -> bool:
    """Whether a record not shown with this text (and no refs but its text's) would name a change
    for the lead-up (``_named``: a PR number, ``owner/repo#N``, a commit SHA, a URL). A person's
    message in the incident channel that is not plain (a thread reply, an edited message) is
    read for the lead-up when it is not shown (``said``), so it is counted up front only when
    this is False (``collectors._chatter``)."""
    if "://" in text:
        return True
    if ("#" in text or "pull" in text or "PR" in text or "pr " in text) and _NAMED_NUMBER.search(
        text
    ):
        return True
    if _qualified(text):
        return True
    for match in _HEX.finditer(text):
        token = match.group(1)
        if any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
            return True
    return False


def _qualified(text: str) -> set[str]:
    """``pr:`` refs of the ``owner/repo#N`` forms in ``text``."""
    if "/" not in text or "#" not in text:
        return set()
    return {f"pr:{m.group(1).lower()}#{int(m.group(2))}" for m in _QUALIFIED.finditer(text)}


def named_in(
    events: Iterable[Event], start: datetime, incident: Incident, linked: Iterable[Event] = ()
) -> Named:
    """What ``events`` name, in every form; ``linked`` add only the names that say their
    repository (``pr:`` refs, ``owner/repo#N``)."""
    numbers: dict[int, str] = {}
    shas: dict[str, str] = {}
    refs: set[str] = set()
    for event in linked:
        if event.time >= start:
            refs.update(r for r in event.refs if r.startswith("pr:"))
            refs.update(_qualified(event.summary))
    for event in events:
        if event.time < start:
            continue
        refs.update(r for r in event.refs if r.startswith(("pr:", "sha:")))
        text = event.summary
        refs.update(_qualified(text))
        if "#" in text or "pull" in text or "PR" in text or "pr " in text:
            for match in _NAMED_NUMBER.finditer(text):
                number = int(match.group(1))
                if number != incident.number:
                    numbers.setdefault(number, match.group(0).strip())
        for match in _HEX.finditer(text):
            token = match.group(1).lower()
            if any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
                shas.setdefault(token[:7], token)
    return Named(numbers, shas, frozenset(refs))


def named_as(event: Event, named: Named) -> str | None:
    for ref in sorted(event.refs):
        if ref in named.refs:
            return "linked" if ref.startswith("pr:") else f"commit {ref[4:]} named"
        if ref.startswith("pr:"):
            number = int(ref.partition("#")[2] or 0)
            if number in named.numbers:
                return f'"{named.numbers[number]}" named'
        if ref.startswith("sha:") and ref[4:] in named.shas:
            return f"commit {ref[4:]} named"
    return None


def _service_forms(incident: Incident) -> list[tuple[str, str]]:
    """(word parts, form) of each way a text may name an affected service
    (``concern.name_forms``: ``checkout api``/``checkout-api``, ``checkout``), longest first."""
    forms = {(word_parts(form), form) for name in incident.services for form in name_forms(name)}
    return sorted(((p, f) for p, f in forms if p), key=lambda pf: (-len(pf[0]), pf))


@dataclass(frozen=True, slots=True)
class Relevance:
    """Rules 2 to 4 of the module docstring: how a change's title and labels relate to what
    the incident says about itself (``of``), and the score and words of one change (``judge``)."""

    vocab: Mapping[str, int]
    idents: Mapping[str, str]
    matcher: LeadupMatcher
    services: tuple[tuple[str, str], ...]
    default_terms: bool
    rules: frozenset[str] = frozenset()
    """The window's alert rule names (``alert_rules``): no relevance (module rule 6)."""

    @classmethod
    def of(
        cls,
        rows: Iterable[Event],
        incident: Incident,
        start: datetime,
        settings: LeadupSettings,
        places: frozenset[str] = frozenset(),
    ) -> Relevance:
        """From ``rows`` (the window's rows, from ``start``), the incident, and the settings;
        ``places``: more repositories whose names say nothing (the changes' own)."""
        rows = list(rows)
        repos = settings.repos | places
        return cls(
            vocabulary(rows, incident, start, repos),
            vocabulary_identifiers(rows, incident, start, repos),
            compile_leadup(settings.match),
            tuple(_service_forms(incident)),
            settings.default_terms,
            alert_rules(rows),
        )

    def names_service(self, event: Event) -> str | None:
        """The affected service's name form a change's title or labels say as words
        (``checkout`` in "Show the web banner for checkout outages"), else None."""
        title, _, labels = event.summary.partition("(labels:")
        spaced = f" {word_parts(f'{title} {labels}')} "
        return next((form for said_as, form in self.services if f" {said_as} " in spaced), None)

    def judge(self, event: Event) -> tuple[int, tuple[str, ...]] | None:
        """(score, why: ``matching "ttl"``, ``sharing "dns", "resolver" with the incident's
        title and notes``) of a change scoring at least ``THRESHOLD``, else None. A deploy is
        judged by its PR's title only (``_change_title``): the repository its row names is no
        word of it, so it relates as its PR does."""
        vocab, idents = self.vocab, self.idents
        if paperwork(event):  # docs, runbooks, alert rules: no candidate cause by words (rule 5)
            term = None if self.default_terms else self.matcher.match(event)
            return None if term is None else (TERM_SCORE, (f'matching "{term}"',))
        if event.kind is Kind.DEPLOY:  # its PR's title: its repository is no word of it
            written, sep, labels = _change_title(event.summary, Kind.DEPLOY), "", ""
        else:
            written, sep, labels = event.summary.partition("(labels:")
        title = without_rule_names(written, self.rules)
        text = f"{title} {labels} {' '.join(sorted(event.tags))}"
        spaced = f" {word_parts(text)} "
        held = sorted(token for parts, token in idents.items() if f" {parts} " in spaced)
        shared = sorted(w for w in _words(text, frozenset()) if w in vocab)
        said = title + sep + labels
        stripped = event if said == event.summary else evolve(event, summary=said)
        term = self.matcher.match(stripped)
        service = next((form for said_as, form in self.services if f" {said_as} " in spaced), None)
        if self.default_terms and not (held or shared or service):
            term = None  # a default term alone says nothing about this incident
        score = IDENTIFIER_SCORE * len(held)
        if len(shared) >= 2 or (shared and (held or term is not None)):
            score += sum(vocab[w] for w in shared)  # one word alone is never enough
        else:
            shared = []
        inside = {p for token in held for p in word_parts(token).split()}
        shared = [*held, *(w for w in shared if w not in inside)]
        if term is not None:
            score += TERM_SCORE
        if score and DEPENDENCY_WORDS.intersection(word_parts(text).split()):
            score += 1
        if score < THRESHOLD:
            return None
        parts = []
        if term is not None:
            parts.append(f'matching "{term}"')
            if self.default_terms and service is not None and not shared:
                parts[-1] += f' and naming the affected service "{service}"'
        if shared:
            words = ", ".join(f'"{w}"' for w in shared[:4])
            parts.append(f"sharing {words} with the incident's title and notes")
        return score, tuple(parts)


WORDS_ONLY = "tied-by-words"
"""Tag of a row shown for its words alone (rules 2 to 4 here; ``during``'s rule 4): no
responder named it, nothing undid it, no deploy of it is tied otherwise. It may be relevant;
the lede never names it as the change that preceded the incident (``render.metrics``)."""

_NAMED_REASON = "leadup change "
_IN_EVIDENCE = " in the evidence"


def choose(
    rows: list[Event],
    early: list[Event],
    incident: Incident,
    start: datetime,
    settings: LeadupSettings,
    said: Iterable[Event] = (),
    linked: Iterable[Event] = (),
    worded: set[str] | None = None,
) -> dict[str, str]:
    """Key -> reason of the lead-up changes (among ``early``, the events before ``start``) to
    show, judged against ``rows``, the window's rows; ``said``: records of the window not shown
    but about this incident (every name they hold counts), ``linked``: other records not shown
    (only a name with its repository counts); ``settings``: the incident's repositories, the
    terms and how many to show. ``worded``, when given: filled with the keys of those shown
    for their words alone (rules 2 to 4, not named: ``WORDS_ONLY``)."""
    repos = settings.repos
    changes = [
        e
        for e in early
        if e.kind is Kind.CHANGE
        and e.time < start
        and (not repos or not scope_place(e.scope) or scope_place(e.scope) in repos)
    ]
    if not changes:
        return {}
    places = frozenset(p for e in changes if "/" in (p := scope_place(e.scope)))
    relevance = Relevance.of(rows, incident, start, settings, places)
    named = named_in([*rows, *said], start, incident, linked)
    chosen: dict[str, str] = {}
    scored: list[tuple[int, datetime, str, str]] = []
    for event in changes:
        how = named_as(event, named)
        if how is not None:
            chosen[event.key] = f"leadup change {how} in the evidence"
            continue
        if event.reason.startswith(_NAMED_REASON) and event.reason.endswith(_IN_EVIDENCE):
            # a row of a timeline normalized again: the record that named it may be no row
            chosen[event.key] = event.reason
            continue
        found = relevance.judge(event)
        if found is not None:
            score, parts = found
            reason = "; ".join(f"leadup change {part}" for part in parts)
            scored.append((score, event.time, event.key, reason))
    scored.sort(key=lambda s: (-s[0], -s[1].timestamp(), s[2]))
    for _, _, key, reason in scored[: settings.changes]:
        chosen[key] = reason
        if worded is not None:
            worded.add(key)
    return chosen
