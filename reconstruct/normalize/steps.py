"""One step, one row: records of one step that ``merge`` (same kind, a shared ref) cannot join.

Runs on the kept rows after ``people.resolve`` (which gives each its ``who:`` / ``whom:`` ids),
within ``[collapse] step_window`` (default 1 minute):

1. **A page over several channels.** Pages (kind ``page``) for the same person by different
   methods (``via:`` tags: push, phone, SMS, email) within ``step_window`` of the step's first
   page -> one row, "Paged Priya Raman by push and phone". A second page by a method already in
   the step at the same second (PagerDuty logs one push per device, each at the round's time)
   is part of the same step, never a row of its own; a later page by a used method is a repeat
   (the next round) and starts the next row (``collapse`` may fold it into a series). A page
   that failed (tag ``failed:<method>``, no ``via:``) joins the step the same way and is worded
   as failed: "Paged Priya Raman by push and email; phone page failed".
2. **An escalation and the page it caused.** An escalation (kind ``escalate``) for a person and
   that person's pages at most ``step_window`` later (every one: a repeat within the minute is
   the same step) -> one ``escalate`` row, "Escalated to Kim Nguyen by Priya Raman; paged by
   push". ``collapse`` counts it as the person's first page, so their series starts after it.
3. **One person's words in two tools.** Two records of the same person (the same ``who:`` id, so
   joined by email or alias, never by a look-alike name) from different tools, with the same
   words (at least ``[collapse] same_words`` of the shorter text's words, and at least three;
   compared with that person's next ``NEIGHBOURS`` records) and no identifier of their own
   (``identifiers``: a service, version, host or number; one text may name more of them than
   the other, never a different one: "rolling back payments-api" and "Rolling back ledger-api"
   are two actions) -> one row with the most specific
   kind (a mitigation over a dashboard annotation, a rollback annotation over a message) and
   its text. A step may hold one record per tool (a dashboard annotation, a message and an
   incident note of one action are one row): a record joins a step when it has the same words
   as one of the step's records at most ``step_window`` from it, no tool of the step is its
   own, and every record's identifiers agree with every other's (pairs are taken closest
   first). A record a person wrote (tag ``written``: their dashboard annotation) joins
   whatever kind its tags gave it; changes, deploys, alerts, pages and bot posts a tool wrote
   never join here: a person's message never merges with a PR or a deployment record (but as
   the start words of rule 6).
   **The same step, minutes apart**: two such records of the same person from different tools
   also join when they record the same step (``step_of``, ``same_step``: the same step kind,
   ``_FAMILIES``; the same phase, ``under_way``; objects, ``names``, in common and none
   different) within ``[collapse] step_merge_window`` (default 20 minutes), each at the past
   time its words state for the step ("failover completed at 10:42 UTC" posted at 10:58,
   ``clock.step_utc``) or its own. Both kinds of pair are joined in one clustering (closest
   first, one record per tool); a row a same-step pair joined reads as its clearest record
   (``_clearest``: the most specific kind, then said done with its object, then naming most
   objects, then the earliest), at its earliest record's time, a report at the time it states
   (so the row of a note at 10:44 and a report stating 10:42 is at 10:42, and time to mitigate
   reads 10:42 whichever record's words it shows). A step's start and its end stay two rows
   here (``startdone`` joins them after).
   **A step said with no object** ("flag off" in Slack beside the annotation "flag off:
   checkout-pricing-v2 (LaunchDarkly, Production)": ``said_step``) joins its author's records of
   the one step of that kind and phase naming its object within ``step_merge_window`` of it
   (``_bare_pairs``); when their records there name two different steps of that kind (two
   flags), which one it means is unknown and it stays a row.
4. **A bot's post of an event a tool recorded.** A bot's post outside the incident channel (a
   database's failover bot in ``#alerts-payments``) within ``step_window`` of a record written
   in a tool (tag ``written`` or ``note``: a service account's annotation "Patroni failover:
   payments-db primary pg-payments-01 -> pg-payments-02"), with the same words and the same
   ``names`` (identifiers naming something; the post and the record state numbers, durations
   and times differently: "lag 0 B", "for 41s"), unless the post reads as a tool's own record
   (``TOOL_KINDS``: an alert's notification, a deploy) -> the post is the row's link; the row keeps
   its kind, text, actor and tags. ``copies`` holds such a post back from selection's count
   ("bot posts about other services"); one that joins nothing is counted there as before.
5. **A tool's audit post of a person's step.** A tool's post in chat that opens with a
   person's name and a verb ("Samantha Ortiz updated the flag checkout-pricing-v2 in
   Production: percentage rollout changed from 100% to 25%", LaunchDarkly's Slack app) joins
   that person's row of a step whose objects it names (``_audit_posts``): one row, the person's
   kind, actor and phase, read as the tool's words when the person's say the step under way. A
   PR, commit or incident post (a ref ``merge`` joins by) never joins a person's row.
6. **A person's words that a revert's deploy is under way.** "reverting #512 now", "deploy of
   the revert started", in the deploy's span and naming it, join the row of that revert or
   rollback deploy, which keeps its time (``_deploy_start_words``).

Every link, ref, tag and source of the joined records is kept; a row of one person's step
(rules 3 to 6) holds every record it joined as its ``members`` (JSON lists each with its own
text, time and links).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from reconstruct.config import CollapseConfig
from reconstruct.model import Event, Kind
from reconstruct.normalize.authority import chat_only, is_chat
from reconstruct.normalize.classify import SAID_DONE, UNDER_WAY
from reconstruct.normalize.clock import in_said_minute, step_utc
from reconstruct.normalize.deploystart import started_at
from reconstruct.normalize.echoes import NOTE
from reconstruct.normalize.evolve import evolve, new_event
from reconstruct.normalize.instances import WRITTEN
from reconstruct.normalize.order import ordered
from reconstruct.normalize.people import person_of, targets_of
from reconstruct.normalize.refs import MERGE_PREFIXES

VIA = "via:"
FAILED = "failed:"
"""Tag of a page that did not reach the person (``failed:<method>``); it has no ``via:`` tag."""
NOTICE = "notice:"
"""Tag of one notification a page row holds: ``notice:<via|failed>:<method>:<record id>``, with
``:<why>`` after a failed one's id when its status says why (``FAILURE``)."""
FAILURE = "failure:"
"""Why a failed page did not reach the person, as a row says it (``failure:phone:no answer``,
``failure:phone:line busy``); absent for a plain failure."""
TOOL_KINDS = frozenset({Kind.CHANGE, Kind.DEPLOY, Kind.ALERT, Kind.PAGE})
"""Kinds of a tool's own records (a PR, a deployment, an alert, a page): they join by their
refs (``merge``), never by words (rules 3 and 4), unless a person wrote them (``written``)."""
_SPECIFIC = {Kind.UPDATE: 1, Kind.ANNOTATION: 0, Kind.MESSAGE: 0}
"""How much a kind says (a milestone kind, absent here, says most): the joined row keeps the
record whose kind says most, the earlier on a tie."""
_WORD = re.compile(r"\w+")
_STOP = frozenset(
    "a an and are as at be by for from in is it of on or so the this to was we with tags".split()
)
_WRITTEN = frozenset({WRITTEN, NOTE})
ONE_STEP = "step:joined"
"""Tag of a row that joined one step's records (rules 3 to 6): its ``members`` are those
records, for the formats that list them (JSON, HTML), while the row itself, at its own time and
with its kind, is what the figures and the gap notes count (``series_members``)."""
MIN_WORDS = 3
NEIGHBOURS = 16
"""Per record: how many of the same person's next records are compared (a bound on the work)."""


