"""Classification: what a Slack message says it is (``[classify]``).

A person's message (``kind=message``, tag ``human``) matching a ``declare`` / ``identify`` /
``mitigate`` / ``resolve`` / ``update`` pattern gets that kind (first kind in that order wins); a
bot or app post
(``kind=message``, tag ``bot``) gets the first kind of ``bot_kinds`` (dict order) with a matching
pattern; a bot, app or workflow post no ``bot_kinds`` pattern matches is then read like a person's
message (a workflow's "Declared incident SEV-1", an incident app's "Root cause identified", an
autoscaler's "scaled out payments-api"), so an alert bot's "[FIRING] ..." stays an ``alert`` and
its milestones are never lost. The matched words are kept for the reason (``keyword "root cause"``).

**Questions and negations are not milestones.** A milestone pattern (``declare`` / ``identify`` /
``mitigate`` / ``resolve`` / ``impact``) counts only where its clause states it: a match whose
clause (text between ``. ! ? ;``, a line break, a comma or a dash) ends with ``?``, or has before
the match a question opening (``should we``, ``shall we``, ``can we``, ``could we``, ``do we``,
``did we``, ``are we``, ``is it``...) or a negation (``not``, ``no``, ``never``, ``don't``, ``do
not``, ``won't``, ``can't``, ``isn't``...), or is followed by ``not yet``, is skipped, and the next
match counts instead ("should we roll back? yes, rolling back now" is a mitigation from its second
clause). "should we do a rollback? not yet", "not rolling back", "no rollback", "root cause isn't
known yet" get no kind; "rolling back now", "root cause is the pool", "all clear" keep theirs.
A match not saying it was done is skipped too when its own clause (up to ``that``, ``which``,
``because``, ``but``, ``and``...) goes on with a negation ("scaling up won't help"), a failure or
block ("the rollback failed", "rollback blocked by the freeze", "reverting it is too slow"; not an
attribute: "rolling back the failed deploy"), an ETA ("rollback ETA 5 min") or an opinion
("rollback is the safest option imo"); "rolling back now, ETA 5 min" keeps its kind.

**Talk about a milestone is no milestone either.** A clause that only talks about it, wherever in
the clause the words are (links left out), sets none (``_TALK``): a hedge, condition or modal
(``if``, ``could``, ``would``, ``I'd``, ``might``, ``may``, ``maybe``, ``once``, ``unless``,
``whether``, ``in case``), an offer or opinion (``happy to``, ``+1``, ``is trivial``, ``is
risky``, ``is off the table``, ``holding off``, ``rather``), a request around a step not said
done (``please``, ``_REQUEST``: "yes, revert PR please. meanwhile I will bump maxmemory as a
stopgap" sets none; "please note we rolled back checkout" is a step), a plan, proposal or status
(``let's``, ``should``, ``need to``, ``going to``, ``pending``, ``up for review``, ``PR up``,
``plan``, ``propose``, ``suggest``, ``considering``, ``prepping``), a reference (``runbook``
but "per the runbook", ``button``, ``last time``, ``usually``, ``previous`` but "the previous
version"); and so does a clause after a negation in an earlier clause of its sentence ("not yet
- rolling back would...", "not yet, rolling back..."). After words saying it was done ("rolled
back", "reverted", "scaled out") only another time counts (``last time``, ``usually``): "rolled
back and lag should drain" and "rolled back, see the runbook" are mitigations, "we rolled back
last time" is not. "happy to revert", "revert PR up: #823",
"the root cause might be the upgrade", "I'd declare a SEV-1 if lag grows", "will post all clear
once US catches up" get no kind; "rolled back", "reverting", "Rolled back checkout to the
previous version", "declaring SEV-1" keep theirs, and so does "declaring SEV-1: orders writes
failing on orders-pg primary" (words after a declaration's colon are its title: ``_TITLE``).

A bot post classified ``deploy`` that reports a rollback or a revert ("Rolled back checkout to
v2.3.0", "Deploying revert of #412") gets the tag ``rollback``, as a deploy tool's own rollback
record does; one that names a revert also gets ``revert``: a revert is a new commit going
forward, a deploy of the revert, not a rollback (the row keeps the bot's own words).

**Words of a list that are something else here are not read as it** (``NOT_TALK``, one table
of phrase kinds, each with examples; their words are masked before the rules above read the
clause):

- a date: a month name beside a day or a year, or after ``in``/``on``/``since``/``until``/
  ``early``/``mid``... ("impact started May 3", "deployed on 3 May", "since May 2026",
  "mid-May"), and "May" capitalised inside a sentence ("the May release"): the month, not the
  modal "may" ("it may be the cache" is still a hedge). No list holds another month's name
  ("march" as a verb reads as nothing);
- a wait for objections: an action announced unless someone stops it ("rolling back now if
  nobody objects", "unless someone objects", "if no one shouts", "barring objections",
  "hearing no objections, rolling back") is announced, not a condition: it sets the kind. A
  real condition ("if the error rate stays up we roll back", "rolling back unless the canary
  recovers", "if anyone objects we won't roll back") is still a plan and sets none;
- ``once more`` / ``once again``: a repeat, not "once <something happens>".

A condition opening an earlier clause of the sentence is talk too ("if the error rate stays up,
we roll back", "once lag drains, rolling back"), unless the match says it was done ("if anyone
asks, we rolled back at 14:05"); a wait for objections there is no condition ("if no one
shouts, rolling back").

**A step is no milestone when it is not the step being taken** (``_taken``, for ``mitigate``,
``resolve`` and ``declare``): a match not saying it was done followed in its clause by a time to
come is a plan ("revert after", "roll back later"; ``_LATER``), so is a step to come ("Revert of
#2291 coming", "rollback next", "revert first, capacity later", "failing over soon", "the revert
will go out"; ``_COMING``), one after ``will`` / ``'ll`` ("we will revert"; ``_WILL``) and any step
of a sentence opening with "plan:" or "next steps:" (``_PLAN_HEAD``), and an instruction is no
action ("ok. Rahul raise it now, revert after": the step counts when someone records it done);
opening a revert or rollback PR is its status ("opening a revert of #2291", ``_TALK``). A
step's bare word (``_BARE``: "revert", "roll back", "rollback", "scale up", "fail over") is a
step only when its clause says it done or under way ("rollback done", "revert of #412 live",
"did a rollback", "deploy of the revert started"; ``_said_of_bare``): an instruction ("revert in
parallel", "roll back ledger-consumer to the previous revision") or an approval ("revert #419
approved") is none, and so is another incident's step ("reverting is what we did in INC-6120";
``_HABIT``). A step said done but not live ("reverted in git, deploy pending"; ``not_live``) is
under way for the figures. For
``mitigate`` and ``resolve``, a report of the cause is none: words later in the message saying the
step set the incident off ("FYI the DB failed over at 08:10 UTC, that's what kicked this off", "...,
that's the trigger"; ``_CAUSE``), or a step said done whose sentence states a time before the
incident's start ("Patroni failed over payments-db at 08:10"; ``clock.recent_utc``: a time without a
zone only within the hour before the message). "failing over to the replica now", "failed over to
us-west, errors dropping", "reverting the PR that caused this" stay mitigations. For ``resolve``, a
partial recovery is no resolution but a status (kind ``update``, a row): part of the service before
the words ("half the pods recovered", "6 of 12 pods recovered", "partially recovered"; ``_PARTIAL``)
or part still failing after them ("..., the other 6 still throwing", "all clear on card-auth,
payments still failing"; ``_STILL_BAD``), and so is a "partial recovery" (the match itself);
"recovered" describing some things ("on the recovered nodes", "the recovered pods are serving": a
determiner or preposition before, a noun after; ``_ATTRIBUTE``, ``_NOUN``) is none: a resolution
says the service recovered. A metric recovered ("latency recovered", "p99 has recovered";
``_METRIC``) is an observation, a status too.

**The customers' side is a status row** (``[classify] update``, kind ``update``, read as a step:
a question, plan or negation sets none): a status page post or customer comms said done ("status
page updated: investigating", "posted to statuspage", "customer comms sent") and support tickets
stopping ("tickets have stopped coming in"). Never a mitigation (a post tells customers, it fixes
nothing) nor the resolution (tickets lag the fix); tried after the milestones, so "rolled back
checkout, status page updated" is a mitigation. "do we need a status page post?", "I'll update the
status page later", "status page is down" set none. Support seeing tickets is customers reporting
the failure: an ``impact`` pattern (below). So is a responder's observation that the service
recovered (``config._RECOVERED``: "5xx back to baseline", "lag is back to 0", "queue drained",
"all 30 pods healthy"): a status, no milestone. A recovery (``update`` or ``resolve``) in a
sentence naming another place or time ("staging is back to normal", "unrelated, but search is
back to baseline", "in INC-6120 lag was back to 0", "yesterday"; ``_ELSEWHERE``), or after a
hope or a wait in its sentence ("hopefully back to normal", "waiting for lag to get back to 0";
``_HOPE``) sets none; "... back to baseline after the rollback" is an observation, not a plan
for after it.

**A status update keeps its kind.** A message opening with a status update ("Status update:
...", "Mei Lin: Status update: ...", PagerDuty's Slack app's "Status update on #7310 ... by Mei
Lin: ...") is kind ``update`` (``STATUS_UPDATE``): "Mitigation in progress" there names the
phase, not a step.

**A person's annotation is read like their message.** A dashboard annotation a person wrote
(kind ``annotation``, tag ``written``) gets a milestone kind from its words (its ``(tags: ...)``
list left out: "Raised pool size to 50 on payments-api" is a mitigation), and one tagged
``mitigation`` (``tag:mitigation``, ``MITIGATION_TAGS``) is a mitigation whatever its words.

**An incident note is read like its author's message.** A note (kind ``update``, tag ``note``,
one source) gets a milestone kind (``declare`` / ``identify`` / ``mitigate`` / ``resolve``) from
its own words (``note_text``: its row's "Note by Alex Rivera: " framing left out) and keeps the
tag ``note``, which ``steps`` and ``echoes`` join it by (never its kind); its impact words tag it
``impact``. A chat app's post of a note ("Kim Nguyen added a note to #4711: ...", ``_NOTE_POST``)
a ``bot_kinds`` pattern does not match takes no milestone kind: were it a mitigation too,
``merge`` (same kind, the incident ref in common) would take it into the note's row first, and
the author's own copy in chat (``steps``: one source each) could no longer join; ``echoes``
joins the post to the note's row. A post of a note whose tool is not collected so sets no
milestone (the note's words are the tool's record).

**A mitigation is a responder's step** (a clause: subject, verb, object). The default
``mitigate`` words (``config.ClassifyConfig``) name an action verb said done or under way
("-ed", "-ing": "drained", "we're pausing", "I'm draining"), never the bare verb (an
instruction, and a cost: a bare "disable" or "block" gate would send most messages through the
patterns), with any object after it (a word that is no preposition, adverb or count: node
names, pools, services): a node cordoned, uncordoned or drained ("cordoned
gke-prod-pool-b-5c1d9e06 and gke-prod-pool-b-5c1d9e07", "drained -06"), a rollout, upgrade,
deploy, canary, job or consumer paused, suspended, halted or aborted ("paused the pool-b node
pool upgrade"), stopped, cancelled or frozen ("froze deploys"; not "stopped seeing errors"),
something restarted, bounced or recycled, scaled up or out ("scaled pool-b from 12 to 18"),
rolled back, reverted or failed over, a failover or switchover started or completed ("starting
patronictl failover orders-pg --candidate orders-pg-replica-1", "kicked off patroni failover to
replica-1", "failover done"; not "should we start a failover?", "automatic failover is
disabled"), a setting raised or increased, any setting given a new value ("raised
redis-checkout maxmemory 12gb -> 16gb", "bumped maxmemory to 16gb"; not a metric rising: "error
rate increased to 5%", "latency bumped to 3s"), a flag (or auto-upgrade,
the autoscaler) turned off ("Disabled flag X", "flag X disabled", "flipped X off", "flipped the
kill switch", "flag off", "turned the flag off") or dialled back ("dialled X back to 25%",
"rolled X back to 25%"), a job suspended ("reconcile cronjob suspended (14:29 UTC)", "set
suspend: true on cronjob/x"), a replica promoted ("replica-1 promoted to primary", "promoted
replica-1"; an HA manager's "Patroni leader moved to replica-1" is the system's failover), a
client blocked, banned or rate-limited, load shed, pods or keys evicted, a cache
flushed, purged or cleared ("Flushed expired sessions on redis-sessions-2", "CDN cache purged"; not
"cache flush is scheduled nightly", "should we purge?"), capacity freed by deleting data
("deleted indices logs-2026.11.20..24, 1.2TB freed", "truncated the audit table", "old indices
gone"), a block, limit or setting lifted ("cleared read_only_allow_delete on all indices",
"lifted the rate limit"). A store's own housekeeping is the failing thing's doing ("ILM deleted
the index at 02:00": ``_PROCESSES``), and a step said a mistake is data lost, an impact, no
step ("indices got deleted by accident", "oops, deleted the wrong index": ``_MISHAP``). A
state is none: "flag X is disabled in staging", "the flag was disabled by default"; so is
another sense of the verb, without an object ("paused for a minute", "lag drained from the
brokers", "the pod restarted 3 times"), one on the responders' own things ("restarting my
laptop", "paused alerts for the maintenance", "aborting the call"), and a participle describing
a noun ("evicted pods are piling up", "drained nodes show SchedulingDisabled"; ``_attribute``).

**The failing thing's doing is a description, no step** (``_described``, for ``mitigate``; not for
the word "mitigated" itself: "this mitigated it"): the verb's subject in its clause (through "and":
"it's draining 6 nodes at a time and evicting everything") is a pronoun for it (``it``, ``they``,
``this``...), a process (``upgrade``, ``autoscaler``, ``HPA``, ``GKE``, ``kubelet``, ``pods``,
``nodes``...; ``_PROCESSES``), a noun phrase a determiner opens ("the pool-b upgrade drained"), a
noun with an auxiliary ("lag is draining", "pods are restarting", "the HPA keeps scaling up") or a
resource's name ("kube-controller-manager evicted 24 pods"). No subject ("drained -06", "ok, paused
the upgrade"), a person ("we", "I'm", "@mei", "Kim is draining -06") or a name ("kim drained -06")
is a responder's step. A match naming its object first and the step said done after it
(``_PASSIVE``: "maxmemory raised to 16gb", "redis-checkout maxmemory raised to 16gb", "scale-out
done") has no subject before it: the words before are the object's. A failover a database's HA
manager made (``_HA_MANAGER``: "patroni triggered a failover") is the system's own recovery, a
mitigation, as an automation's own post of its step is ("autoscaler scaled out payments-api");
the failing thing's ("the upgrade triggered a failover") is a description, and one that set the
incident off a report of the cause. A tool's words quoted (inside double quotes: "\"drained
gke-...\" is what the upgrade log says"; ``_quoted``) are no step either.

**Under way or done is a tag.** A person's mitigation (a message, a note) whose matched words are
a progressive form or a start ("rolling back", "archiving manually", "kicked off the failover"),
or whose text says "in progress", and not "finished", "done" or "completed", gets the tag
``step:under-way`` (``UNDER_WAY``); ``render.metrics`` reads it, never the reason's words.

A person's message or a dashboard annotation matching an ``impact`` pattern ("impact started",
"customers are reporting errors") gets the tag ``impact`` (a candidate impact start for the
figures) and keeps its kind; a person's message kept only for that has the reason
``keyword "<words>"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from reconstruct.config import ClassifyConfig
from reconstruct.errors import ConfigError
from reconstruct.model import Event, Kind
from reconstruct.normalize.clock import recent_utc
from reconstruct.normalize.deploystart import FINISHED, STARTING
from reconstruct.normalize.evolve import evolve
from reconstruct.normalize.instances import WRITTEN
from reconstruct.normalize.literals import required_words

HUMAN_KINDS = ("declare", "identify", "mitigate", "resolve", "update")
UNDER_WAY = "step:under-way"
"""Tag of a person's mitigation (a message, an incident note) whose words say the step is under
way, not done (``under_way``): "rolling back", "starting patronictl failover", "revert in
progress". ``render.metrics`` counts such a step only when none is said done."""
SAID_DONE = "step:said-done"
"""Tag of a person's bare "done" read as their step under way said done (``saiddone``): its
row is joined by ``saiddone.join_said_done``, never by the words it shares (``steps``)."""
_PROGRESSIVE = re.compile(
    r"^(?:[^\W\d_]+ing\b(?![-./]\w)|(?:just )?(?:started|kicked off|initiated|triggered)\b)"
    r"|\bin progress\b"
    r"|\b(?:started|kicked off|under ?way|ongoing|running)$",
    re.IGNORECASE,
)
"""Matched words of a step under way: a progressive form ("rolling back", "raising maxmemory";
a name ending in "ing" is none: "search_v2_ranking disabled", "ranking-svc restarted")
or a start ("kicked off the failover", "started a switchover", a bare step's "revert
started")."""
_FINISHED = re.compile(r"\b(?:finished|done|completed?)\b", re.IGNORECASE)
"""Words that say a step is over, whatever verb form names it ("finished rolling back",
"scaling done")."""