def merge_steps(
    events: list[Event],
    config: CollapseConfig,
    written: Mapping[str, frozenset[str]] | None = None,
) -> tuple[list[Event], int]:
    """The rows with each step's records joined, and how many records were folded away.
    ``written``: each person id -> how a tool's text writes them (``people.written_names``),
    for rule 5; without it, rule 5 reads each person's display name off their rows."""
    window = config.step_window
    rows = ordered(events)
    before = len(rows)
    rows = _channels(rows, window)
    rows = _escalations(rows, window)
    rows = _same_words(rows, window, config.same_words, config.step_merge_window)
    rows = _bot_reports(rows, window, config.same_words)
    rows = _audit_posts(rows, window, config.step_merge_window, written)
    rows = _deploy_start_words(rows, window)
    return rows, before - len(rows)


def _via(event: Event) -> list[str]:
    return sorted(tag[len(VIA) :] for tag in event.tags if tag.startswith(VIA))


def _methods(methods: list[str]) -> str:
    unique = list(dict.fromkeys(methods))
    if len(unique) <= 1:
        return "".join(unique)
    return ", ".join(unique[:-1]) + " and " + unique[-1]


def failure_of(events: list[Event], method: str) -> str:
    """Why the failed ``method`` pages among ``events`` failed: ``no answer`` when every one
    says so; when they say different things, each reason with its count of notifications,
    most first: ``2 no answer, 1 line busy`` (a plain failure, PagerDuty's ``failed``, counts as
    ``1 other``); "" when none says why."""
    counts = failure_counts(events, method)
    if len(counts) == 1:
        return next(iter(counts))
    ranked = sorted(counts.items(), key=lambda wn: (-wn[1], wn[0] == "", wn[0]))
    return ", ".join(f"{n} {why or 'other'}" for why, n in ranked)


def failure_counts(events: list[Event], method: str) -> Counter[str]:
    """Failed ``method`` notifications among ``events`` per reason ("" for a plain failure):
    each ``NOTICE`` tag of a failed one says its own (``notice:failed:phone:<id>:no answer``);
    a row without such tags counts one for each ``FAILURE`` tag of the method (one plain
    failure when it has none)."""
    notice = f"{NOTICE}{FAILED}{method}:"
    prefix = f"{FAILURE}{method}:"
    counts: Counter[str] = Counter()
    seen: set[str] = set()
    for event in events:
        if f"{FAILED}{method}" not in event.tags:
            continue
        own = [t for t in event.tags if t.startswith(notice)]
        for tag in own:
            if tag not in seen:
                seen.add(tag)
                counts[tag[len(notice) :].partition(":")[2]] += 1
        if not own:
            whys = [t[len(prefix) :] for t in event.tags if t.startswith(prefix)]
            counts.update(whys or [""])
    return counts


def failed_words(failed: list[str], events: list[Event]) -> str:
    """``phone page failed (no answer)``; ``SMS and phone pages failed``; methods that failed
    for different reasons each said apart: ``SMS page failed, phone page failed (no answer)``."""
    by_why: dict[str, list[str]] = {}
    for method in dict.fromkeys(failed):
        by_why.setdefault(failure_of(events, method), []).append(method)

    def many(methods: list[str]) -> bool:  # two phone numbers failed: pages
        return len(methods) > 1 or sum(failure_counts(events, methods[0]).values()) > 1

    return ", ".join(
        f"{_methods(methods)} page{'s' * many(methods)} failed" + (f" ({why})" if why else "")
        for why, methods in by_why.items()
    )


def _channels(rows: list[Event], window: timedelta) -> list[Event]:
    open_steps: dict[frozenset[str], list[Event]] = {}
    groups: list[list[Event]] = []
    for event in rows:
        if event.kind is not Kind.PAGE or not (whom := targets_of(event)):
            groups.append([event])
            continue
        step = open_steps.get(whom)
        if step is not None and event.time - step[0].time <= window and _same_round(step, event):
            step.append(event)  # a new channel, a second device or a failed attempt: one step
            continue
        step = [event]
        open_steps[whom] = step
        groups.append(step)
    out = []
    for group in groups:
        if len(group) == 1:
            out.append(group[0])
            continue
        methods = [m for e in group for m in _via(e)]
        first = next((e for e in group if _via(e)), group[0])
        said = _via(first)
        summary = first.summary
        if said and summary.endswith(f"by {said[0]}"):
            summary = summary[: -len(said[0])] + _methods(methods)
        elif said:
            rest = [m for m in dict.fromkeys(methods) if m not in said]
            summary += f" (also by {_methods(rest)})" if rest else ""
        failed = [m for e in group for m in _failed(e) if m not in methods]
        if said and failed:
            summary += f"; {failed_words(failed, group)}"
        elif failed and (tried := _failed(first)) and f"by {tried[0]} failed" in summary:
            summary = summary.replace(f"by {tried[0]} failed", f"by {_methods(failed)} failed", 1)
            whys = sorted(
                {t.rpartition(":")[2] for e in group for t in e.tags if t.startswith(FAILURE)}
            )
            for said_why in whys:  # the first page's why, said again below if every one shares it
                summary = summary.replace(f" ({said_why})", "")
            why = {failure_of(group, m) for m in failed}
            summary += f" ({why.pop()})" if len(why) == 1 and "" not in why else ""
        out.append(_joined(group, first, summary, first.reason))
    return out


def _same_round(step: list[Event], page: Event) -> bool:
    """The page is of the step's round: by a method the step has not used yet (delivered or
    failed), or by one it has at the very same second (PagerDuty logs
    one push per device, each at the time of the round); a later page by a used method is a
    repeat, the next round."""
    used = {m: e.time for e in step for m in (*_via(e), *_failed(e))}
    return all(m not in used or used[m] == page.time for m in (*_via(page), *_failed(page)))


def _failed(event: Event) -> list[str]:
    return sorted(tag[len(FAILED) :] for tag in event.tags if tag.startswith(FAILED))


def _escalations(rows: list[Event], window: timedelta) -> list[Event]:
    taken: set[int] = set()
    joined: dict[int, Event] = {}
    for index, event in enumerate(rows):
        if event.kind is not Kind.ESCALATE or not (whom := targets_of(event)):
            continue
        pages: list[Event] = []
        for later in range(index + 1, len(rows)):
            page = rows[later]
            if page.time - event.time > window:
                break
            if later in taken or page.kind is not Kind.PAGE or not targets_of(page) <= whom:
                continue
            taken.add(later)  # every page of theirs within the window: the escalation's
            pages.append(page)
        if pages:
            # in time order: pages are; one page row's methods as its text says them ("by
            # push, phone and email", joined in time order), not its tags' (sorted) order
            via = [m for p in pages for m in sorted(_via(p), key=lambda m: p.summary.rfind(m))]
            methods = _methods(via)
            summary = f"{event.summary}; paged" + (f" by {methods}" if methods else "")
            if len(via) > len(set(via)):  # a method twice: say how many notifications
                summary += f" ({len(via)} notifications)"
            if failed := [m for page in pages for m in _failed(page) if m not in via]:
                summary += f"; {failed_words(sorted(failed), pages)}"
            joined[index] = _joined([event, *pages], event, summary, event.reason)
    return [joined.get(i, e) for i, e in enumerate(rows) if i not in taken]


def words(text: str) -> frozenset[str]:
    """The words of a text that say something (lower case, without a few small words)."""
    return frozenset(w for w in _WORD.findall(text.casefold()) if w not in _STOP)


_TOKEN = re.compile(r"\S+")
_EDGE = "()[]{}<>\"'`,;:!?*_~.…“”‘’"
_IDENTIFIER = re.compile(r"\w[-./]\w|\d")


def identifiers(text: str) -> frozenset[str]:
    """The text's identifiers, lower case: its tokens (split at white space, the punctuation
    around them stripped) holding a digit or a ``-``, ``.`` or ``/`` between letters or digits:
    a service (``payments-api``), a version (``v2.14.3``), a host (``db-3``, ``api.acme.io``), a
    path or URL, a number. Case, punctuation around words and every other word are no
    identifier."""
    found = set()
    for token in _TOKEN.findall(text.casefold()):
        token = token.strip(_EDGE)
        if _IDENTIFIER.search(token):
            found.add(token)
    return frozenset(found)


_NAME = re.compile(r"[^\W\d_]")


def names(found: frozenset[str]) -> frozenset[str]:
    """The ``identifiers`` that name something (a letter and a ``-``, ``.`` or ``/`` between
    letters or digits: ``payments-db``, ``pg-payments-02``, ``v2.14.3``), not a bare number, a
    duration or a time (``0``, ``41s``, ``08:11:01``), which a tool's post and its record of
    the same event state differently."""
    return frozenset(i for i in found if _NAME.search(i) and re.search(r"\w[-./]\w", i))


_NUMBERED = re.compile(
    r"\b(rule|job|flag|check|policy|monitor|node|shard|partition|replica|pool|queue|worker|"
    r"broker|zone|region|cluster|pod|instance|vm|host|server|ticket|step|stage|test)"
    r"\s+(?:(?:id|no\.?|number)\s+)?#?(\d+)\b",
    re.IGNORECASE,
)
"""A thing a console or a tool names by its number: "rule 1002", "WAF rule 1002", "shard 7",
"node #3"."""


def numbered(text: str) -> frozenset[str]:
    """The things ``text`` names by a noun and its number, lower case (``rule 1002``): an object
    of a step as a name is ("disabled WAF rule 1002" and "rule 1002 disabled" act on one thing),
    which ``names`` leaves out, a bare number being no name."""
    if not any(ch.isdigit() for ch in text):
        return frozenset()
    return frozenset(f"{m.group(1).lower()} {m.group(2)}" for m in _NUMBERED.finditer(text))


_SPAN = re.compile(r"(?P<head>.*?)(?P<first>\d+)\.\.(?P<last>\d+)$")


_RESOURCE_KINDS = frozenset(
    {"deploy", "deployment", "deployments", "sts", "statefulset", "ds", "daemonset", "rs",
     "replicaset", "pod", "po", "svc", "service", "cronjob", "cj", "job", "hpa", "ing",
     "ingress", "cm", "configmap", "node", "no"}
)  # fmt: skip
"""kubectl's resource kinds and short names (``kubectl api-resources``), as in "deploy/x"."""


def spans(found: frozenset[str]) -> frozenset[str]:
    """``names`` with a range written as a name and its last number (``logs-2026.11.20..24``)
    as the two names it spans (``logs-2026.11.20``, ``logs-2026.11.24``): the same objects as
    "logs-2026.11.20 .. logs-2026.11.24" or "logs-2026.11.20 to logs-2026.11.24" name. A
    Kubernetes resource written kind/name (``deploy/ledger-consumer``, kubectl's form) is its
    name, as "restarting the ledger-consumer deployment" names it."""
    out = set()
    for name in found:
        kind, slash, bare = name.partition("/")
        if slash and kind in _RESOURCE_KINDS and bare and "/" not in bare:
            name = bare  # kubectl's "deploy/ledger-consumer" is the "ledger-consumer" deployment
        if ".." in name and (span := _SPAN.match(name)) is not None:
            head, first, last = span.group("head", "first", "last")
            if len(last) <= len(first):
                out.add(f"{head}{first}")
                out.add(f"{head}{first[: len(first) - len(last)]}{last}")
                continue
        out.add(name)
    return frozenset(out)


def same_words(a: str, b: str, share: float) -> bool:
    """At least ``share`` of the shorter text's words (and ``MIN_WORDS``) are in the other, and
    their identifiers agree: one text's are all in the other's (it may name more, never a
    different service, version or host)."""
    wa, wb = words(a), words(b)
    return share_words(wa, wb, share) and agree(identifiers(a), identifiers(b))


def share_words(wa: frozenset[str], wb: frozenset[str], share: float) -> bool:
    """``same_words``' word test on the texts' ``words``."""
    shorter = min(len(wa), len(wb))
    return shorter >= MIN_WORDS and len(wa & wb) >= max(MIN_WORDS, share * shorter)


def agree(ia: frozenset[str], ib: frozenset[str]) -> bool:
    """``same_words``' identifier test: one text's ``identifiers`` are all in the other's."""
    return ia <= ib or ib <= ia


def _same_words(
    rows: list[Event], window: timedelta, share: float, reach: timedelta
) -> list[Event]:
    """Rule 3: one person's records in two or three tools, joined when they have the same words
    within ``window`` (``step_window``) or record the same step within ``reach``
    (``step_merge_window``, ``step_of``)."""
    by_person: dict[str, list[int]] = defaultdict(list)
    for index, event in enumerate(rows):
        if len(event.sources) != 1 or "bot" in event.tags or SAID_DONE in event.tags:
            continue  # a bare "done": ``saiddone`` joins it to its step
        if event.kind in TOOL_KINDS and WRITTEN not in event.tags:
            continue
        if who := person_of(event):
            by_person[who].append(index)
    pairs: list[tuple[timedelta, int, int, bool]] = []
    steps: dict[int, Step] = {}
    for indices in by_person.values():
        for n, i in enumerate(indices):
            for j in indices[n + 1 : n + 1 + NEIGHBOURS]:
                gap = rows[j].time - rows[i].time
                if gap > window:
                    break
                if rows[i].sources != rows[j].sources and same_words(
                    rows[i].summary, rows[j].summary, share
                ):
                    pairs.append((gap, i, j, False))
        pairs += _same_step_pairs(rows, indices, reach, steps)
    clusters = _clusters(rows, sorted(pairs), steps)
    joined: dict[int, Event] = {}
    taken: set[int] = set()
    for members, by_step in clusters:
        taken.update(members)
        records = [rows[i] for i in members]  # in time order
        when = None
        if by_step:
            primary = rows[_clearest(rows, members, steps)]
            when = _to_the_second(
                min(steps[i].at if i in steps else rows[i].time for i in members), records
            )
        else:
            primary = max(records, key=lambda e: _SPECIFIC.get(e.kind, 2))  # earliest on a tie
        ordered_records = [primary, *(r for r in records if r is not primary)]
        reason = "; ".join(r for r in dict.fromkeys(e.reason for e in ordered_records) if r)
        joined[members[0]] = _joined(records, primary, primary.summary, reason, when, kept=True)
    return [
        joined[i] if i in joined else e for i, e in enumerate(rows) if i not in taken or i in joined
    ]