def under_way(words: str, text: str) -> bool:
    """Whether a mitigation whose matched words are ``words`` in ``text`` (a person's message or
    note) says the step is under way: its words are a progressive form or a start, or the text
    says "in progress", or the text says a step done is not live yet (``not_live``: "reverted
    in git, deploy pending"); else never when the text says the step is over ("finished rolling
    back", "done scaling out", "rollback completed")."""
    if not_live(text):
        return True  # "reverted in git, deploy pending": not live yet
    if _FINISHED.search(text) is not None:
        return False
    return _PROGRESSIVE.search(words) is not None or "in progress" in text.lower()


ROLLBACK = re.compile(r"\broll(?:ed|ing|s)?[\s_-]?back\b|\brevert(?:ed|ing|s)?\b", re.IGNORECASE)
"""A deploy tool's post that reports a rollback or a revert (tag ``rollback``: a mitigation)."""
REVERT = re.compile(r"\brevert(?:ed|ing|s)?\b", re.IGNORECASE)
"""A deploy tool's post that ships a revert (tag ``revert`` too)."""
STATUS_UPDATE = re.compile(
    r"^\W*(?:[\w.' -]{1,40}:\s*)?(?:status update|incident update|update on #?\d+)\b",
    re.IGNORECASE,
)
"""A status update, as a person or an incident tool's chat app posts it ("Status update: ...",
"Mei Lin: Status update: ...", PagerDuty's Slack app: "Status update on #7310 ... by Mei Lin:
..."): kind ``update``, whatever its words ("Mitigation in progress" names the phase, not a
step)."""
STATUS_WORDS = "status update"