_FAMILIES: tuple[tuple[str, str], ...] = (
    (
        "failover",
        r"fail(?:ed|ing|s)?[\s-]?over|switch(?:ed|ing|es)?[\s-]?over|promot(?:e|ed|ing|ion)"
        r"|(?:leader|primary|master)(?:ship)?\s+(?:has\s+)?(?:moved|switched|changed|passed)",
    ),
    (
        "rollback",
        r"roll(?:ed|ing|s)?[\s_-]?back|dial(?:l?ed|l?ing)(?=\s+(?:[\w./%-]+\s+){0,3}?(?:back|down)\b)"
        r"|roll(?:ed|ing)(?=\s+(?:[\w./-]+\s+){1,3}?back\b)",
    ),
    ("revert", r"revert(?:ed|ing|s)?"),
    ("restart", r"restart(?:ed|ing|s)?|bounc(?:e|ed|ing)|recycl(?:e|ed|ing)"),
    ("scale", r"scal(?:e|ed|ing)"),
    ("drain", r"drain(?:ed|ing)?|(?:un)?cordon(?:ed|ing)?"),
    ("flush", r"flush(?:ed|ing)?|purg(?:e|ed|ing)|evict(?:ed|ing)?|clear(?:ed|ing)"),
    ("pause", r"paus(?:e|ed|ing)|suspend(?:ed|ing)?|halt(?:ed|ing)?"),
    (
        "disable",
        r"disabl(?:e|ed|ing)|(?:turn(?:ed|ing)?|switch(?:ed|ing)?|flipp(?:ed|ing)) off"
        r"|(?:turn|switch|flipp)(?:ed|ing)(?=\s+(?:[\w./-]+\s+){1,3}?off\b)|kill(?:ed|ing)?"
        r"|flags?\s+(?:(?:is\s+)?now\s+)?off",
    ),
    ("block", r"block(?:ed|ing)?|ban(?:ned|ning)?|rate[\s-]?limit(?:ed|ing)?"),
    (
        "raise",
        r"rais(?:e|ed|ing)|increas(?:e|ed|ing)|bump(?:ed|ing)?|expand(?:ed|ing)?"
        r"|resiz(?:e|ed|ing)",
    ),
    ("stop", r"stopp(?:ed|ing)|cancel(?:l?ed|l?ing)?|abort(?:ed|ing)?|froze|freez(?:e|ing)"),
    (
        "unblock",
        r"lift(?:ed|ing)?|unset(?:ting)?|reset(?:ting)?|unblock(?:ed|ing)?"
        r"|remov(?:e|ed|ing)(?=\s+(?:(?:the|all)\s+)?(?:[\w./:-]+\s+){0,3}?(?:blocks?|read[\s_-]?only"
        r"|watermarks?|settings?|limits?|rate[\s-]?limits?|quotas?|bans?)\b"
        r"|\s+(?:(?:the|all)\s+)?[a-z][a-z-]*(?:[._][a-z-]+)+\b)",
    ),
    (
        "delete",
        r"delet(?:e|ed|ing)|dropp(?:ed|ing)|drop|truncat(?:e|ed|ing)|remov(?:e|ed|ing)"
        r"|clean(?:ed|ing)?[\s-]?up|expir(?:e|ed|ing)|force[\s-]?merg(?:e|ed|ing)"
        r"|shr(?:ink|inking|ank|unk)",
    ),
    (
        "fallback",
        r"enabl(?:e|ed|ing)|activat(?:e|ed|ing)|engag(?:e|ed|ing)|(?:turn|switch|flipp)(?:ed|ing)"
        r"\s+on|switch(?:ed|ing)(?!\s+(?:back|over|off|on)\b)(?=\s+(?:[\w./'-]+\s+){0,3}?to\b)"
        r"|(?:re-?)?rout(?:e|ed|ing)|redirect(?:ed|ing)|divert(?:ed|ing)|shift(?:ed|ing)",
    ),
)
"""The step kinds a mitigation names (``[classify] mitigate`` reads the same verbs), each as one
alternation of its verb's forms and nouns ("failed over", "failover", "switchover"; a replica
promoted or the leader moved is a failover, a flag dialled or rolled back to a share a rollback,
a flag turned or switched off, or "flag off", a ``disable``, ``suspend: true`` a pause; a block,
limit or setting lifted, unset, reset or removed an ``unblock``, never a ``block``; data deleted,
dropped, truncated, removed, cleaned up, expired, force-merged or shrunk a ``delete``, data purged
a ``flush``; a fallback turned on, traffic or a provider switched to another path a
``fallback``: "Enabled flag payments-fallback-backuppay" and "Switched payment provider to
BackupPay via flag payments-fallback-backuppay")."""
_FAMILY = re.compile(
    "|".join(rf"\b(?P<{name}>{forms})\b" for name, forms in _FAMILIES), re.IGNORECASE
)
_WRITTEN_STEPS = frozenset({Kind.ANNOTATION, Kind.DEPLOY})
"""Kinds of a record a person wrote in a tool that may record a step (with its words)."""
_PAST = re.compile(r"ed\b|\bfroze\b", re.IGNORECASE)
"""A step verb's past form ("failed over", "rolled back", "restarted")."""


@dataclass(frozen=True, slots=True)
class Step:
    """What a person's record of a mitigation says was done (``step_of``)."""

    family: str
    """The step kind: the first step verb or noun of its text (``_FAMILIES``: ``failover``)."""
    objects: frozenset[str]
    """What it acted on: its text's ``names`` (``orders-pg``, ``redis-0``); a text naming none,
    the word after its step verb (``_object_word``: "rolled back checkout" -> ``word:checkout``,
    never the same as a name); empty only for a step said with no object ("flag off",
    ``said_step``), never from ``step_of``."""
    under_way: bool
    """``under_way``: said started or in progress, not done."""
    at: datetime
    """When it was done (UTC): the past time its words state (``clock.step_utc``: "failover
    completed at 10:42 UTC" posted at 10:58 is 10:42), else the record's time."""
    clear: tuple[bool, int]
    """How clearly it says the step: said done with its object ("Failed over orders-pg"), then
    how many objects it names."""


def step_of(event: Event) -> Step | None:
    """The step a person's mitigation record says was done or is under way, or None: a record
    of kind ``mitigate``, or a record a person wrote in a tool (tag ``written``: a dashboard
    annotation, "Failover orders-pg -> orders-pg-replica-1", untagged; a rollback annotation,
    kind ``deploy``), whose text names a step kind (``_FAMILIES``) and at least one object
    (``names``)."""
    found = said_step(event)
    return found if found is not None and found.objects else None


def said_step(event: Event) -> Step | None:
    """``step_of`` without its object: a record saying a step kind with no object ("flag off",
    "rolled it back") has a ``Step`` whose ``objects`` are empty (a bare step: rule 3 joins it
    with its author's one step of that kind that names its object, ``_bare_pairs``)."""
    found = _named_step(event)
    if found is None or found.lastgroup is None:
        return None
    text = event.summary
    if _recap(text, found.lastgroup):
        return None
    objects = _amountless(spans(names(identifiers(text)))) | numbered(text) or _object_word(
        text, found.end()
    )
    posted = event.time
    stated = step_utc(text, posted)
    at = stated if stated is not None and stated < posted else posted
    done = bool(_PAST.search(found.group(0)) or _DONE.search(text))
    return Step(found.lastgroup, objects, under_way(event), at, (done, len(objects)))


_SENTENCE = re.compile(r"[.!?;](?:\s+|$)|\n")


def _recap(text: str, family: str) -> bool:
    """Whether the text names steps of two kinds or more (``_FAMILIES``) in two sentences or
    more: a recap of several steps ("Deleted indices logs-2026.11.20..24 (1.2TB freed) and
    cleared read_only_allow_delete on all indices. ... Revert of #4412 deploying.", a note a
    quarter of an hour later), which is no record of one step: it joins none by step, its own
    row at its own time. One sentence naming two ("suspended the reconcile cronjob, deleting
    the running job too") is its first step's record."""
    if not any(m.lastgroup != family for m in _FAMILY.finditer(text)):
        return False  # one step kind: most texts
    said = [s for s in _SENTENCE.split(text) if _FAMILY.search(s) is not None]
    return len(said) > 1


_AMOUNT = re.compile(r"~?\d[\d.,]*(?:[kmgtpe]i?b|bytes?|b|k|%)", re.IGNORECASE)
"""A size or share a step freed or reached ("1.2tb", "40gb", "82%"): a result, no object."""


def _amountless(found: frozenset[str]) -> frozenset[str]:
    """``found`` without amounts (``_AMOUNT``): "deleted indices ..., 1.2TB freed" names the
    indices, not "1.2TB"."""
    return frozenset(name for name in found if _AMOUNT.fullmatch(name) is None)


def _clearest(rows: list[Event], members: list[int], steps: dict[int, Step]) -> int:
    """The record a row of one step reads as: the most specific kind, then the clearest
    (``Step.clear``: said done with its object, then naming most objects); the earliest on a
    tie (``members`` are in time order)."""

    def rank(index: int) -> tuple[int, tuple[bool, int]]:
        found = steps.get(index)
        return _SPECIFIC.get(rows[index].kind, 2), found.clear if found is not None else (False, 0)

    return max(members, key=rank)


def same_step(a: Step, b: Step) -> bool:
    """The same step: the same kind and phase (under way or not: a step's start and its end
    are two moments), objects in common and none different (one's all in the other's)."""
    return (
        a.family == b.family
        and a.under_way == b.under_way
        and (
            (not a.objects.isdisjoint(b.objects) and agree(a.objects, b.objects))
            or _word_in_name(a.objects, b.objects)
            or _word_in_name(b.objects, a.objects)
        )
    )


def _word_in_name(word: frozenset[str], named: frozenset[str]) -> bool:
    """A step whose object is a plain word (``word:reconcile``, "suspended the reconcile
    cronjob") and one naming a single object whose last part, not its first, is that word
    (``orders-reconcile``, "Suspended CronJob orders-reconcile"): the same object, said by its
    qualifier and in full. A name's first part is a family of objects ("Restarted checkout" and
    "Restarted checkout-api" are two)."""
    if len(word) != 1 or len(named) != 1:
        return False
    (plain,) = word
    (name,) = named
    if not plain.startswith(_WORD_OBJECT) or name.startswith(_WORD_OBJECT):
        return False
    parts = re.split(r"[-./_:]", name)
    return len(parts) > 1 and parts[-1] == plain[len(_WORD_OBJECT) :] != parts[0]


_OBJECT_SKIP = frozenset(
    "the a an our all both its their of to for on in at is was were has have been now just"
    " back over out up down completed complete done finished successfully again".split()
)
"""Words between a step verb and its object ("rolled back the checkout", "scaled up
checkout", "failover of checkout")."""
_NO_OBJECT = frozenset("it them this that and but then so as if with from by".split())
"""Words after a step verb that name no object: it ends the search."""
_WORD_OBJECT = "word:"
"""The prefix of an object named by a plain word (``_object_word``)."""
OBJECT_WORDS = 4
"""How many words after the step verb are read for its object."""


def _object_word(text: str, start: int) -> frozenset[str]:
    """A text naming no ``names``: the first word after its step verb (from ``start``) that is
    no article, preposition or done word, as ``word:<word>``; empty when none within
    ``OBJECT_WORDS`` or a pronoun or conjunction comes first ("rolled it back")."""
    for n, match in enumerate(_WORD.finditer(text, start)):
        word = match.group(0).casefold()
        if n >= OBJECT_WORDS or word in _NO_OBJECT or word.isdigit():
            break
        if word not in _OBJECT_SKIP:
            return frozenset({f"{_WORD_OBJECT}{word}"})
    return frozenset()


def _named_step(event: Event) -> re.Match[str] | None:
    """The step kind a record that may record a step names (``step_of``'s cheap first test)."""
    if event.kind is not Kind.MITIGATE and not (
        event.kind in _WRITTEN_STEPS and WRITTEN in event.tags
    ):
        return None
    return _FAMILY.search(event.summary)


def _same_step_pairs(
    rows: list[Event], indices: list[int], reach: timedelta, steps: dict[int, Step]
) -> list[tuple[timedelta, int, int, bool]]:
    """One person's records of the same step in different tools whose times (``Step.at``, a
    stated time for a later report) lie at most ``reach`` apart: ``(gap, i, j, True)``, i < j;
    each record's ``Step`` is put in ``steps``."""
    named = [i for i in indices if _named_step(rows[i]) is not None]
    if len({rows[i].sources for i in named}) < 2:
        return []  # no step in two tools: its objects and times are never read
    signed: list[tuple[datetime, int, Step]] = []
    bare: list[tuple[datetime, int, Step]] = []
    for i in named:
        found = said_step(rows[i])
        if found is not None:
            steps[i] = found
            (signed if found.objects else bare).append((found.at, i, found))
    signed.sort(key=lambda s: (s[0], s[1]))
    pairs: list[tuple[timedelta, int, int, bool]] = []
    for n, (at, i, step) in enumerate(signed):
        for later, j, other in signed[n + 1 : n + 1 + NEIGHBOURS]:
            gap = later - at
            if gap > reach:
                break
            if rows[i].sources != rows[j].sources and same_step(step, other):
                pairs.append((gap, min(i, j), max(i, j), True))
    return pairs + _bare_pairs(rows, bare, signed, reach) if bare else pairs