def _status_update(text: str) -> bool:
    """``STATUS_UPDATE`` opens ``text`` (a substring test first: most texts hold no "update")."""
    return ("pdate" in text or "PDATE" in text) and STATUS_UPDATE.match(text) is not None


MITIGATION_TAGS = frozenset({"tag:mitigation", "tag:mitigated", "tag:mitigate"})
"""A person's dashboard annotation tagged so (``tags: ["kafka", "mitigation"]``) records a
mitigation."""
_TAGS_SUFFIX = re.compile(r"\s*\(tags: [^()]*\)")
"""An annotation's own tags as its summary lists them: labels, not the person's words."""
NOTE = "note"
"""An incident tool's note (kind ``update``): read like a person's message; it keeps the tag."""
_NOTE_KINDS = frozenset({Kind.DECLARE, Kind.IDENTIFY, Kind.MITIGATE, Kind.RESOLVE})
_NOTE_FRAME = re.compile(r"^Note(?: by [^:]{1,80})?:\s*")
"""A note row's own framing ("Note by Alex Rivera: "): the tool's words, not the author's."""

_NOTE_POST = re.compile(r"\badded a note to\b", re.IGNORECASE)
"""A chat app's post of an incident note ("Kim Nguyen added a note to #4711: ..."): no milestone
of its own, so ``merge`` (same kind) does not take it into the note's row before ``steps`` joins
the note with its author's own copy; ``echoes`` joins it to the note's row."""


def note_text(summary: str) -> str:
    """A note row's own text: its summary without the framing ("Note by Alex Rivera: ")."""
    return _NOTE_FRAME.sub("", summary, count=1)


KEYWORD_MAX = 40
"""Matched words longer than this (a ``.*`` pattern) are cut for the reason."""

Rules = tuple[tuple[Kind, tuple[re.Pattern[str], ...]], ...]

_CLAUSE_END = re.compile(r"[.!?;,](?=\s|$)|\n|\s[-\u2013\u2014]+\s")
"""Where a clause ends: a sentence or clause mark before a space (not ``v2.3.0`` or a URL's
``?q=``), a line break, a spaced dash."""
_APOSTROPHE = re.compile("[\u2018\u2019\u02bc]")
_NEGATIONS = (
    r"not|no|never|nothing|nobody|without"
    r"|(?:do|does|did|is|are|was|were|have|has|had|wo|ca|could|should|would|must)n'?t|cannot"
)
"""The negation words both clause patterns below share."""
_NOT_STATED = re.compile(
    r"\b(?:(?:should|shall|can|could|would|do|does|did|are|were|will|have|has) (?:we|you|i|they)"
    r"|(?:is|was|does|did) (?:it|that|this)"
    rf"|{_NEGATIONS})\b",
    re.IGNORECASE,
)
"""A question opening or a negation before a milestone's words, in the same clause."""
_NOT_YET = re.compile(r"^\W*not(?: yet)?\b", re.IGNORECASE)
"""A negation right after the words: "rollback not yet", "root cause not known"."""
_URL = re.compile(r"\S+://\S*")
"""A link in the text: its path's words are no talk ("/plan/", "?if=")."""
_SENTENCE_END = re.compile(r"[.!?;](?=\s|$)|\n")
"""Where a sentence ends (the clause marks but a comma or a dash)."""
_NEGATION = re.compile(rf"\b(?:nope|{_NEGATIONS})\b", re.IGNORECASE)
"""A negation in an earlier clause of the same sentence: "not yet - rolling back would..."."""
_TALK = re.compile(
    # hedges, conditionals, modals
    r"\b(?:if|could|would|might|may|maybe|perhaps|possibly|probably|once|unless|whether)\b"
    r"|\bin case\b|\b(?:i|we|you|they|he|she|it|that)'d\b"
    # offers and opinions
    r"|\b(?:happy|glad|willing|ready) to\b|(?<![\w+])\+1\b"
    r"|\b(?:is|are|was|looks|seems|sounds|would be) (?:trivial|risky|easy|safe|simple|dangerous"
    r"|an option|off the table|on the table)\b"
    r"|\bhold(?:ing)? off\b|\brather\b|\bprefer\b"
    # plans, proposals and status
    r"|\b(?:let's|let us|should|need to|needs to|want to|going to|gonna)\b"
    r"|\bpending\b|\b(?:up|ready|open) for review\b|\b(?:pr|pull request|mr) (?:is )?up\b"
    r"|\bplan(?:s|ned|ning)?\b|\bpropos(?:e|ed|al|ing)\b|\bsuggest(?:s|ed|ion|ing)?\b"
    r"|\bconsider(?:s|ed|ing)?\b|\bprep(?:ping|ped|are|ared|aring)?\b"
    # a revert or rollback PR being opened: its status, not the change going live
    r"|\b(?:open(?:s|ed|ing)?|put(?:ting)? up|creat(?:e|es|ed|ing)|draft(?:s|ed|ing)?"
    r"|rais(?:e|es|ing))\s+(?:up\s+)?(?:(?:a|an|the)\s+)?(?:revert|rollback)\b",
    re.IGNORECASE,
)
"""Words of a clause that only talks about a milestone (a hedge, an offer or opinion, a plan or a
status), anywhere in the match's clause (before only when the match says it was done)."""
_NOT_LIVE = re.compile(
    r"\b(?:deploy(?:ment)?|rollout|release|roll-out|ship(?:ping)?|prod(?:uction)?|argo(?:cd)? sync"
    r"|sync)\s+(?:(?:is|still|not)\s+)*(?:pending|queued|waiting|blocked|on hold|not (?:yet )?"
    r"(?:started|done|out|live|running))\b"
    r"|\b(?:pending|awaiting|waiting (?:for|on))\s+(?:the\s+|a\s+)?(?:deploy(?:ment)?|rollout"
    r"|release|sync|ci|approval)\b"
    r"|\bnot (?:yet )?(?:deployed|live|out|shipped|rolled out|in prod(?:uction)?)\b"
    r"|\bin git\b",
    re.IGNORECASE,
)
"""Words saying a step done is not live yet ("reverted in git, deploy pending", "revert merged,
awaiting deploy", "rolled back, not deployed yet"): the step is under way at most."""


def not_live(text: str) -> bool:
    """Whether a mitigation's text says its step is not live yet (``_NOT_LIVE``): ``under_way``
    tags it under way, never done."""
    return _NOT_LIVE.search(text) is not None