def _bare_pairs(
    rows: list[Event],
    bare: list[tuple[datetime, int, Step]],
    signed: list[tuple[datetime, int, Step]],
    reach: timedelta,
) -> list[tuple[timedelta, int, int, bool]]:
    """One person's steps said with no object ("flag off") each paired with the records of
    their one step of that kind and phase that names its object, at most ``reach`` from it
    (either side), in another tool: ``(gap, i, j, True)``. When the person's records in that
    reach name two different steps of the kind (two flags turned off), which one the bare words
    mean is unknown: no pair."""
    times = [at for at, _, _ in signed]
    pairs: list[tuple[timedelta, int, int, bool]] = []
    for at, i, step in bare:
        low, high = bisect_left(times, at - reach), bisect_right(times, at + reach)
        near = [
            (abs(other_at - at), j, other)
            for other_at, j, other in signed[low:high]
            if other.family == step.family and other.under_way == step.under_way
        ]
        found = [other for _, _, other in near]
        if not all(same_step(x, y) for n, x in enumerate(found) for y in found[n + 1 :]):
            continue  # two objects: which one is unknown
        pairs += [
            (gap, min(i, j), max(i, j), True)
            for gap, j, _ in near
            if rows[j].sources != rows[i].sources
        ]
    return pairs


_DONE = re.compile(r"\b(?:finished|done|completed?)\b", re.IGNORECASE)
"""Words that say a step is over, whatever verb form names it."""


def under_way(event: Event) -> bool:
    """Whether a mitigation row says its step is under way, not done: a person's message or
    note ``classify`` tagged ``step:under-way`` (``classify.UNDER_WAY``: "rolling back",
    "starting patronictl failover", "kicked off the failover", "revert in progress"; not
    "finished rolling back"). A tool's record (a deployment status, an annotation, an alert)
    says what happened: never under way, nor is a person's words joined with one. Time to
    mitigate counts the first step said done, and one under way only when no step is said done
    (``render.metrics``); rule 3 never joins a step's start with its end (``startdone`` does,
    after)."""
    if UNDER_WAY not in event.tags:
        return False  # said done, or a tool's record or a bot's post
    if "human" not in event.tags and "note" not in event.tags:
        return False  # a tool's record or a bot's post
    tools = [s for s in event.sources if not is_chat((s,))]
    return len(tools) <= ("note" in event.tags)  # else joined with a tool's record of the step


def _bot_reports(rows: list[Event], window: timedelta, share: float) -> list[Event]:
    """Rule 4: each bot's post outside the incident channel joins the closest row of a record
    written in a tool (tag ``written`` or ``note``, not from chat) at most ``window`` apart,
    with the same words and the same ``names`` (one's all in the other's, at least one)."""
    chat = chat_only()
    heard_from = [
        i
        for i, e in enumerate(rows)
        if "bot" in e.tags
        and "incident-channel" not in e.tags
        and e.sources in chat
        and e.kind not in TOOL_KINDS  # an alert's notification is the alert's own row
    ]
    if not heard_from:
        return rows
    targets = sorted(
        (
            i
            for i, e in enumerate(rows)
            if not e.tags.isdisjoint(_WRITTEN) and "bot" not in e.tags and not is_chat(e.sources)
        ),
        key=lambda i: (rows[i].time, i),
    )
    if not targets:
        return rows
    times = [rows[i].time for i in targets]
    said = {i: (words(rows[i].summary), names(identifiers(rows[i].summary))) for i in targets}
    posts: dict[int, list[int]] = defaultdict(list)
    for index in heard_from:
        post = rows[index]
        low = bisect_left(times, post.time - window)
        high = bisect_right(times, post.time + window, low)
        if low == high:
            continue
        heard, named = words(post.summary), names(identifiers(post.summary))
        best: tuple[timedelta, int] | None = None
        for i in targets[low:high]:
            theirs, their_names = said[i]
            if not named or not their_names or not agree(named, their_names):
                continue
            if share_words(heard, theirs, share):
                gap = abs(post.time - rows[i].time)
                if best is None or (gap, i) < best:
                    best = (gap, i)
        if best is not None:
            posts[best[1]].append(index)
    if not posts:
        return rows
    taken = {k for found in posts.values() for k in found}
    out = []
    for i, e in enumerate(rows):
        if i in taken:
            continue
        if i in posts:
            joined = _joined([e, *(rows[k] for k in posts[i])], e, e.summary, e.reason, kept=True)
            e = evolve(joined, tags=e.tags | {ONE_STEP})  # the record's tags, never the bot's
        out.append(e)
    return out


_LEAD_MARKS = re.compile(r"^[\s*_`'\"@]+")
"""Marks before an audit post's first word (Slack bold ``*Jane Doe* disabled ...``)."""
_DID = re.compile(r"[*_`'\"]*(?:\s+\([^()\s]+\))?\s+(?:has\s+|have\s+)?[a-z]+\b")
"""What follows the name an audit post opens with: an optional ``(email)``, then a lower-case
word, its verb ("updated", "turned", "has disabled")."""