_REQUEST = re.compile(r"\b(?:please|pls|plz)\b", re.IGNORECASE)
"""A request, in the clause of a match not saying it was done ("revert PR please", "can someone
please roll back"): asked for, not taken; "please note: we rolled back checkout" is a step."""
_REFERENCE = re.compile(
    r"(?<!\bper )(?<!\bper the )\b(?:runbook|playbook)s?\b|\bbutton\b"
    r"|\bprevious(?:ly)?\b(?! (?:version|release|build|image|deploy|tag|commit|revision))",
    re.IGNORECASE,
)
"""A reference to a milestone (a runbook, a button, a previous one), anywhere in the match's
clause (before only when the match says it was done: "rolled back, see the runbook")."""
_CONDITION = re.compile(r"\b(?:if|unless|once|whether|in case)\b", re.IGNORECASE)
"""A condition opening an earlier clause of the match's sentence ("if the error rate stays up,
we roll back"): the match is a plan, unless it says it was done."""
_HABIT = re.compile(
    r"\blast (?:time|week|month|year|incident|outage)\b|\busually\b|\bnormally\b"
    # another incident's step: "reverting is what we did in INC-6120", "like in INC-6120"
    r"|\bwhat (?:we|they|you|i|he|she|the team) did\b"
    r"|\b(?:did|done|used|worked|happened|fixed it|like|as|same as|similar to|back)"
    r"(?: it)? (?:in|for|during|with)? ?(?:inc(?:ident)?|sev|outage)[-\s#]*\d+",
    re.IGNORECASE,
)
"""A milestone of another time ("last time", "usually") or of another incident ("reverting is
what we did in INC-6120", "rolled back like in INC-6120"), anywhere in the match's clause."""
_RELATIVE = re.compile(
    r"\b(?:that|which|who|whose|where|because|since|as|so|but|and|while|until|after|before)\b",
    re.IGNORECASE,
)
"""Where the match's own clause hands over to another subject ("reverting the change that
didn't compile"): the words after it say nothing of the milestone."""
_AFTER_NOT = re.compile(
    r"\b(?:(?:will|would|does|did|do|is|are|was|can) not"
    r"|(?:do|does|did|is|are|was|were|have|has|had|wo|ca)n'?t|cannot|wont)\b"
    r"|^\W*(?:[\w'-]+\s+){0,3}?(?:(?:is|was|has|had|got|been|just|already|also|still|again"
    r"|it|this|that|them)\s+)*(?:failed|failing|fails|errored|blocked|stuck|broke"
    r"|too (?:slow|risky|late|long)|eta)\b"
    r"|\b(?:imo|imho|safest|(?:an?|the|best|safest|only|other|good|better|viable) options?)\b",
    re.IGNORECASE,
)
"""After the match, in its clause: a negation ("scaling up won't help"), a failure or block
("the rollback failed", "rollback blocked by the freeze", "reverting it is too slow"), an ETA
("rollback ETA 5 min") or an opinion ("rollback is the safest option imo")."""
_TITLE = re.compile(r":(?=\s)")
"""After a declaration: its title follows ("declaring SEV-1: orders writes failing on
orders-pg primary" describes the incident, it does not say the declaration failed)."""
_FAILED_WORD = re.compile(
    r"(?:^|\s)(?:the|a|an|our|that|this|those|these)\s+(?:failed|failing|blocked|stuck)\b",
    re.IGNORECASE,
)
"""A failure word as an attribute ("rolling back the failed deploy"): no failure of the step."""
_CAUSE = re.compile(
    r"\b(?:that|this|which|it)(?:'s|\s+is|\s+was)\s+(?:(?:what|when|how|why)\b(?:\s+[\w'-]+){0,4}?"
    r"\s+(?:kicked|set|started|triggered|caused|began|led|broke|tipped)\b"
    r"|(?:the|our|probably the|likely the)\s+(?:trigger|cause|root cause|culprit|start)\b)"
    r"|(?:^|[,;.]\s*|\band\s+)(?:that|this)\s+(?:(?:is|was)\s+)?(?:what\s+)?"
    r"(?:kicked|set|started|triggered|caused)\s+(?:this|it|all this|everything|the incident)\b",
    re.IGNORECASE,
)
"""Later in the message, words saying the step before them set the incident off ("FYI the DB
failed over at 08:10 UTC, that's what kicked this off", "..., which is what started this",
"..., that's the trigger"): a report of the cause, not a responder's action."""
_LATER = re.compile(
    r"\b(?:later|afterwards?|tomorrow|tonight|eventually|next (?:week|sprint|window|release)"
    r"|after (?:the|this|that|we|it|things|lunch|hours)|when (?:it'?s|things|we'?re) (?:over|done"
    r"|calm|stable))\b|^\W*after\W*$",
    re.IGNORECASE,
)
"""After a match not saying it was done, in its clause: a time to come ("revert after", "roll
back later", "revert after the incident"): a plan."""
_COMING = re.compile(
    r"\b(?:soon|shortly|to follow|queued up|up next)\b|\bcoming\b(?!\s+(?:from|in|through|down"
    r"|back|off|out of))|\bnext\W*$|^\W*first\W*$"
    r"|^\W*(?:[\w#'./-]+\s+){0,4}?(?:will|'ll|is going to|goes out|going out)\b",
    re.IGNORECASE,
)
"""After a match not saying it was done, in its own clause: a step to come ("Revert of #2291
coming", "rollback next", "revert first, capacity later", "failover soon", "the revert will go
out after CI"): a plan."""
_PLAN_HEAD = re.compile(r"\b(?:plan|next steps?|to ?do|proposal|options?)\s*:", re.IGNORECASE)
"""Opening the match's sentence: a list of steps to come ("plan: revert #2291, then scale
out")."""
_WILL = re.compile(r"\b(?:will|shall)\b|'ll\b", re.IGNORECASE)
"""Before a match not saying it was done, in its clause: "we will revert", "I'll roll back": a
plan."""
_PARTIAL = re.compile(
    r"\b(?:half|some|most|many|several|few|part|partially|partly|mostly|one|two|three"
    r"|first)\b(?:\s+of)?(?:\s+(?:the|our|these|those))?(?:\s+[\w-]+)?\s*$"
    r"|\b\d+\s*(?:of|/|out of)\s*\d+\b[^,;.]*$|\b\d+\s*%[^,;.]*$",
    re.IGNORECASE,
)
"""Before a resolve match, in its clause: only part recovered ("half the pods recovered", "6 of
12 pods recovered", "partially recovered")."""
_ATTRIBUTE = re.compile(
    r"\b(?:the|these|those|its|their|our|some|each|any|on|in|across|for|of|from|to|with)\s+$",
    re.IGNORECASE,
)
"""Before a resolve match: a determiner or a preposition ("on the recovered nodes")..."""
_NOUN = re.compile(
    r"^\s+(?!(?:now|at|by|in|on|after|within|since|from|to|and|or|fully|ok|okay|again|already|as"
    r"|but|so|for|around|just|completely|cleanly|too|yet|overnight|here|there|[\d:]+)\b)"
    r"[a-z][\w-]*",
    re.IGNORECASE,
)
"""... and a noun after it: the words describe some things ("the recovered nodes"), they do not
say the service recovered."""
_STILL_BAD = re.compile(
    r"\bstill\s+(?:\w+\s+)?(?:throwing|failing|erroring|errors?|down|broken|firing|alerting"
    r"|timing out|crash(?:ing|looping)|degraded|unhealthy|lagging|stuck|affected|impacted"
    r"|seeing errors|5\d\d|failed|red)\b|\b(?:not|isn't|aren't) (?:yet )?(?:fully )?recovered\b",
    re.IGNORECASE,
)
"""After a resolve match, anywhere in the message: part still failing ("half the pods
recovered, the other 6 still throwing")."""
_METRIC = re.compile(
    r"\b(?:latency|latencies|p\d{2,3}|error rate|errors|5xx|4xx|success rate|throughput|lag"
    r"|queue depth|apdex|saturation|hit ratio|hit rate)\s+(?:(?:has|have|is|are|now|mostly)\s+)*$",
    re.IGNORECASE,
)
"""Before a resolve match, in its clause: a metric ("latency recovered", "p99 has recovered"):
an observation of the service, a status (kind ``update``), not its resolution."""
_ELSEWHERE = re.compile(
    r"\b(?:staging|stage|dev|qa|sandbox|canary env(?:ironment)?|test env(?:ironment)?"
    r"|unrelated|(?:an)?other (?:service|team|cluster|region|incident)"
    r"|different (?:service|team|cluster|incident)|yesterday"
    r"|(?:in|during|for|like) (?:inc(?:ident)?|outage)[-\s#]*\d+)\b",
    re.IGNORECASE,
)
"""In the sentence of an ``update`` or ``resolve`` match: another place's or time's recovery
("staging is back to normal", "unrelated, but search is back to baseline", "in INC-6120 lag
was back to 0 in minutes"), no status of this incident."""
_HOPE = re.compile(
    r"\b(?:hope|hopes|hoping|hopefully|expect|expects|expecting|expected to|fingers crossed"
    r"|wait(?:ing)? (?:for|until|till)|eta)\b",
    re.IGNORECASE,
)
"""Before a recovery (an ``update`` or ``resolve`` match), in its sentence: a hope or a wait
("hopefully back to normal", "waiting for lag to get back to 0"), no observation."""
_COORDINATED = re.compile(r"(?:\b(?:and|then|or|plus)|&)\s*$", re.IGNORECASE)
"""A verb coordinated with an earlier one ("it's draining 6 nodes and evicting everything"): its
subject is the earlier verb's."""
_VERB_WORD = re.compile(r"\b[a-z]+(?:ing|ed)\b", re.IGNORECASE)
_AUX = re.compile(
    r"(?:'s|'re|'m|'ve|\s+(?:is|are|am|was|were|be|been|being|has|have|had|keeps?|kept|got"
    r"|gets|getting|start(?:s|ed)?|began|begins|continu(?:es|ed)(?:\s+to)?|still|just|already"
    r"|now|also|actually|currently|again|apparently|automatically|auto|slowly|then|basically))+"
    r"\s*$",
    re.IGNORECASE,
)
"""Between a subject and its verb: an auxiliary or an adverb ("it's draining", "the HPA keeps
scaling up", "pods are restarting", "we're also draining")."""
_SUBJECT = re.compile(r"([\w@<>#./'-]+)\s*$")
_RESPONDERS = frozenset(
    "we i you he she us me team oncall on-call ops sre sres ic someone somebody everyone folks"
    " y'all".split()
)
"""Subjects that are people responding ("we drained", "I'm pausing")."""
_THINGS = frozenset("it they this that which these those something everything".split())
"""Pronouns that stand for the failing thing ("it's draining 6 nodes at a time")."""
_NO_SUBJECT = frozenset(
    "ok okay ack yes yep yeah so and then fyi update done also now first next k right alright"
    " cool sure thanks the a an our their its his her my your to of for with on in at from by"
    " into onto".split()
)
"""A word before the verb that is no subject (an interjection, a determiner, a preposition):
the step is the writer's ("ok drained -06", "the cache was purged")."""
_PROCESSES = frozenset(
    "upgrade upgrades rollout rollouts autoscaler autoscalers hpa vpa karpenter kubelet kubernetes"
    " k8s gke eks aks controller operator scheduler cluster node nodes pod pods job jobs cron"
    " cronjob script automation drain deploy deployment pipeline system terraform argo argocd"
    " flux spinnaker redis kafka lag queue cache patroni"
    # a store's own housekeeping: "ILM deleted the index at 02:00", "curator deleted logs-x"
    " ilm curator retention lifecycle policy ttl logrotate janitor elasticsearch opensearch".split()
)
"""Things that act by themselves: as a subject they are the failing process ("GKE drained",
"kubelet is evicting")."""
_DETERMINED = re.compile(
    r"\b(?:the|a|an|its|their|this|that|these|those)\s+(?:[\w./#-]+\s+){0,3}$", re.IGNORECASE
)
"""A noun phrase a determiner opens ("the pool-b upgrade drained"): a thing, not a person."""
_NAME = re.compile(r"[A-Z][a-z]+")
"""A person's name ("Kim is draining -06")."""
_MENTION = re.compile(r"(?:^|\s)<?@[\u200b\w][\w.'-]*(?:\s+(?:[A-Z][\w.'-]*|\d+)){0,2}>?\s*$")
"""A person mentioned by a display name of up to three words ("@Kim Nguyen", "@User 16")."""


_PARTICIPLE = re.compile(
    r"(?:evict|drain|cordon|restart|bounc|recycl|paus|suspend|halt|abort|stopp|cancell?|flush"
    r"|purg)ed",
    re.IGNORECASE,
)
_ITS_VERB = re.compile(
    r"\s+(?:[\w./-]+\s+){1,2}?(?:are|is|were|was|show|shows|have|has|keep|keeps|look|looks"
    r"|seem|seems|remain|remains|stay|stays)\b",
    re.IGNORECASE,
)
"""After a participle opening its clause, a noun and its own verb: the participle describes the
noun ("evicted pods are piling up", "drained nodes show SchedulingDisabled"), no step."""


def _attribute(text: str, start: int) -> bool:
    """Whether the match at ``start`` opens its clause with a participle describing the noun
    after it ("evicted pods are piling up in pool-b")."""
    if re.search(r"\w", _CLAUSE_END.split(text[:start])[-1]) is not None:
        return False
    verb = _PARTICIPLE.match(text, start)
    return verb is not None and _ITS_VERB.match(text, verb.end()) is not None


def _quoted(text: str, start: int) -> bool:
    """Whether ``text[start:]`` begins inside a quote: after an odd number of straight double
    quotes (or an open curly one) on its line ("\"drained gke-prod-pool-b-5c1d9e06\" is what the
    upgrade log says": the tool's words, no step). A blockquote is not read: a row's text has
    its lines joined, so where the quote ends is lost ("> [FIRING:1] ... rolled back
    checkout")."""
    line = text[:start].rsplit("\n", 1)[-1]
    return line.count('"') % 2 == 1 or line.count("\u201c") > line.count("\u201d")


def _described(before: str) -> bool:
    """Whether the subject of a mitigation's verb, in ``before`` (its clause up to the match), is
    the failing thing, not a responder: a description of the fault, no step ("it's draining 6
    nodes at a time", "the upgrade is evicting everything", "pods are restarting", "the HPA
    keeps scaling up"). No subject ("drained -06", "ok, paused the upgrade"), a person ("we",
    "I'm", "Kim is", "@mei") or a name is a responder's step."""
    head = _APOSTROPHE.sub("'", before)
    for _ in range(3):  # "it's draining 6 nodes at a time and evicting": the first verb's subject
        coordinated = _COORDINATED.search(head)
        if coordinated is None:
            break
        verbs = list(_VERB_WORD.finditer(head, 0, coordinated.start()))
        if not verbs:
            break
        head = head[: verbs[-1].start()]
    aux = _AUX.search(head)
    rest = head[: aux.start()] if aux is not None else head
    found = _SUBJECT.search(rest)
    if found is None:
        return False
    word = found.group(1)
    low = word.lower().strip(".'")
    if low in _RESPONDERS or _MENTION.search(rest) is not None:
        return False
    if low in _THINGS or low in _PROCESSES:
        return True
    if low in _NO_SUBJECT:
        return False
    if _DETERMINED.search(rest[: found.start()]) is not None:
        return True  # "the pool-b upgrade drained 6 nodes"
    if aux is not None:
        return _NAME.fullmatch(word) is None  # "lag is draining"; "Kim is draining -06"
    # "orders-consumer restarted" (a resource's name); "kim drained", "14:47 drained" (a time)
    return re.search(r"[\d_.-]", word) is not None and re.search(r"[a-z]", low) is not None


_ACTIONS = frozenset({Kind.MITIGATE, Kind.RESOLVE, Kind.DECLARE, Kind.UPDATE})
"""Kinds that name a step someone takes (an ``update``: a status page post, customer comms
sent): words after the match can undo them, and a plan for one is none."""
_FAILOVER = re.compile(r"\bfail(?:ing|ed|s)?[\s-]?over\b|\bswitch(?:ing|ed|es)?[\s-]?over\b", re.I)
_HA_MANAGER = re.compile(
    r"(?:^|[^\w-])(?:patroni|stolon|repmgr|pg_auto_failover|orchestrator|sentinel|rds|aurora"
    r"|cloud ?sql|the ha manager)(?:\s+[\w-]+){0,2}?\s*$",
    re.IGNORECASE,
)
"""The subject of a failover that is a database's HA manager ("patroni triggered a failover",
"Patroni automatically failed over to replica-1"): the system's own recovery, a mitigation, as
an automation's own post of its step is ("autoscaler scaled out payments-api"). The failing
thing's failover ("the upgrade triggered a failover", "it kicked off a failover") is a
description of the fault; one that set the incident off is a report of the cause (``_CAUSE``, a
time before the incident's start)."""
_PASSIVE = re.compile(
    r"^(?![a-z]+(?:ing|ed)\b)[\w.'-]+(?:\s+\S+)*?\s+(?:[a-z]+ed|done|complete|finished)\b",
    re.IGNORECASE,
)
"""A match naming its object first and the step said done after it ("maxmemory raised to
16gb", "scale-out done", "flag X disabled", "CDN cache purged"): the words before it are the
object's, no subject doing it."""


def _anyones(matched: str, before: str) -> bool:
    """Whether a mitigate match (``before``: its clause up to it) is a step whatever words come
    before it: "this mitigated it"; a passive (``_PASSIVE``), whose words before name no one
    doing it; a failover an HA manager made (``_HA_MANAGER``)."""
    if matched[:7].lower() == "mitigat" or _PASSIVE.match(matched) is not None:
        return True
    return _FAILOVER.search(matched) is not None and _HA_MANAGER.search(before) is not None