def _audit_posts(
    rows: list[Event],
    window: timedelta,
    reach: timedelta,
    written: Mapping[str, frozenset[str]] | None,
) -> list[Event]:
    """Rule 5: a tool's audit post of a person's step joins that person's row of the step.

    A tool's post in chat (tag ``bot``, one chat source; not an alert, deploy, change or page,
    and no ref a tool's record joins by, ``refs.MERGE_PREFIXES``: a PR, a commit, the incident)
    that opens with a person's name and a verb (LaunchDarkly's "Samantha Ortiz updated the flag
    checkout-pricing-v2 in Production: ...", Unleash's "*Kim Nguyen* disabled *checkout-v2* for
    the *production* environment ...", "Kim Nguyen turned off ...": ``written``) is that
    person's step recorded by a tool when that person has a row of a step (``step_of``) whose
    every object the post names (a step said with no object, "flag off", ``said_step``: a post
    whose first step verb is of that kind, "turned off", when that person's posts of that kind
    there name one object), at most ``step_merge_window`` from the post; a row whose words
    say the step under way (``under_way``: "dialling checkout-pricing-v2 back to 25%") only
    within ``step_window`` (a step started minutes earlier is the start, not this change). The
    post joins the closest such row: the row keeps its kind, actor, key, tags (its phase: time to
    mitigate reads as before) and time when earlier, gains the post's links, refs and sources,
    and holds both as ``members``. It reads as the post when its own words say the step under
    way or name no object (the tool's record says what changed: "... percentage rollout changed
    from 100% to 25%"), else as its own words. A post naming another person, or no object of
    the row's step, joins nothing here."""
    posts = [i for i, e in enumerate(rows) if _audit_post(e)]
    if not posts:
        return rows
    stepped: dict[str, list[tuple[int, Step]]] = defaultdict(list)
    for i, e in enumerate(rows):
        if "bot" in e.tags or (e.kind in TOOL_KINDS and WRITTEN not in e.tags):
            continue
        if (who := person_of(e)) is None or _named_step(e) is None:
            continue
        if (found := said_step(e)) is not None:
            stepped[who].append((i, found))
    if not stepped:
        return rows
    forms = written if written is not None else _shown_names(rows)
    owner: dict[str, str] = {}
    for pid, names_of in forms.items():
        if pid in stepped:
            for name in names_of:
                owner[name] = pid
    by_first: dict[str, list[str]] = defaultdict(list)
    for name in sorted(owner, key=lambda n: (-len(n), n)):  # the longest name first
        if name.split():
            by_first[name.split()[0]].append(name)
    joins: dict[int, list[int]] = defaultdict(list)
    bare: dict[int, set[frozenset[str]]] = defaultdict(set)
    """A step said with no object -> the objects its author's posts of that kind name."""
    for p in posts:
        post = rows[p]
        who = _opening_person(post.summary, by_first, owner)
        if who is None:
            continue
        said = identifiers(post.summary)
        heard = words(post.summary)
        kind = _FAMILY.search(post.summary)
        best: tuple[timedelta, int] | None = None
        for i, step in stepped[who]:
            gap = abs(post.time - rows[i].time)
            if gap > (window if step.under_way else reach):
                continue
            if not step.objects:  # "flag off": a post of that step kind, one object (below)
                if kind is None or kind.lastgroup != step.family:
                    continue
                bare[i].add(names(said) or frozenset({post.key}))
            elif not all(_named_in(o, said, heard) for o in step.objects):
                continue
            if best is None or (gap, i) < best:
                best = (gap, i)
        if best is not None:
            joins[best[1]].append(p)
    for i, objects in bare.items():
        if len(objects) > 1:  # posts of two objects of that kind: which one is unknown
            joins.pop(i, None)
    if not joins:
        return rows
    taken = {p for found in joins.values() for p in found}
    stepped_objects = {i: bool(step.objects) for found in stepped.values() for i, step in found}
    out = []
    for i, e in enumerate(rows):
        if i in taken:
            continue
        if i in joins:
            records = [e, *(rows[p] for p in joins[i])]
            said_all = stepped_objects.get(i, True)
            summary = rows[joins[i][0]].summary if under_way(e) or not said_all else e.summary
            reason = "; ".join(r for r in dict.fromkeys(x.reason for x in records) if r)
            joined = _joined(records, e, summary, reason, kept=True)
            e = evolve(joined, tags=e.tags | {ONE_STEP})  # the person's (phase), never the bot's
        out.append(e)
    return out


_PR_NUMBER = re.compile(r"(?:(?<![\w/&])#|\bPR\s*#?\s*|\bpull/)(\d+)\b", re.IGNORECASE)
"""A PR number as people write it: ``#512``, ``PR 512``, ``PR #512``, ``.../pull/512``."""
_SHA_WORD = re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b")
"""A commit as people write it: seven to forty hex digits, a digit and a letter among them."""
_REVERTED = re.compile(r"\breverts? (?:PR )?#(\d+)\b", re.IGNORECASE)
"""The PR a revert deploy's row says it reverts ("(reverts PR #512)")."""
_REVERT_WORD = re.compile(r"\b(?:revert|rollback|roll(?:ing)?[\s-]?back)\b", re.IGNORECASE)
"""Words that name a revert or rollback as a thing ("deploy of the revert started")."""
_UNDOES = frozenset({"revert", "rollback"})
"""Tags of a deploy row that undoes a change (a revert's deploy, a rollback)."""
_UNDO_STEPS = frozenset({"revert", "rollback"})
"""The step kinds (``_FAMILIES``) words joining such a deploy may name, and no other."""


def _deploy_start_words(rows: list[Event], window: timedelta) -> list[Event]:
    """Rule 6: a person's words that a revert or rollback deploy is under way join its row.

    A person's record said under way (``UNDER_WAY``: "reverting #512 now, #515 merged",
    "deploy of the revert started", "rollback of checkout to 5a1c9f0 started") joins the row
    of a deploy that reverts or rolls back (kind ``deploy``, tag ``revert`` or ``rollback``, not
    ``failure``; a deploy tool's record of a commit, not a person's rollback annotation) when it
    names no other step kind than a revert or rollback ("revert in progress, raising maxmemory"
    stays a row), lies in that deploy's span, from ``step_window`` before it started
    (``deploystart.started_at``: requested, or its bot's start post) to when it went live, and
    names it: every PR number it writes is the deploy's or the one it reverts, every commit is
    the deploy's, and it writes at least one; or it writes none and names the revert or
    rollback itself. When it names several such deploys it joins none. The deploy's row keeps
    its time (when it went live), kind, text, actor, key and tags (time to mitigate does not
    move: the deploy was a step said done already) and gains the words' links, refs and
    sources; both are its ``members``. A plan ("will revert #512 after lunch") is no step under
    way; words about another PR, or outside the span, stay their row."""
    deploys = [
        i
        for i, e in enumerate(rows)
        if e.kind is Kind.DEPLOY
        and not _UNDOES.isdisjoint(e.tags)
        and "failure" not in e.tags
        and "human" not in e.tags
        and any(ref.startswith("sha:") for ref in e.refs)  # a deploy tool's, not an annotation
    ]
    if not deploys:
        return rows
    spans = {i: (started_at(rows[i]) - window, rows[i].time) for i in deploys}
    joins: dict[int, list[int]] = defaultdict(list)
    for m, e in enumerate(rows):
        if UNDER_WAY not in e.tags or "bot" in e.tags or e.kind in TOOL_KINDS:
            continue
        if "human" not in e.tags and "note" not in e.tags:
            continue
        if not {m.lastgroup for m in _FAMILY.finditer(e.summary)} <= _UNDO_STEPS:
            continue  # the words say another step too ("revert in progress, raising maxmemory")
        found = [
            d for d in deploys if spans[d][0] <= e.time <= spans[d][1] and _names_deploy(e, rows[d])
        ]
        if len(found) == 1:
            joins[found[0]].append(m)
    if not joins:
        return rows
    taken = {m for found in joins.values() for m in found}
    out = []
    for i, e in enumerate(rows):
        if i in taken:
            continue
        if i in joins:
            words_of = [rows[m] for m in joins[i]]
            joined = _joined([e, *words_of], e, e.summary, e.reason, e.time, kept=True)
            e = evolve(joined, tags=e.tags | {ONE_STEP})  # the deploy's tags, not the words'
        out.append(e)
    return out