_DONE = re.compile(r"ed\b", re.IGNORECASE)
"""A match saying it was done ("rolled back", "reverted", "scaled out"): a hedge after it ("rolled
back and lag should drain") does not undo it."""
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?\b"
_OBJECT = (
    r"(?:object(?:s|ed)?|objections?|shouts?|screams?|yells?|complains?|disagrees?|minds?"
    r"|pushback|push(?:es)? back|concerns?|says? (?:otherwise|no|stop)|stops? (?:me|us)"
    r"|speaks? up|(?:is|are) opposed|vetoes|has (?:a problem|concerns|objections))\b"
)
NOT_TALK: tuple[tuple[str, tuple[str, ...], str, tuple[str, ...]], ...] = (
    (
        "date",
        ("may",),
        rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}\b(?:,?\s+\d{{4}}\b)?"
        rf"|\b{_MONTH}\.?\s+(?:{_DAY}|\d{{4}}\b)(?:,?\s+\d{{4}}\b)?"
        rf"|\b(?:in|on|since|until|till|through|from|by|during|early|mid|late|end of|start of)"
        rf"[\s-]+{_MONTH}\b"
        r"|(?<=\w )(?-i:May)\b",
        ("impact started May 3", "deployed on 3 May", "since May 2026", "the May release"),
    ),
    (
        "a wait for objections",
        ("object", "shout", "scream", "yell", "complain", "disagree", "mind", "push", "concern",
         "say", "stop", "speak", "oppose", "veto", "problem", "otherwise"),
        r"\bif\s+(?:no ?one|nobody|noone|none of you|there(?:'s| is| are) no|we (?:hear|get) no"
        rf"|i (?:hear|see) no|no)\s+(?:\w+\s+){{0,2}}?{_OBJECT}"
        r"|\bunless\s+(?:some ?one|somebody|any ?one|anybody|you|y'?all|folks|people"
        rf"|there(?:'s| is| are)|we (?:hear|get)|i (?:hear|see))\s+(?:\w+\s+){{0,2}}?{_OBJECT}"
        r"|\b(?:barring|absent|hearing no|seeing no|unless)\s+(?:any\s+)?objections?\b"
        r"|\bunless (?:told|(?:i|we) hear|(?:some|any)one says) otherwise\b",
        ("rolling back now if nobody objects", "unless someone objects", "if no one shouts"),
    ),
    ("a repeat", ("once",), r"\bonce (?:more|again)\b", ("scaling out once more",)),
)  # fmt: skip
"""Phrases whose words a list above holds but which say something else: (kind, the words one
of them always holds (lower case), pattern, examples). Masked (their characters blanked) in the
text ``states`` reads, outside the match; a kind's pattern is searched only in a text holding
one of its words (a few substring tests, most texts need no search). A date matters only where
it holds a list's word: "may"."""
_MASKS = tuple((gates, re.compile(p, re.IGNORECASE)) for _, gates, p, _ in NOT_TALK)


@dataclass(frozen=True, slots=True)
class Classifier:
    human: Rules
    bot: Rules
    human_any: _Prefilter | None
    """Matches whenever any ``human`` rule does: most messages need one search."""
    bot_any: _Prefilter | None
    impact: tuple[re.Pattern[str], ...] = ()
    """``[classify] impact``: text saying impact started."""

    def impact_words(self, text: str) -> str | None:
        """The words of ``text`` an ``impact`` pattern matches, else None."""
        can = self.human_any.candidates(text) if self.human_any is not None else None
        for pattern in self.impact:
            if can is not None and pattern.pattern not in can:
                continue  # its required word is not in the text
            for match in pattern.finditer(text):
                if states(text, match.start(), match.end(), action=False):
                    return _words(match.group(0))
        return None

    def human_text(self, text: str) -> tuple[Kind, str] | None:
        """``classify`` of a plain message of a person (one source) with this text."""
        if _status_update(text):
            return Kind.UPDATE, STATUS_WORDS
        return _first(self.human, self.human_any, text, stated=True)

    def classify(self, event: Event, start: datetime | None = None) -> tuple[Kind, str] | None:
        """The kind the event's text gives it and the matched words, or None. ``start``: the
        incident's start (UTC), for a step reported with a time before it."""
        if len(event.sources) > 1:
            return None  # a finished cross-tool row
        when = (event.time, start) if start is not None else None
        if event.kind is Kind.ANNOTATION and WRITTEN in event.tags:
            if not event.tags.isdisjoint(MITIGATION_TAGS):
                return Kind.MITIGATE, next(t for t in sorted(event.tags & MITIGATION_TAGS))[4:]
            text = _TAGS_SUFFIX.sub("", event.summary)
            found = _first(self.human, self.human_any, text, True, when, marked=True)
            return found if found is not None and found[0] is not Kind.MESSAGE else None
        if NOTE in event.tags and event.kind is Kind.UPDATE:
            found = _first(self.human, self.human_any, note_text(event.summary), True, when)
            return found if found is not None and found[0] in _NOTE_KINDS else None
        if event.kind is not Kind.MESSAGE:
            return None  # already a kind
        if _status_update(event.summary):
            return Kind.UPDATE, STATUS_WORDS  # its words describe the phase, not a step
        if "human" in event.tags:
            return _first(self.human, self.human_any, event.summary, stated=True, when=when)
        if "bot" in event.tags:  # a more specific tool kind first, else the milestones
            found = _first(self.bot, self.bot_any, event.summary)
            if found is not None and found[0] is Kind.ALERT:
                if _deploy_trigger(event.summary, found[1]):
                    return None  # "Deploying checkout 4f2c9e1, triggered by @marco": no alert
                if _step_trigger(event.summary, found[1]):
                    found = None  # "Patroni triggered a failover of orders-pg": its step
            if found is None and _NOTE_POST.search(event.summary):
                return None  # a chat app's copy of a note: the note's own record is the step
            return found or _first(
                self.human, self.human_any, event.summary, stated=True, when=when
            )
        return None


@dataclass(frozen=True, slots=True)
class _Prefilter:
    pattern: re.Pattern[str]
    lower: bool
    """The pattern has no upper-case letter: search the lower-cased text without IGNORECASE
    (twice as fast)."""
    words: Any = None
    """An Aho-Corasick automaton (pyahocorasick) of each pattern's ``literals.required_words``
    word -> the patterns holding it, each compiled alone (as ``pattern`` is: without IGNORECASE
    when ``lower``): ASCII text holding none of the words cannot match, and holding some, only
    their patterns can (one pass over the text, then a short pattern or two, instead of the
    whole alternation). None: every text needs the search."""
    anycase: re.Pattern[str] | None = None
    """``pattern`` with IGNORECASE (when ``lower``), for text outside ASCII: lower-casing it is
    no case-insensitive match ("İ" lower-cases to two code points, "i" and a combining dot, which
    no ``\\w`` matches), so that text is searched as written, as each pattern alone would be."""

    def search(self, text: str) -> bool:
        if not text.isascii():
            return (self.anycase or self.pattern).search(text) is not None
        if self.words is not None:
            lowered = text.lower()
            subject = lowered if self.lower else text
            for _, patterns in self.words.iter(lowered):
                for pattern in patterns:
                    if pattern.search(subject) is not None:
                        return True
            return False
        return self.pattern.search(text.lower() if self.lower else text) is not None

    def candidates(self, text: str) -> frozenset[str] | None:
        """The patterns (their source text) that can match ``text``: those whose required word
        it holds. None: any pattern may (no automaton, or text outside ASCII)."""
        if self.words is None or not text.isascii():
            return None
        return frozenset(p.pattern for _, group in self.words.iter(text.lower()) for p in group)


def _first(
    rules: Rules,
    any_: _Prefilter | None,
    text: str,
    stated: bool = False,
    when: tuple[datetime, datetime] | None = None,
    marked: bool = False,
) -> tuple[Kind, str] | None:
    """The first rule with a match in ``text``; ``stated``: only a match its clause states (see
    the module's rules on questions, negations, talk, plans, reports of the cause and partial
    recoveries). ``when``: (the message's time, the incident's start), both UTC, for the rule on
    a step reported with a time before the incident. ``marked``: the text marks a step at its
    own time (a dashboard annotation: "Rollback checkout to v2.3.0"), so a bare step word is
    the step (``_BARE``)."""
    if any_ is not None and not any_.search(text):
        return None
    # only the patterns whose required word the text holds can match (one automaton pass)
    can = any_.candidates(text) if any_ is not None and stated else None
    partial: str | None = None
    for kind, patterns in rules:
        for pattern in patterns:
            if can is not None and pattern.pattern not in can:
                continue
            if not stated:
                if match := pattern.search(text):
                    return kind, _words(match.group(0))
                continue
            for match in pattern.finditer(text):
                start, end = match.start(), match.end()
                if not states(text, start, end, kind in _ACTIONS, kind is Kind.DECLARE):
                    continue
                taken = _taken(kind, text, start, end, when)
                if taken is kind:
                    if kind is Kind.MITIGATE and not marked and _BARE.match(match.group(0)):
                        said = _said_of_bare(text, start, end)
                        if said is None:
                            continue  # "revert in parallel", "revert #419 approved": no step
                        return kind, _words(text[said[0] : said[1]])
                    return kind, _words(match.group(0))
                if taken is Kind.UPDATE and partial is None:
                    partial = _words(match.group(0))
    # a partial recovery and nothing else: a status ("half the pods recovered, ...")
    return (Kind.UPDATE, partial) if partial is not None else None


_BARE = re.compile(r"(?:revert|roll[\s-]?back|scale|fail|mitigate)\b", re.IGNORECASE)
"""A mitigation's words in a bare form, a verb's base or a noun ("revert", "roll back",
"rollback", "scale up", "fail over", "mitigate"): an instruction ("revert in parallel", "roll
back ledger-consumer to the previous revision", "Luis restart first, then revert"), an approval
("revert #419 approved") or a name of the step, unless its clause says it done or under way
(``_STATE_AFTER``, ``_STATE_BEFORE``)."""
_STATE_AFTER = re.compile(
    r"^\W*(?:[\w#./:()'-]+\s+){0,5}?(?:(?:is|was|were|are|has|have|been|got|now|just|already"
    r"|fully|all|being)\s+)*(?:done|completed?|finished|live|out(?!\s+of\b)|in place|applied"
    r"|deployed|shipped|rolled out|went out|gone out|landed|succeeded|successful|worked|merged"
    r"|in progress|under ?way|started|kicked off|running|ongoing)\b",
    re.IGNORECASE,
)
"""After a bare step's words, in its clause: said done or under way ("rollback done", "revert of
#412 live 14:52", "revert is out", "rollback to v2.3.0 completed", "deploy of the revert
started", "revert in progress"); not "approved", "pending", "in parallel"."""
_STATE_WORD = re.compile(
    r"\b(?:done|completed?|finished|live|in place|applied|deployed|shipped|succeeded|successful"
    r"|in progress|under ?way|started|kicked off|running|ongoing)\b",
    re.IGNORECASE,
)
"""A state word inside a pattern's own match ("scale-out done" where a pattern names it)."""
_STATE_BEFORE = re.compile(
    r"\b(?:did|ran|doing|running|start(?:ed|ing)|kick(?:ed|ing) off|trigger(?:ed|ing)"
    r"|initiat(?:ed|ing)|began|completed|finished|ship(?:ped|ping)|deploy(?:ed|ing)"
    r"|appl(?:ied|ying)|execut(?:ed|ing)|perform(?:ed|ing)|merged|push(?:ed|ing)"
    r"|roll(?:ed|ing) out)\s+(?:(?:a|an|the|our|that|this|its)\s+)?(?:[\w#./-]+\s+){0,2}?$",
    re.IGNORECASE,
)
"""Before a bare step's words, in its clause: a verb saying it done or under way ("did a
rollback", "started the rollback", "deployed the revert", "kicking off a failover")."""