def _names_deploy(words_of: Event, deploy: Event) -> bool:
    """The words name this deploy (``_deploy_start_words``): its PR numbers, the PR it reverts,
    its commits, or, naming none of those, the revert or rollback itself."""
    text = words_of.summary
    numbers = {int(n) for n in _PR_NUMBER.findall(text)}
    numbers |= {int(r.rpartition("#")[2]) for r in words_of.refs if r.startswith("pr:")}
    shas = {s.casefold()[:7] for s in _SHA_WORD.findall(text)}
    shas |= {r[len("sha:") :] for r in words_of.refs if r.startswith("sha:")}
    own = {int(r.rpartition("#")[2]) for r in deploy.refs if r.startswith("pr:")}
    own |= {int(n) for n in _REVERTED.findall(deploy.summary)}
    commits = {r[len("sha:") :] for r in deploy.refs if r.startswith("sha:")}
    if numbers or shas:
        return numbers <= own and shas <= commits
    return _REVERT_WORD.search(text) is not None


def _audit_post(event: Event) -> bool:
    """A tool's post in chat that may record a person's step (``_audit_posts``)."""
    return (
        "bot" in event.tags
        and len(event.sources) == 1
        and event.kind not in TOOL_KINDS
        and is_chat(event.sources)
        and not any(ref.startswith(MERGE_PREFIXES) for ref in event.refs)
    )


def _shown_names(rows: list[Event]) -> dict[str, frozenset[str]]:
    """Each person id -> their display name as their rows show it (no directory given)."""
    found: dict[str, set[str]] = defaultdict(set)
    for e in rows:
        if e.actor and "bot" not in e.tags and (who := person_of(e)):
            found[who].add(e.actor.casefold())
    return {pid: frozenset(n) for pid, n in found.items()}


def _opening_person(
    text: str, by_first: Mapping[str, list[str]], owner: Mapping[str, str]
) -> str | None:
    """The person id whose name ``text`` opens with, followed by a verb (``_DID``), or None."""
    body = _LEAD_MARKS.sub("", text)
    folded = body.casefold()
    if len(folded) != len(body):  # a letter that folds to two ("ß"): read it as written
        folded = body.lower()
    first = folded.split(maxsplit=1)[0] if folded.split() else ""
    for name in by_first.get(first.strip("*_`'\""), ()):
        if folded.startswith(name) and _DID.match(body, len(name)):
            return owner[name]
    return None


def _named_in(obj: str, said: frozenset[str], heard: frozenset[str]) -> bool:
    """A step's object is named in a text with these ``identifiers`` and ``words``."""
    if obj.startswith(_WORD_OBJECT):
        return obj[len(_WORD_OBJECT) :] in heard
    return obj in said


def _clusters(
    rows: list[Event], pairs: list[tuple[timedelta, int, int, bool]], steps: dict[int, Step]
) -> list[tuple[list[int], bool]]:
    """The pairs (closest first; a pair of the same words at most ``step_window`` apart, one of
    the same step, ``by_step``, at most ``step_merge_window``) joined into steps, each with
    whether a pair of the same step joined it: two records' steps become one when they hold no
    tool in common (one record per tool, so a step of three tools spans at most twice the
    window) and every record agrees with every other: by words, their ``identifiers`` agree (a
    record joins a row of two tools through either one's words, never naming a different
    service than the other); by step, every record is of the same step (``same_step``; a step
    said with no object, one of its kind and phase: ``_joinable``)."""
    step_of_row: dict[int, list[int]] = {}
    stepped: set[int] = set()
    for _gap, i, j, by_step in pairs:
        a, b = step_of_row.get(i, [i]), step_of_row.get(j, [j])
        if a is b:
            continue
        both = sorted((*a, *b))
        if {s for k in a for s in rows[k].sources} & {s for k in b for s in rows[k].sources}:
            continue
        if by_step:
            if not all(k in steps for k in both):
                continue
            found = [steps[k] for k in both]
            if not all(_joinable(x, y) for n, x in enumerate(found) for y in found[n + 1 :]):
                continue
            stepped.update(both)
        else:
            ids = [identifiers(rows[k].summary) for k in both]
            if not all(agree(x, y) for n, x in enumerate(ids) for y in ids[n + 1 :]):
                continue
        for k in both:
            step_of_row[k] = both
    unique = {id(step): step for step in step_of_row.values()}
    return [(step, not stepped.isdisjoint(step)) for step in sorted(unique.values())]


def _joinable(a: Step, b: Step) -> bool:
    """Two records of one step in a row: the same step (``same_step``), or a step said with no
    object and one of the same kind and phase (``_bare_pairs`` chose which)."""
    if a.objects and b.objects:
        return same_step(a, b)
    return a.family == b.family and a.under_way == b.under_way


def _to_the_second(when: datetime, records: list[Event]) -> datetime:
    """``when``, or the earliest record's own time within the minute ``when`` names when it is
    a stated time said to the minute (``clock.in_said_minute``)."""
    return min((r.time for r in records if in_said_minute(when, r.time)), default=when)


def _joined(
    records: list[Event],
    primary: Event,
    summary: str,
    reason: str,
    when: datetime | None = None,
    kept: bool = False,
) -> Event:
    """The records as one row: ``when`` (default: the earliest record's time), ``primary``'s
    kind, key, actor and scope, its links first, then every other link; refs, tags and sources
    unioned; with ``kept``, every record (a joined record's own members) as its ``members``, in
    time order (JSON lists each with its text and links)."""
    links = list(primary.links)
    for record in records:
        links.extend(link for link in record.links if link not in links)
    return new_event(
        when or min(r.time for r in records),
        primary.kind,
        summary,
        tuple(sorted({s for r in records for s in r.sources})),
        tuple(links),
        primary.key,
        primary.actor or next((r.actor for r in records if r.actor), None),
        frozenset().union(*(r.refs for r in records)),
        frozenset().union(*(r.tags for r in records)) | ({ONE_STEP} if kept else set()),
        primary.scope,
        reason,
        _members(records) if kept else (),
    )


def series_members(event: Event) -> tuple[Event, ...]:
    """The records a row stands for all along its span, each counted at its own time (a
    collapsed series, a Pending step with its firing): its ``members``; none for a row of one
    step (``ONE_STEP``), which counts as itself."""
    return () if ONE_STEP in event.tags else event.members


def _members(records: list[Event]) -> tuple[Event, ...]:
    """Every record of ``records``, a row's members in its place, in time order."""
    found = [m for r in records for m in (r.members or (r,))]
    return tuple(sorted(found, key=lambda m: (m.time, m.key)))


def step_kind(text: str) -> str:
    """The step kind a mitigation's text names first (``_FAMILIES``: ``delete`` for "deleting
    old indices now"), or ``""`` when it names none."""
    found = _FAMILY.search(text)
    return found.lastgroup or "" if found is not None else ""


def joined_rows(records: list[Event], primary: Event, summary: str, when: datetime) -> Event:
    """``records`` as one row at ``when`` reading as ``primary`` with ``summary`` (its kind, key,
    actor, reason), every link, ref, tag and source kept, every record one of its ``members``."""
    return _joined(records, primary, summary, primary.reason, when, kept=True)