def _said_of_bare(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of a bare step's words with the words saying it done or under way ("did a
    rollback", "revert started": ``metrics.under_way`` reads a start from them), or None: no
    step ("revert in parallel", "revert #419 approved", "roll back x to the previous
    revision")."""
    if _STATE_WORD.search(text[start:end]) is not None:
        return start, end  # the pattern's own words say it: "scale-out done", "rollback done"
    before = _CLAUSE_END.split(text[:start])[-1]
    if (verb := _STATE_BEFORE.search(before)) is not None:
        return start - len(before) + verb.start(), end
    after = text[end:]
    cut = _CLAUSE_END.search(after)
    rest = after[: cut.start()] if cut is not None else after
    if (state := _STATE_AFTER.match(rest)) is not None:
        return start, end + state.end()
    return None


def _taken(
    kind: Kind, text: str, start: int, end: int, when: tuple[datetime, datetime] | None
) -> Kind | None:
    """The kind a stated match of ``kind`` gives: ``kind`` when it is the step itself; None for a
    plan for later ("revert after") or a report of the cause ("..., that's what kicked this off";
    a step said done with a time before the incident's start); ``update`` for a partial recovery
    ("half the pods recovered, the other 6 still throwing": a status, no resolution)."""
    if kind not in _ACTIONS:
        return kind
    after = text[end:]
    cut = _CLAUSE_END.search(after)
    rest = after[: cut.start()] if cut is not None else after
    done = _DONE.search(text[start:end]) is not None
    later = _LATER.search(rest) if not done else None
    if later is not None and not (kind is Kind.UPDATE and later.group(0)[:5].lower() == "after"):
        return None  # "revert after", "roll back later": a plan (a status "after the rollback")
    if _PLAN_HEAD.search(_SENTENCE_END.split(text[:start])[-1]) is not None:
        return None  # "plan: revert #2291, then scale out"
    if not done:
        own = rest[: m.start()] if (m := _RELATIVE.search(rest)) is not None else rest
        before = _APOSTROPHE.sub("'", _CLAUSE_END.split(text[:start])[-1])
        if _COMING.search(_APOSTROPHE.sub("'", own)) is not None or _WILL.search(before):
            return None  # "Revert of #2291 coming", "revert first", "we will revert": a plan
    if kind is Kind.UPDATE or kind is Kind.RESOLVE:
        ends = _SENTENCE_END.search(after)
        sentence = _SENTENCE_END.split(text[:start])[-1] + text[start:end]
        sentence += after[: ends.start()] if ends is not None else after
        if _ELSEWHERE.search(sentence) is not None:
            return None  # "staging is back to normal": another place's recovery
        if _HOPE.search(_SENTENCE_END.split(text[:start])[-1]) is not None:
            return None  # "hopefully back to normal", "waiting for lag to get back to 0"
    if kind is Kind.DECLARE or kind is Kind.UPDATE:
        return kind  # a declaration; a status page post, customer comms
    if kind is Kind.MITIGATE and (
        (
            not _anyones(text[start:end], before := _CLAUSE_END.split(text[:start])[-1])
            and _described(before)
        )
        or _quoted(text, start)
        or _attribute(text, start)
    ):
        return None  # "it's draining 6 nodes at a time": the failing thing's doing, no step
    if _CAUSE.search(after) is not None:
        return None  # "the DB failed over at 08:10 UTC, that's what kicked this off"
    if kind is Kind.MITIGATE and _mishap(text, start, end):
        return None  # "indices got deleted by accident": data lost, an impact, no step
    if done and when is not None:
        posted, incident_start = when
        sentence_start = len(text[:start]) - len(_SENTENCE_END.split(text[:start])[-1])
        ends = _SENTENCE_END.search(after)
        sentence = text[sentence_start : end + (ends.start() if ends is not None else len(after))]
        at = recent_utc(sentence, posted)
        if at is not None and at < incident_start:
            return None  # "Patroni failed over payments-db at 08:10": before the incident
    if kind is Kind.RESOLVE:
        before = _CLAUSE_END.split(text[:start])[-1]
        if _ATTRIBUTE.search(before) is not None and _NOUN.match(after) is not None:
            return None  # "the stale upstream in its cache on the recovered nodes": an attribute
        if "partial" in text[start:end].lower():
            return Kind.UPDATE  # "partial recovery: 30 of 44 nodes resolving cleanly"
        if _PARTIAL.search(before) is not None or _STILL_BAD.search(after) is not None:
            return Kind.UPDATE  # "half the pods recovered, the other 6 still throwing"
        if _METRIC.search(before) is not None:
            return Kind.UPDATE  # "latency recovered": a metric's, an observation
    return kind


_MISHAP = re.compile(
    r"\b(?:by (?:accident|mistake)|accidental(?:ly)?|mistaken(?:ly)?|unintentional(?:ly)?"
    r"|inadvertent(?:ly)?|in error|oops|whoops|wrong (?:index|indices|table|topic|database|db"
    r"|bucket|snapshot|cluster|one))\b",
    re.IGNORECASE,
)
"""In a mitigation's sentence: the step was a mistake ("indices got deleted by accident",
"someone accidentally dropped the table", "oops, deleted the wrong index"): data lost, an
impact to report, not a responder's step that reduces it."""


def _mishap(text: str, start: int, end: int) -> bool:
    """Whether the sentence of ``text[start:end]`` says the step was a mistake (``_MISHAP``)."""
    if _MISHAP.search(text) is None:
        return False  # most texts: one search
    head = _SENTENCE_END.split(text[:start])[-1]
    after = text[end:]
    ends = _SENTENCE_END.search(after)
    tail = after[: ends.start()] if ends is not None else after
    return _MISHAP.search(f"{head}{text[start:end]}{tail}") is not None


def states(text: str, start: int, end: int, action: bool = True, titled: bool = False) -> bool:
    """Whether ``text[start:end]`` (a milestone pattern's match) is stated: its clause is no
    question and does not negate it (the module's rule). ``action``: the match names a step
    someone takes (mitigate, resolve, declare), so a negation, failure, ETA or opinion after it
    undoes it; a statement of fact (impact, root cause) goes on with such words ("customers are
    reporting failed payments"). ``titled``: words after a colon describe the match, they do not
    undo it (a declaration and its title: "declaring SEV-1: orders writes failing")."""
    text = _masked(text, start, end)
    before = _CLAUSE_END.split(text[:start])[-1]
    after = text[end:]
    cut = _CLAUSE_END.search(after)
    if cut is not None and cut.group(0).startswith("?"):
        return False
    rest = after[: cut.start()] if cut is not None else after
    if cut is None and rest.rstrip().endswith("?"):
        return False
    before = _APOSTROPHE.sub("'", before)
    if _NOT_STATED.search(before) is not None or _NOT_YET.match(rest) is not None:
        return False
    rest = _URL.sub(" ", _APOSTROPHE.sub("'", rest))
    clause = f"{_URL.sub(' ', before)} {text[start:end]} {rest}"
    if _HABIT.search(clause) is not None:
        return False
    done = _DONE.search(text[start:end]) is not None
    if action and not done:
        own = rest[: m.start()] if (m := _RELATIVE.search(rest)) is not None else rest
        if titled and (colon := _TITLE.search(own)) is not None:
            own = own[: colon.start()]  # "declaring SEV-1: orders writes failing"
        if (hit := _AFTER_NOT.search(own)) is not None and not _FAILED_WORD.search(
            own[: hit.end()]
        ):
            return False
    about = clause if not done else before
    if _REFERENCE.search(about) is not None or _TALK.search(about) is not None:
        return False
    if not done and _REQUEST.search(clause) is not None:
        return False  # "revert PR please": asked for, not taken
    sentence = _SENTENCE_END.split(text[:start])[-1]
    earlier = sentence[: len(sentence) - len(_CLAUSE_END.split(sentence)[-1])]
    if not done and _CONDITION.search(earlier) is not None:
        return False  # "if the error rate stays up, we roll back": a plan
    return _NEGATION.search(_APOSTROPHE.sub("'", earlier)) is None


def _masked(text: str, start: int, end: int) -> str:
    """``text`` with each ``NOT_TALK`` phrase outside ``text[start:end]`` blanked."""
    lowered = text.lower()
    masked = text
    for gates, pattern in _MASKS:
        if any(gate in lowered for gate in gates):
            masked = pattern.sub(lambda m: " " * len(m.group(0)), masked)
    if masked is text:
        return text
    return masked[:start] + text[start:end] + masked[end:]


def _words(matched: str) -> str:
    words = " ".join(matched.split()).lower()
    return words if len(words) <= KEYWORD_MAX else words[: KEYWORD_MAX - 1].rstrip() + "…"


def compile_classifier(config: ClassifyConfig) -> Classifier:
    """The config's patterns compiled (cached per distinct set of patterns)."""
    human = tuple((name, tuple(getattr(config, name))) for name in HUMAN_KINDS)
    bot = tuple((name, tuple(patterns)) for name, patterns in config.bot_kinds.items())
    return _compile(human, bot, tuple(config.impact))


@lru_cache(maxsize=16)
def _compile(
    human: tuple[tuple[str, tuple[str, ...]], ...],
    bot: tuple[tuple[str, tuple[str, ...]], ...],
    impact: tuple[str, ...] = (),
) -> Classifier:
    # impact patterns last, as kind ``message``: they keep a person's message (no kind change)
    spec = (*human, ("message", impact)) if impact else human
    human_rules = _rules(spec, "")
    impact_rules = human_rules[-1][1] if impact else ()
    return Classifier(human_rules, _rules(bot, "bot_kinds."), _any(spec), _any(bot), impact_rules)


def _rules(spec: tuple[tuple[str, tuple[str, ...]], ...], prefix: str) -> Rules:
    rules = []
    for name, patterns in spec:
        try:
            kind = Kind(name)
        except ValueError:
            known = ", ".join(k.value for k in Kind)
            raise ConfigError(
                f"[classify] {prefix}{name}: unknown kind; use one of {known}"
            ) from None
        compiled = []
        for pattern in patterns:
            try:
                compiled.append(re.compile(pattern, re.IGNORECASE))
            except re.error as exc:
                raise ConfigError(
                    f"[classify] {prefix}{name}: bad regular expression {pattern!r}: {exc}"
                ) from exc
        rules.append((kind, tuple(compiled)))
    return tuple(rules)


def _any(spec: tuple[tuple[str, tuple[str, ...]], ...]) -> _Prefilter | None:
    patterns = [p for _, group in spec for p in group]
    # Group numbers shift inside an alternation: no prefilter for patterns using backreferences.
    if not patterns or any(re.search(r"\\\d|\(\?P=", p) for p in patterns):
        return None
    joined = "|".join(f"(?:{p})" for p in patterns)
    lower = joined == joined.lower() and joined.isascii()
    flags = 0 if lower else re.IGNORECASE
    try:
        pattern = re.compile(joined, flags)
    except re.error:
        return None
    anycase = re.compile(joined, re.IGNORECASE) if lower else None
    if required_words(patterns) is None:
        return _Prefilter(pattern, lower, anycase=anycase)
    import ahocorasick

    gates: dict[str, list[re.Pattern[str]]] = {}
    for one in patterns:
        needs = required_words([one])
        assert needs is not None  # every pattern has one: the whole set has
        gates.setdefault(needs[0], []).append(re.compile(one, flags))
    automaton = ahocorasick.Automaton()
    for word, gated in gates.items():
        automaton.add_word(word, tuple(gated))
    automaton.make_automaton()
    return _Prefilter(pattern, lower, automaton, anycase)


def classify(
    events: Iterable[Event], classifier: Classifier, start: datetime | None = None
) -> tuple[list[Event], dict[str, str]]:
    """Events with their kinds from text, and the matched words per classified event key.
    ``start``: the incident's start (UTC): a step a message reports done at a time before it
    is a report of the cause, no milestone."""
    out: list[Event] = []
    keywords: dict[str, str] = {}
    human_any = classifier.human_any
    for event in events:
        # The bulk of a channel: a person's message no pattern can match (one search).
        if human_any is not None and "human" in event.tags and not human_any.search(event.summary):
            out.append(event)
            continue
        if classifier.impact and (
            "human" in event.tags or event.kind is Kind.ANNOTATION or NOTE in event.tags
        ):
            impact = classifier.impact_words(note_text(event.summary))
            if impact is not None:
                event = evolve(event, tags=event.tags | {"impact"})
        found = classifier.classify(event, start)
        if found is None:
            out.append(event)
            continue
        kind, words = found
        keywords[event.key] = words
        if kind is Kind.MITIGATE and ("human" in event.tags or NOTE in event.tags):
            if under_way(words, event.summary):
                event = evolve(event, tags=event.tags | {UNDER_WAY})
        if kind is Kind.DEPLOY and "bot" in event.tags and ROLLBACK.search(event.summary):
            undo = {"rollback", "revert"} if REVERT.search(event.summary) else {"rollback"}
            event = evolve(event, tags=event.tags | undo)
        out.append(evolve(event, kind=kind) if kind is not event.kind else event)
    return out, keywords


_TRIGGERED_BY = re.compile(r"\btriggered by\b", re.IGNORECASE)
_BY_PERSON = re.compile(r"\b(?:triggered|requested|initiated) by\s+<?@", re.IGNORECASE)
"""Who started a deploy, as a deploy bot names them: "(triggered by @tomas)", "triggered by
<@U14TOMASGA>" (Slack's mention)."""


_STEP_TRIGGERED = re.compile(
    r"\btriggered\s+(?:(?:a|an|the)\s+)?(?:[\w./-]+\s+){0,2}?(?:failover|switchover)\b",
    re.IGNORECASE,
)
"""An automation's post that it started a step ("Patroni triggered a failover of orders-pg to
replica-1"): "triggered" names who took the step, as in a deploy bot's "triggered by @marco"."""


def _step_trigger(text: str, words: str) -> bool:
    """A bot's post whose only alert word is "triggered" with a step as its object (a failover, a
    switchover): the automation's own step, read like a person's message (a mitigation), no
    alert firing."""
    return words.lower() == "triggered" and _STEP_TRIGGERED.search(text) is not None


def _deploy_trigger(text: str, words: str) -> bool:
    """A deploy bot's post whose only alert word is who triggered the deploy: a start post
    ("Deploying checkout 4f2c9e1 to production, triggered by @marco": ``deploystart.STARTING``)
    or a finish post naming a person ("auth-service 5e1f0c2 is live in production (triggered by
    @tomas)": ``deploystart.FINISHED``)."""
    if words.lower() != "triggered" or _TRIGGERED_BY.search(text) is None:
        return False
    if STARTING.search(text) is not None:
        return True
    return FINISHED.search(text) is not None and _BY_PERSON.search(text) is not None
