"""Settings: a TOML file, overridden by the environment, over sensible defaults.

Where the file comes from, first match wins: ``--config FILE``; ``./reconstruct.toml``; the user
config dir (``reconstruct config-path`` prints it). Any key can also be set in the environment as
``RECONSTRUCT_<TABLE>__<KEY>`` (``RECONSTRUCT_WINDOW__BEFORE=2h``). Tokens come only from the
environment (``PAGERDUTY_TOKEN``, ``SLACK_TOKEN``, ``GITHUB_TOKEN``, ``GRAFANA_TOKEN``) and are
never printed: ``Secret.__repr__`` hides them.

Unknown keys and bad values raise ``ConfigError`` naming the file, the ``[table] key`` and the fix.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    create_model,
    field_validator,
)

from reconstruct.errors import ConfigError
from reconstruct.subject import BRACKET as SUBJECT_BRACKET
from reconstruct.timeutil import parse_duration

CONFIG_NAME = "reconstruct.toml"
ENV_PREFIX = "RECONSTRUCT_"
TOKEN_ENV = {
    "pagerduty": "PAGERDUTY_TOKEN",
    "slack": "SLACK_TOKEN",
    "github": "GITHUB_TOKEN",
    "grafana": "GRAFANA_TOKEN",
}


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):  # shown as the file has it (``true``, ``5``), not Python's
        raise ValueError(f"invalid duration {_toml_text(value)} (write it in quotes: 1h30m, 14d)")
    return parse_duration(value)


Duration = Annotated[
    timedelta,
    BeforeValidator(_duration),
    PlainSerializer(lambda d: f"{int(d.total_seconds())}s", return_type=str),
]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TlsConfig(_Table):
    ca_bundle: Path | None = None
    """PEM file of CA certificates to trust for every HTTPS source (a proxy's or a test CA)."""


class PagerDutyConfig(_Table):
    base_url: str = "https://api.pagerduty.com"

    @field_validator("base_url")
    @classmethod
    def _https(cls, url: str) -> str:
        """The PagerDuty SDK talks HTTPS only (``pagerduty.RestApiV2Client`` refuses any other
        scheme): checked here so the error names the file or variable the URL came from."""
        if not url.strip().lower().startswith("https://"):
            raise ValueError(
                f"{url!r} must start with https:// (https://api.pagerduty.com, or "
                "https://api.eu.pagerduty.com for EU accounts)"
            )
        return url


class SlackConfig(_Table):
    base_url: str = "https://slack.com/api/"
    channels: tuple[str, ...] = ()
    """Extra channels read over the same window (IDs or #names): alerts, deploys."""
    incident_channel: str = "inc-{number}"
    """Name template of the incident's own channel: {number}, {id}, {slug} are filled in."""
    page_size: int = Field(default=999, ge=1, le=999)
    """``limit`` of conversations.history/replies: Slack's maximum, 999 (fewer when refused)."""
    workspace_url: str | None = None
    """https://WORKSPACE.slack.com/: permalinks for --slack-export (the API run asks auth.test)."""
    thread_lookback: Duration = timedelta(hours=24)
    """How far before the window history is read for threads whose replies fall inside it."""


DEFAULT_LEADUP_MATCH = (
    "config",
    "ttl",
    "timeout",
    "pool",
    "flag",
    "cache",
    "migration",
    "limit",
    "retry",
)
"""``[github] leadup_match`` when the config sets none (or sets these same terms)."""


class GitHubConfig(_Table):
    base_url: str = "https://api.github.com"
    repos: tuple[str, ...] = ()
    environments: tuple[str, ...] = ("production",)
    services: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """PagerDuty service name -> repos (owner/name)."""
    leadup_match: tuple[str, ...] = DEFAULT_LEADUP_MATCH
    """Terms that make a lead-up change relevant: set here, one alone is enough; the default's
    count only with a mention tied to the incident (``LeadupSettings.default_terms``)."""
    leadup_deploys: int = Field(default=3, ge=0)
    """How many of the latest deploy rows before the window with a tie to the incident the
    timeline shows, newest first (``normalize.leaddeploys``); the deploy that shipped a lead-up
    change shown comes beyond."""
    leadup_changes: int = Field(default=5, ge=0)
    """At most this many lead-up changes chosen by relevance (changes named in the evidence are
    always shown)."""
    window_changes: Literal["related", "all"] = "related"
    """Deploys and merged PRs during the incident window: ``related``, only those with a tie to
    the incident are rows (``normalize.during``), the others a named count; ``all``, every one.
    The lead-up deploys too: ``related``, only those with a tie count toward ``leadup_deploys``."""

    @field_validator("repos")
    @classmethod
    def _owner_repo(cls, repos: tuple[str, ...]) -> tuple[str, ...]:
        for repo in repos:
            if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
                raise ValueError(f"{repo!r} is not owner/name")
        return repos


class GrafanaConfig(_Table):
    url: str | None = None
    dashboards: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    org_id: int | None = None
    """Sent as X-Grafana-Org-Id on multi-org instances."""
    page_size: int = Field(default=1000, ge=1, le=5000)
    """``limit`` of each /api/annotations request; a full page means there may be more."""


class WindowConfig(_Table):
    before: Duration = timedelta(hours=1)
    after: Duration = timedelta(minutes=30)
    leadup: Duration = timedelta(days=14)


class NormalizeConfig(_Table):
    merge_window: Duration = Field(default=timedelta(minutes=5), gt=timedelta(0))
    """Two tools' records of one occurrence must lie this close in time to become one row."""
    instance_window: Duration = Field(default=timedelta(minutes=6), gt=timedelta(0))
    """A tool's record of one alert instance and a chat notification of it (same rule, state
    and instance labels) may lie this far apart: Alertmanager's default group_wait (30 s) and
    group_interval (5 m) hold a notification back up to 5 m 30 s; 30 s more for delivery."""


_SETTING = (
    r"\s+(?:the |a |an |our |its )?(?:[\w./-]+\s+){0,3}?(?:pool|size|limits?|volumes?|disks?"
    r"|memory|mem|cpu|capacity|replicas|connections|timeouts?|quota|heap|max_\w+|retention"
    r"|partitions|threads|workers|storage|throughput|iops|shards|concurrency)\b"
)
"""What raising or expanding acts on: "Raised pool size to 50", "Expanded kafka-broker-2 data
volume", "bumped the memory limit"; not "raised a ticket", "raised the priority"."""
_METRIC = (
    r"(?:latency|latencies|error(?:s|\s+rate)?|(?:5|4)xx|p\d\d|lag|load|traffic|(?:cpu|memory|mem"
    r"|disk|heap)\s+(?:usage|utili[sz]ation|pressure)|usage|utili[sz]ation|response\s+times?)\b"
)
"""What rises by itself: a symptom, no setting ("error rate increased to 5%")."""
_NEW_VALUE = (
    rf"\s+(?!(?:to|from|by|up|a|an|the\s+{_METRIC})\b)(?!{_METRIC}|\d)(?:(?:the|our|its)\s+)?"
    r"[\w./:-]+(?:\s+[\w./:-]+){0,2}?\s+(?:(?:from\s+)?[\w.%]+\s*(?:->|\u2192|=>|to)\s*\d"
    r"|to\s+\d)"
)
"""A setting given a new value after its name, whatever the setting: "raised redis-checkout
maxmemory 12gb -> 16gb", "increased maxmemory to 16gb", "bumped max_connections from 100 to
200", "bumped replicas to 2x"; not a metric rising ("error rate increased to 5%", "latency
bumped to 3s", "traffic increased 3x to 12k rps": no object before the value, a count or
``_METRIC`` as the object)."""
_STARTED = (
    r"\b(?:start(?:ed|ing)|kick(?:ed|ing) off|trigger(?:ed|ing)|initiat(?:ed|ing)|ran|running"
    r"|began|beginning|execut(?:ed|ing)|issu(?:ed|ing)|perform(?:ed|ing)|did|doing"
    r"|complet(?:ed|ing)|finish(?:ed|ing))"
    r"\s+(?:(?:a|an|the|our)\s+)?(?:[\w./-]+\s+){0,2}?"
)
"""A failover or switchover named as a noun and started, said done or under way ("starting
patronictl failover orders-pg --candidate orders-pg-replica-1", "kicked off patroni failover
to replica-1", "triggered a switchover"); not "should we start a failover?" (bare verb)."""
_COMPLETED = (
    r"(?:['\u2019]s)?(?:\s+(?:to|of|for)\s+[\w./:-]+)?"
    r"\s+(?:(?:is|was|has|has been|got|now|just)\s+)*"
    r"(?:complete[ds]?|done|finished|succeeded|successful)\b"
)
"""A failover or switchover said done after the noun ("failover completed at 10:42 UTC",
"failover to replica-1 done", "failover's done"); not "failover didn't help", "failover not done
yet"."""
_LIMIT_NAME = (
    r"max[\w.-]*|min[\w.-]*|[\w.-]+_[\w.-]+|(?:[\w.-]+\s+)?(?:pool[\s_-]?size|limits?|capacity"
    r"|timeouts?|quota|heap|retention|concurrency|ttl)"
)
"""A setting's name that is no count of anything: "maxmemory", "max_connections", "memory
limit", "pool size"."""
_SET_TO = (
    r"\b(?!(?:[\w.-]*(?:latency|error|rate|lag|usage|load|traffic|util)))(?:{names})"
    r"\s+(?:(?:was|were|has been|have been|got|is now|now|just)\s+)*{verb}\s+"
    r"(?:(?:from\s+)?\d[\w.%]*\s*)?(?:to|->|\u2192)\s*\d[\w.%]*"
)
"""A setting said given a new value, named before the verb (passive: someone did it):
"maxmemory raised to 16gb", "pool size increased from 20 to 50", "replicas bumped to 12"; not a
metric rising ("latency increased to 3s", "error rate bumped to 5%": no setting's name), nor a
count "increased" by itself ("connections increased to 5000", "queue size increased to 10k":
only ``_LIMIT_NAME`` with "increased"). ``{verb}``, ``{names}``: one pattern per verb, each
with a word the prefilter can require."""
_SET_VERBS = (
    ("raised", rf"{_LIMIT_NAME}|(?:[\w.-]+\s+)?(?:size|replicas|connections|partitions|threads"
     r"|workers|shards)"),
    ("bumped", rf"{_LIMIT_NAME}|(?:[\w.-]+\s+)?(?:size|replicas|connections|partitions|threads"
     r"|workers|shards)"),
    ("upped", rf"{_LIMIT_NAME}|(?:[\w.-]+\s+)?(?:size|replicas|connections|partitions|threads"
     r"|workers|shards)"),
    ("increased", _LIMIT_NAME),
)  # fmt: skip
_NOT_FIX = (
    r"(?:pag|escalat|ack|acknowledg|resolv|creat|open|check|look|verif|test|review|inspect"
    r"|confirm|watch|monitor|quer|investigat|debugg|trac|post|updat|writ|ping|call|notif|email"
    r"|messag|fil|assign|tagg|label|link|read|compar|count|measur|search|grepp|tail)\w*\b"
)
"""Verbs of looking or of the response's own paperwork: "manually paged Kim", "checked it
manually" are no step."""
_SEEING = (
    r"(?:\s+(?:team|here|folks))?\s*(?:is|are|has been|have been|'s|'re)?\s*"
    r"(?:seeing|getting|receiving|reporting|fielding|flooded with|swamped with)\b"
)
"""Support reporting customers' failures: "support is seeing tickets about failed checkouts"."""
_PUBLISHED = (
    r"\s+(?:(?:has been|have been|was|were|is|are|got|now|just)\s+)*(?:updated|posted|published"
    r"|sent|up|live|out|went out|gone out)\b"
)
"""A post or message said published: "status page post is up", "customer comms sent"."""
_BACK = r"(?:(?:is|are|was|were|has|have|been|now|all|fully|finally|mostly|just)\s+)*"
"""Between a metric and the words saying it recovered: "lag is back to 0", "p99 has been back
under 200ms"."""
_RECOVERED = (
    r"\bback (?:to|at) (?:normal|baseline|nominal|green|healthy|zero|0(?![\d.,:])"
    r"|pre-incident|usual|expected|steady)\b",
    r"\bback (?:under|below|down to|down under|down below|within)\s+(?:the\s+)?(?:~\s*)?"
    r"(?:\d[\d.,]*\s*(?:ms|s|%|k|m|rps|qps)?(?!\w)|slos?\b|slas?\b|thresholds?\b|budget\b)",
    *(
        rf"\b(?:queues?|backlogs?|lag|dlqs?|dead[\s-]letter queues?)\s+{_BACK}{verb}\b"
        for verb in ("drained", "empty", "emptied", "caught up")
    ),  # one pattern per word: the prefilter requires it
    rf"\b(?:consumers?|replicas?|replication|followers?|workers?)\s+{_BACK}caught up\b",
    rf"\ball\s+(?:\d+\s+)?(?:of\s+(?:the\s+)?)?(?:[\w-]+\s+)?(?:pods|nodes|hosts|instances|replicas"
    rf"|brokers|workers|backends|targets|shards|members|probes|checks|regions)\s+{_BACK}"
    r"(?:back\s+)?(?:healthy|green|ready|up|serving|passing|in service)\b",
)
"""A responder's observation that the service recovered, a metric back where it belongs: "5xx
back to baseline", "error rate back to normal", "p99 back under 200ms", "lag is back to 0",
"queue drained", "consumers caught up", "all 30 pods healthy". A status row (kind ``update``),
no milestone: a metric recovering is no mitigation (nobody did anything) nor the resolution
(the incident tool resolves it); a question, plan, hope or negation about it ("is latency
back to normal?", "should be back to baseline once the cache warms", "not back to normal
yet"), another environment's or an earlier incident's ("staging is back to normal", "last
time lag was back to 0 in minutes") set none (``classify``)."""
_COMMS = ("comms", "communication", "email", "notice", "notification")
_AUDIENCE = r"(?:customer|external|stakeholder|merchant|user)s?"
_COMMS_SENT = rf"\b{_AUDIENCE}\s+{{noun}}s?{_PUBLISHED}"
"""Customer comms said sent, the message named first: "customer comms sent", "external
communication is out". ``{noun}``: one pattern per noun (a word the prefilter can require)."""
_SENT_COMMS = (
    r"\b(?:sent|sending|posted|published|emailed)\s+(?:out\s+)?(?:the\s+|a\s+|an\s+|our\s+)?"
    rf"{_AUDIENCE}\s+{{noun}}s?\b"
)
"""Customer comms said sent, the verb first: "sent the customer comms"."""
_NOTIFIED = (
    r"\b{verb}\s+(?:the\s+|all\s+|our\s+)?(?:affected\s+|impacted\s+)?(?:customers|merchants"
    r"|stakeholders|users)\b"
)
"""Customers told: "notified affected customers", "emailed the merchants"."""
_FLAG = (
    r"\s+(?:the\s+|a\s+|our\s+|all\s+)?(?:[\w./-]+\s+){0,3}?(?:(?:feature[\s-]?)?flags?|toggles?"
    r"|features?|experiments?|kill[\s-]?switch(?:es)?|auto-?upgrades?|autoscal(?:er|ing))\b"
)
"""A feature flag being turned off, said done or under way (an instruction, "disable the flag",
is no action): "Disabled flag search_v2_ranking", "disabling the search_v2_ranking flag",
"turned off the new-checkout feature"; not "disabled alerts" (no flag)."""
_FLAG_OFF = (
    r"(?:(?:has been|have been|got|was|were)\s+)?(?:disabled|turned off|switched off|killed"
    r"|flipped off|rolled back)\b(?!\s+(?:by default|in (?:staging|dev|test|qa)))"
)
"""After a flag and its name: "flag search_v2_ranking disabled", "feature flag X was turned off";
not a state ("flag X is disabled in staging", "the flag was disabled by default")."""
_OFF_OBJECT = (
    r"(?!(?:it|them|this|that)?\s*off\b)(?:the\s+|a\s+|our\s+|it\s+|that\s+)?(?!(?:alerts?|alerting"
    r"|notifications?|pag\w+|monitors?|monitoring|dashboards?|laptop|phone)\b)"
)
"""What a flag or a job is turned, switched, dialled or rolled on, not the response's own tools
("turned the flag off", "dialled checkout-pricing-v2 back to 25%"; not "turned alerts off")."""
_FLAG_NAMED_OFF = (
    r"\b(?:[\w.-]+[_-][\w.-]+|(?:feature[\s-]?)?flags?|toggles?|kill[\s-]?switch"
    r"|(?:rules?|polic(?:y|ies)|checks?|monitors?)\s+#?\d+)\s+"
    r"(?:(?:has been|have been|got|was|were|is now|now|just)\s+)?{verb}\b"
    r"(?=\s*(?:[,.;:!()\n\u2014-]|$|\s(?:at|around|now|as of|since|for (?:all|everyone|prod))\b))"
)
"""A flag's key (or a rule a console names by number: "rule 1002") said turned off after it,
ending its clause or before a time ("checkout-pricing-v2 disabled", "checkout-pricing-v2 turned
off at 14:20", "rule 1002 disabled, 403s dropping"): no subject doing it, so not "orders-api
disabled streaming" (an object after the verb: a system's doing). ``{verb}``: one pattern per
verb."""
_TO_LOG_ONLY = tuple(
    r"\b(?:set|setting|switched|switching|changed|changing|moved|moving|flipped|flipping|put"
    r"|putting)\b(?![^\n.;?]{0,60}?\bback\b)[^\n.;?]{0,60}?\b(?:from\s+block\s+)?(?:to|into|in)\s+"
    + mode
    + r"(?:\s+mode)?\b"
    for mode in (
        r"log(?:[\s-]only)?",
        r"monitor(?:ing)?",
        "simulate",
        "count",
        r"dry[\s-]?run",
        r"report[\s-]only",
        r"detection[\s-]?only",
        "permissive",
    )
)
"""A blocking rule switched to only watch, said done or under way (Cloudflare WAF's Log action,
AWS WAF's Count, ModSecurity's DetectionOnly, a policy's report-only or permissive mode):
"switched rule 1002 from block to log", "set rule 1002 to log-only", "putting the WAF in
monitor mode"; not a return ("set it back to log"), which names no new state."""
_JOB_NOUN = (
    r"(?:cron ?jobs?|jobs?|crons?|consumers?|workers?|backfills?|migrations?|syncs?|pipelines?"
    r"|rollouts?|upgrades?|queues?|[\w.-]+-(?:worker|consumer|job|cron|reconcile)|cronjob/[\w.-]+)"
)
_JOB_SUSPENDED = (
    rf"\b(?:[\w./-]+\s+)?{_JOB_NOUN}\s+(?:(?:has been|have been|got|was|were|is now|now|just)\s+)?"
    r"{verb}\b(?=\s*(?:[,.;:!()\n\u2014-]|$|\s(?:at|around|now|as of|since|until|for now|so|and"
    r"|to (?:stop|halt|prevent))\b))"
)
"""A job said suspended or paused after its name ("reconcile cronjob suspended", "cronjob
suspended (14:29 UTC)", "orders-reconcile was paused at 14:29"), ending its clause or before a
time; not "the job was suspended last week", "the upgrade paused itself" (its own doing).
``{verb}``: one pattern per verb."""
_OFFENDER = (
    r"\s+(?!(?:by|on|from|for|until|to)\b)(?:the\s+|a\s+|that\s+|this\s+|those\s+|all\s+)?"
    r"(?:[\w./-]+\s+){0,2}?(?:ips?|ip ranges?|clients?|user[\s-]?agents?|tenants?|customers?|bots?"
    r"|crawlers?|scrapers?|asns?|cidrs?|callers?|\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?)\b"
)
"""Who blocking, banning or rate-limiting acts on: "blocked the bad client", "rate-limited
tenant acme-42", "banned 203.0.113.7"; not "rollback blocked by the freeze", "rate limited by
GitHub" (a limit put on us)."""
_WORK = (
    r"\s+(?:the\s+|all\s+|our\s+)?(?:[\w./-]+\s+){0,3}?(?:jobs?|consumers?|workers?|queues?"
    r"|cron(?:job)?s?|batch(?:es)?|backfills?|migrations?|ingestion|replication|rollouts?"
    r"|upgrades?|deploy(?:s|ments?)?|releases?|canar(?:y|ies)|operations?|pipelines?|syncs?"
    r"|autoscal(?:er|ing)|rebalanc(?:e|es|ing)|reindex(?:ing)?|compactions?"
    r"|[\w.-]+-(?:worker|consumer|job|cron))\b"
)
"""What stopping, cancelling or freezing acts on: "stopped the rollout", "cancelled the
upgrade operation", "froze deploys"; not "stopped seeing errors", "the UI froze"."""
_ANY = (
    r"\s+(?!(?:from|to|down|out|away|by|in|at|off|on|over|across|for|with|within|into|until"
    r"|till|since|after|before|during|while|as|and|or|but|because|so|then|now|yet|again|too|up"
    r"|back|slowly|quickly|fast|nicely|automatically|itself|themselves|constantly|repeatedly"
    r"|continuously|every\s+(?:\d+|few|other|time|minute|hour|second)|twice|once|there|here"
    r"|my|your|his|her|\d+\s*(?:x|times?))\b)(?!(?:(?:the|all|our)\s+)?(?:\w+\s+)?(?:alerts?"
    r"|alerting|alarms?|notifications?|pag(?:es|ing|er)|monitors?|monitoring|escalations?"
    r"|dashboards?|playlists?|calls?|bridge|meetings?|zoom|huddle|laptop)\b)"
    r"(?:(?:the|a|an|all|both|our|its)\s+)?"
    r"[\w<@#\"'`.-][\w<>@#./:-]*"
)
"""Any object: a word after the verb that is no preposition, adverb or count ("drained
gke-prod-pool-b-5c1d9e06", "cordoned nodes -06 and -07", "paused the pool-b node pool
upgrade", "halted the canary"); not "paused for a minute", "lag drained from the brokers", "pod
restarted 3 times", "restarting my laptop", nor the response's own tools ("paused alerts
for the maintenance", "aborting the call": not the fault).
Whose step it is, a responder's or the failing thing's ("it's draining 6 nodes at a time"),
``classify`` reads from the clause's subject."""

_NOT_STATE = r"(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )(?<!\bbeen )"
"""Before a flush word: not a state of the store ("redis is evicting keys": a symptom)."""
_FLUSHED = (
    r"\s+(?:the\s+|all\s+|our\s+)?(?:[\w./:-]+\s+){0,3}?(?:caches?|queues?|sessions?|keys?"
    r"|entries|dns|cdn|backlogs?|dlqs?|buffers?|[\w.-]+-(?:cache|redis|queue|sessions?)(?:-[\w-]+)?)"
    r"\b"
)
"""What flushing, purging, evicting or clearing acts on, said done or under way: "Flushed expired
sessions on redis-sessions-2", "purged the cache", "purging the CDN cache", "cleared the
queue"; not "cache flush is scheduled nightly" (a noun), "should we purge?" (bare verb)."""
_FLUSHED_AFTER = (
    r"\b(?:caches?|queues?|[\w.-]+-(?:cache|queue))\s+(?:(?:has been|have been|was|were|got)\s+)?"
    r"{verb}\b(?!\s+(?:nightly|daily|hourly|weekly|every|automatically|on (?:a )?schedule"
    r"|by default))"
)
"""A cache or queue said flushed after its name: "CDN cache purged", "the queue was cleared";
not a schedule ("cache cleared nightly"). ``{verb}``: one pattern per verb, each with a word the
prefilter can require."""


_DATA = (
    r"(?:\s+(?!(?:it|them|this|that|nothing|anything|everything)\b)(?:(?:the|all|our|some|a few"
    r"|several|most|\d+)\s+)?(?:[\w./:*-]+\s+){0,3}?(?:indices|indexes|index|tables?|partitions?"
    r"|snapshots?|backups?|logs?|log files|files|dumps?|core ?dumps?|heap ?dumps?|topics?"
    r"|segments?|rows|records|data|databases?|collections?|keyspaces?|buckets?|blobs|volumes?"
    r"|images|artifacts|wal|binlogs?|dead[\s-]?letter[\s-]?queues?|dlqs?|tmp|temp files)\b"
    r"|\s+(?:(?:the|index|table|topic|snapshot|partition|database|db|directory|dir|folder)\s+)*"
    r"(?=[a-z/])[\w/*~-]*[\d./_*-][\w./*~-]*\w)"
)
"""What deleting, dropping, truncating, purging, cleaning up, expiring, shrinking or force-merging
acts on, said done or under way: data that takes space (indices, tables, snapshots, logs,
files) or a name of one ("deleted indices logs-2026.11.20..24", "dropped logs-2026.11.20 to
logs-2026.11.24", "truncated the audit table", "cleaned up /var/log on db-3", "expired old
snapshots", "force-merged index logs-2026.11.19"); not "dropped the ball", "errors dropped to
1%", "deleted my message" (no data), "didn't delete anything yet" (a bare verb)."""
_DATA_GONE = (
    r"\b(?:(?:old|older|stale|expired|unused|obsolete|debug)\s+(?:[\w.-]+\s+){0,2}?(?:indices"
    r"|indexes|snapshots|backups|partitions|tables|logs|files)|(?=[a-z])[\w*-]*\d[\w./*-]*\w)"
    r"\s+(?:(?:have been|has been|were|was|got|are|is|now|all|just|been)\s+)*{verb}\b"
    r"(?!\s+(?:by|automatically|nightly|daily|hourly|weekly|every|accidentally|in error"
    r"|last|on (?:a )?schedule)\b)"
)
"""Data said deleted after its name, old data or a name with a digit ("old log indices deleted,
1.2TB freed", "old indices gone", "logs-2026.11.20..24 dropped"); not a system's or an
accident's doing ("deleted by ILM", "got deleted accidentally"), nor "the logs are gone" (data
lost). ``{verb}``: one pattern per verb."""
_BLOCK = (
    r"(?:\s+(?:(?:the|all|our|a|an)\s+)?(?:[\w./:-]+\s+){0,3}?(?:blocks?|read[\s_-]?only(?:[\w.-]*)"
    r"|watermarks?|settings?|overrides?|rate[\s-]?limits?|limits?|throttl(?:e|es|ing)|quotas?"
    r"|restrictions?|bans?|locks?|maintenance(?:[\s-]mode)?|flags?)\b"
    r"|\s+(?:(?:the|all)\s+)?[a-z][a-z-]*(?:[._][a-z-]+)+\b(?![/*]))"
)
"""A block, limit or setting being cleared, removed, reset, unset or lifted, said done or under
way: "cleared read_only_allow_delete on all indices", "removed the index.blocks.write block",
"reset cluster.routing.allocation.disk.watermark", "unset the maintenance flag", "lifted the
rate limit" (a setting's name: letters, ``_`` or ``.`` inside, no digit)."""
_BLOCK_LIFTED = (
    r"\b(?:blocks?|read[\s_-]?only[\w.-]*|[a-z][a-z-]*(?:[._][a-z-]+)+|watermarks?|rate[\s-]?limits?"
    r"|throttl(?:e|es|ing)|quotas?|restrictions?|bans?)\s+(?:(?:have been|has been|were|was|got"
    r"|is now|now|just|all)\s+)*{verb}\b(?!\s+(?:by|automatically|itself|on its own)\b)"
)
"""A block or limit said lifted after its name ("read_only_allow_delete cleared", "write block
removed", "rate limit lifted"); not the store's own doing ("the block was removed
automatically", "removed by Elasticsearch"). ``{verb}``: one pattern per verb."""


class ClassifyConfig(_Table):
    """Regular expressions (case-insensitive) that give a message its kind; first kind wins."""

    declare: tuple[str, ...] = (
        r"\bdeclar(?:e|ed|ing)\b.*\b(?:incident|sev[- ]?\d)",
        r"\b(?:incident|sev[- ]?\d)\b.*\bdeclared\b",
        r"\bopen(?:ed|ing)? (?:a |the )?war ?room\b",
    )
    identify: tuple[str, ...] = (
        r"\broot cause\b",
        r"\bfound (?:the )?(?:cause|culprit|problem|issue)\b",
        r"\b(?:is|was) caused by\b",
    )
    mitigate: tuple[str, ...] = (
        r"\bmitigat(?:e|ed|ing|ion)\b",
        r"\broll(?:ing|ed)? ?back\b",
        r"\brevert(?:ed|ing)?\b",
        rf"\bscal(?:(?:e|ed|ing) (?:up|out)\b|(?:ing|e[\s-]?(?:up|out)){_COMPLETED})",
        r"\bscal(?:ed|ing)\s+(?!(?:down|back|in|it)\b)[\w./-]+(?:\s+[\w./-]+){0,2}?\s+(?:up|out"
        r"|to\s+\d+|from\s+\d+)\b",
        r"\bfail(?:ing|ed)? over\b",
        r"\b(?:rollout|rolling|rolled out an?|did an?|doing an?|ran an?|kicked off an?) restart\b",
        rf"\brestart(?:(?:ed|ing){_ANY}|s?{_COMPLETED})",
        rf"\bbounc(?:ed|ing){_ANY}",
        rf"\brecycl(?:ed|ing){_ANY}",
        rf"\brais(?:ed|ing){_SETTING}",
        rf"\bincreas(?:ed|ing){_SETTING}",
        rf"\bbump(?:ed|ing){_SETTING}",
        rf"\bexpand(?:ed|ing){_SETTING}",
        rf"\bresiz(?:ed|ing){_SETTING}",
        rf"\brais(?:ed|ing){_NEW_VALUE}",
        rf"\bincreas(?:ed|ing){_NEW_VALUE}",
        rf"\bbump(?:ed|ing){_NEW_VALUE}",
        rf"\bupp(?:ed|ing){_NEW_VALUE}",
        rf"\bdisabl(?:ed|ing){_FLAG}",
        rf"\bkilled{_FLAG}",
        rf"\bkilling{_FLAG}",
        rf"\bturned off{_ANY}",
        rf"\bturning off{_ANY}",
        rf"\bswitched off{_ANY}",
        rf"\bswitching off{_ANY}",
        rf"\bdisabl(?:ed|ing){_ANY}",
        rf"\b(?:turn|switch)(?:ed|ing)\s+{_OFF_OBJECT}(?:[\w./-]+\s+){{0,3}}?off\b",
        rf"\bdial(?:l?ed|l?ing)\s+{_OFF_OBJECT}(?!back\b)(?:[\w./-]+\s+){{1,3}}?(?:back|down)\b",
        rf"\broll(?:ed|ing)\s+{_OFF_OBJECT}(?!back\b)(?:[\w./-]+\s+){{1,3}}?back\b",
        r"(?:^|(?<=[,;:.!\n]))\W*(?:the\s+)?(?:[\w./-]+\s+)?(?:feature[\s-]?)?flags?\s+(?:(?:is\s+)?now"
        r"\s+)?off\b(?!\s+(?:in|by|for|on)\b)",
        *(_FLAG_NAMED_OFF.replace("{verb}", verb) for verb in ("disabled", "killed")),
        *_TO_LOG_ONLY,
        *(_JOB_SUSPENDED.replace("{verb}", verb) for verb in ("suspended", "paused", "halted")),
        r"\b(?:set|setting|patched|patching)\b[^\n.;?]{0,60}?\bsuspend[\"']?\s*[:=]\s*true\b",
        r"\bpromot(?:ed|ing)\s+(?:the\s+)?(?:[\w./-]+\s+){0,2}?(?:[\w.-]*replica[\w.-]*|standby"
        r"|secondary|follower)\b",
        r"\bpromot(?:ed|ing)\s+(?:the\s+)?[\w./-]+(?:\s+[\w./-]+)?\s+to\s+(?:be\s+)?(?:the\s+)?"
        r"(?:new\s+)?(?:primary|leader|master|writer)\b",
        r"\b[\w./-]+\s+(?:(?:has been|was|got|is now|now|just)\s+)?promoted\s+to\s+(?:be\s+)?"
        r"(?:the\s+)?(?:new\s+)?(?:primary|leader|master|writer)\b",
        *(
            rf"\b(?:leader|primary|master)(?:ship)?\s+(?:has\s+)?{verb}\s+(?:over\s+)?to\b"
            for verb in ("moved", "switched", "changed", "passed")
        ),
        rf"\bturned off{_FLAG}",
        rf"\bturning off{_FLAG}",
        rf"\bswitched off{_FLAG}",
        rf"\bswitching off{_FLAG}",
        rf"\bflag(?:\s+(?!(?:is|are|was|were|stays|remains|by|in)\b)[\w./-]+){{0,2}}\s+{_FLAG_OFF}",
        r"\bflipp(?:ed|ing)\s+(?:the\s+)?(?:[\w./-]+\s+){0,3}?off\b",
        r"\b(?:flipp|pull|hitt|throw|engag|activat|trigger)(?:ed|ing)\s+(?:the\s+)?(?:[\w./-]+\s+)"
        r"{0,2}?kill[\s-]?switch\b",
        r"\bfail(?:ing|ed)\s+(?:the\s+|all\s+)?(?:[\w./-]+\s+)?(?:traffic|db|database|primary|writes"
        r"|reads|region|cluster|[\w.-]+-db) over\b",
        rf"{_STARTED}failover\b",
        rf"{_STARTED}switchover\b",
        rf"\bfailover{_COMPLETED}",
        rf"\bswitchover{_COMPLETED}",
        rf"\bdrain(?:ed|ing){_ANY}",
        rf"\b(?:un)?cordon(?:ed|ing){_ANY}",
        rf"\bblocked{_OFFENDER}",
        rf"\bblocking{_OFFENDER}",
        rf"\bban(?:ned|ning){_OFFENDER}",
        rf"\brate[\s-]?limit(?:ed|ing){_OFFENDER}",
        r"\bshedding (?:some |the )?(?:load|traffic)\b",
        r"\bshed load\b",
        r"\bshed traffic\b",
        rf"\bpaus(?:ed|ing){_ANY}",
        rf"\bsuspend(?:ed|ing){_ANY}",
        rf"\bhalt(?:ed|ing){_ANY}",
        rf"\babort(?:ed|ing){_ANY}",
        rf"\bstopp(?:ed|ing){_WORK}",
        rf"\bcancel(?:l?ed|l?ing){_WORK}",
        rf"\bfroze{_WORK}",
        rf"\bfreezing{_WORK}",
        rf"{_NOT_STATE}\bflush(?:ed|ing){_FLUSHED}",
        rf"{_NOT_STATE}\bpurg(?:ed|ing){_FLUSHED}",
        rf"{_NOT_STATE}\bevict(?:ed|ing){_ANY}",
        rf"{_NOT_STATE}\bcleared{_FLUSHED}",
        rf"{_NOT_STATE}\bclearing{_FLUSHED}",
        *(_FLUSHED_AFTER.replace("{verb}", verb) for verb in ("flushed", "purged", "cleared")),
        rf"\bdelet(?:ed|ing){_DATA}",
        rf"\bdropp(?:ed|ing){_DATA}",
        rf"\btruncat(?:ed|ing){_DATA}",
        rf"{_NOT_STATE}\bpurg(?:ed|ing){_DATA}",
        rf"\bremov(?:ed|ing){_DATA}",
        rf"\bclean(?:ed|ing)[\s-]?up{_DATA}",
        rf"{_NOT_STATE}\bclear(?:ed|ing){_DATA}",
        rf"\bexpir(?:ed|ing){_DATA}",
        rf"\bforce[\s-]?merg(?:ed|ing){_DATA}",
        rf"\bshr(?:unk|ank|inking){_DATA}",
        *(_DATA_GONE.replace("{verb}", verb) for verb in ("deleted", "dropped", "purged", "gone")),
        rf"{_NOT_STATE}\bclear(?:ed|ing){_BLOCK}",
        rf"\bremov(?:ed|ing){_BLOCK}",
        rf"\breset(?:ting)?{_BLOCK}",
        rf"\bunset(?:ting)?{_BLOCK}",
        rf"\blift(?:ed|ing){_BLOCK}",
        *(_BLOCK_LIFTED.replace("{verb}", verb) for verb in ("cleared", "removed", "lifted")),
        *(_SET_TO.replace("{verb}", verb).replace("{names}", names) for verb, names in _SET_VERBS),
        rf"\b(?!{_NOT_FIX})[a-z]+(?:ing|ed)\s+(?:[\w./:-]+\s+){{0,3}}?manually\b",
        rf"\bmanually\s+(?!{_NOT_FIX})[a-z]+(?:ing|ed)\b",
    )
    resolve: tuple[str, ...] = (
        r"\ball clear\b",
        r"\b(?:fully )?recovered\b",
        r"\bpartial(?:ly)? recover(?:y|ing)\b",
    )
    """A recovery said of the service ("all clear", "checkout recovered"); a partial one ("half
    the pods recovered", "partial recovery: 30 of 44 nodes") is a status (kind ``update``)."""
    impact: tuple[str, ...] = (
        r"\bimpact (?:start(?:ed|s)?|began|begins)\b",
        r"\bcustomers? (?:are |were |started |began )?(?:seeing|reporting|getting)\b",
        r"\busers? (?:are |were |started |began )?(?:seeing|reporting|getting)\b",
        r"\berrors? (?:started|began|spiked|spiking)\b",
        rf"\bsupport{_SEEING}",
        rf"\bhelp ?desk{_SEEING}",
        rf"\bcustomer (?:support|success|care|service){_SEEING}",
        r"\btickets? (?:are |is |started |starting )?(?:coming|rolling|pouring|flooding) in\b",
    )
    """A person's message or an annotation saying the service started hurting: tag ``impact``,
    a candidate for the impact start (the message keeps its kind). Support seeing tickets is
    customers reporting the failure ("support is seeing tickets about failed checkouts",
    "tickets are coming in about timeouts"): a symptom, so a candidate too (it counts only at or
    before detection, or from the time its words state). A running tally or a continuation
    ("support has 40 tickets so far", "customer tickets still coming in") says nothing new: no
    row."""
    update: tuple[str, ...] = (
        rf"\bstatus[\s-]?page(?:\s+(?:post|update|incident|entry|notice)){_PUBLISHED}",
        r"\bstatus[\s-]?page\s+(?:(?:has been|was|got|is now|now|just)\s+)*(?:updated|posted"
        r"|published)\b",
        r"\bstatus[\s-]?page\s*:\s*(?:investigating|identified|monitoring|resolved)\b",
        r"\bstatus[\s-]?page\s+(?:incident|post|entry)\s+(?:(?:is|was|has been|now)\s+)*(?:closed"
        r"|resolved|marked resolved)\b",
        r"\b(?:posted|posting|published|publishing|updated|updating|put|putting)\s+(?:(?:an?|the"
        r"|our)\s+)?(?:[\w-]+\s+){0,2}?(?:(?:on|to|in)\s+(?:the\s+|our\s+)?)?status[\s-]?page\b",
        *(_COMMS_SENT.replace("{noun}", noun) for noun in _COMMS),
        *(_SENT_COMMS.replace("{noun}", noun) for noun in _COMMS),
        *(_NOTIFIED.replace("{verb}", verb) for verb in ("notified", "notifying", "emailed")),
        r"\btickets?\s+(?:have\s+|has\s+)?(?:stopped|dried up|slowed down|stopped coming in)\b",
        r"\bno (?:new|more|further) (?:support |customer )?tickets\b",
        *_RECOVERED,
    )
    """Customer-facing communication and the customers' side of the recovery: a status page
    post or customer comms said done ("status page updated: investigating", "posted to
    statuspage", "customer comms sent"; not "do we need a status page post?", "status page is
    down"), support tickets stopping ("tickets have stopped", "no new tickets"), a metric back
    where it belongs ("5xx back to baseline", "lag is back to 0", "queue drained", "all 30 pods
    healthy": ``_RECOVERED``): kind ``update``, a row; never a mitigation (a post tells
    customers, it fixes nothing) nor the resolution (tickets lag the fix). Tried after the
    milestones: "rolled back checkout, status page updated" is a mitigation."""
    bot_kinds: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: {
            "alert": (
                rf"^\W*{SUBJECT_BRACKET}",  # a notifier's subject: [FIRING:2] X
                r"\btriggered\b",
            ),
            "deploy": (r"\bdeploy(?:ed|ment)\b", r"\brolled back\b", r"\brollback\b"),
            "change": (r"\bmerged\b",),
            "ack": (r"\backnowledged\b",),
            "escalate": (r"\bescalated\b",),
            "resolve": (r"\bresolved\b",),
        }
    )
    """Bot and app posts: kind -> patterns, tried in this order."""

    @field_validator("declare", "identify", "mitigate", "resolve", "impact", "update")
    @classmethod
    def _compiles(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc
        return patterns

    @field_validator("bot_kinds")
    @classmethod
    def _known_kinds(cls, kinds: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        from reconstruct.model import Kind

        known = {k.value for k in Kind} - {"message"}
        for kind, patterns in kinds.items():
            if kind not in known:
                raise ValueError(f"unknown kind {kind!r} (use one of {', '.join(sorted(known))})")
            cls._compiles(patterns)
        return kinds


class SelectConfig(_Table):
    emoji: tuple[str, ...] = ("pushpin", "rotating_light", "white_check_mark")
    """Reactions that put a person's message into the timeline: marks of significance, not of
    attention. 📌 ``pushpin`` is what incident.io and Rootly read as "add to the timeline", 🚨
    ``rotating_light`` flags an alarm, ✅ ``white_check_mark`` a step done or confirmed. 👀
    ``eyes`` ("looking") is no default: teams put it on everything."""


class RenderConfig(_Table):
    gap: Duration = Field(default=timedelta(minutes=15), gt=timedelta(0))
    """Silent stretches longer than this are listed under the table."""
    max_summary: int = Field(default=280, ge=40)
    diagram: bool = False
    """Put a Mermaid diagram of the incident above the Timeline table (``--diagram``)."""


class CollapseConfig(_Table):
    """Row economy (``normalize.steps``, ``normalize.collapse``)."""

    expand: bool = False
    """Show every record of a series as its own row (``--expand``), and every evidence link."""
    max_links: int = Field(default=5, ge=1)
    """Evidence links of one label (``PD alert``) a Markdown row shows; more show as the first
    and the last with their count (JSON keeps every link; ``expand`` shows them all). 5: a page
    by push, phone, SMS and email after its escalation still shows each log entry."""
    min_series: int = Field(default=3, ge=2)
    """Rows of one series (pages to one person, alerts of one rule and state) it takes to
    collapse them into one row."""
    flap_changes: int = Field(default=4, ge=2)
    """An alert rule flaps when it changes state at least this often within ``flap_window``."""
    flap_window: Duration = Field(default=timedelta(hours=1), gt=timedelta(0))
    step_window: Duration = Field(default=timedelta(minutes=1), gt=timedelta(0))
    """Records of one step (a page over several channels, an escalation and its page, one
    person's words in two tools) lie this close in time."""
    step_merge_window: Duration = Field(default=timedelta(minutes=20), gt=timedelta(0))
    """One person's records of the same step (kind and object: "failover orders-pg") in two or
    three tools lie this close in time, a report's stated time ("failover completed at 10:42
    UTC") counting for it: an annotation, an incident note minutes later and a Slack report
    after the dust settled."""
    pending_window: Duration = Field(default=timedelta(minutes=10), gt=timedelta(0))
    """An alert instance's Pending state followed by its firing within this long is one step,
    the firing's row (a Grafana rule's pending period, ``for``, is commonly 1 to 5 minutes)."""
    wave_gap: Duration = Field(default=timedelta(minutes=5), gt=timedelta(0))
    """A rule's firings or clearings further apart than this are two waves, each said at its own
    time (5 of 8 instances back at 14:33, the last 3 at 14:42: a partial recovery; 25 pods
    firing again at 10:40); closer, a few instances (fewer than ``min_series``) are one row
    naming them (two replicas' lag alerts a minute apart)."""
    same_words: float = Field(default=0.6, gt=0, le=1)
    """One person's two records are one step when this share of the shorter one's words are in
    the other."""


class PeopleConfig(_Table):
    """One name per person (``normalize.people``)."""

    display: Literal["name", "handle"] = "name"
    """``name``: a person's real name; ``handle``: their chat handle or login."""
    aliases: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Display name -> the emails, ``tool:<account id, handle or email>`` or names that are that
    person."""

    @field_validator("aliases")
    @classmethod
    def _known_tools(cls, aliases: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        owner: dict[str, str] = {}
        for key, entries in aliases.items():
            listed = json.dumps(list(entries), ensure_ascii=False)
            if not key.strip():
                raise ValueError(
                    f'"" = {listed}: the key is the name rows show for this person; '
                    'write it, e.g. "Bob Okoro" = [...]'
                )
            if not entries:
                raise ValueError(
                    f"{_toml_text(key)} = []: an empty list names no one; list the emails, "
                    "tool:<id or handle> or names that are this person, or remove the key"
                )
            for entry in entries:
                problem = _alias_problem(entry.strip())
                if problem is not None:
                    raise ValueError(f"{_toml_text(key)}: {_toml_text(entry)} {problem}")
                same = _alias_identity(entry)
                if (other := owner.setdefault(same, key)) != key:
                    raise ValueError(
                        f"{_toml_text(entry)} is under both {_toml_text(other)} and "
                        f"{_toml_text(key)}; one account is one person: keep it under one name"
                    )
        return aliases


_EMAIL = re.compile(r"[^@\s:]+@[^@\s]+\.[^@\s.]+")
"""name@domain.tld: what an alias entry with an ``@`` must be (``bob@`` is not an email)."""


def _alias_problem(entry: str) -> str | None:
    """Why an ``[people] aliases`` entry names no one (None when it may name someone)."""
    tools = ", ".join(sorted(TOKEN_ENV))
    if not entry:
        return f"is empty; write an email, tool:<id or handle> (tools: {tools}) or a name"
    tool, sep, name = entry.partition(":")
    if sep and "@" not in tool and (tool.lower() not in TOKEN_ENV or not name.strip()):
        return f"is not tool:name (tools: {tools}), an email or a name"
    address = name.removeprefix("@") if sep and tool.lower() in TOKEN_ENV else entry
    if "@" in address and not _EMAIL.fullmatch(address.strip()):
        return "is not an email (name@domain, e.g. bob@acme.example)"
    return None


def _alias_identity(entry: str) -> str:
    """An alias entry as one account: tool lower-cased, the rest case-folded."""
    tool, sep, name = entry.strip().partition(":")
    if sep and tool.lower() in TOKEN_ENV:
        return f"{tool.lower()}:{name.strip().casefold()}"
    return entry.strip().casefold()


class RedactConfig(_Table):
    """A team's own secret patterns and known harmless matches (regular expressions)."""

    extra: tuple[str, ...] = ()
    """Also redact what these match (the first group that matched, else the whole match)."""
    allow: tuple[str, ...] = ()
    """Keep a found secret that one of these matches whole (never the tool's own tokens)."""

    @field_validator("extra", "allow")
    @classmethod
    def _compiles(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        return ClassifyConfig._compiles(patterns)

    @field_validator("allow")
    @classmethod
    def _narrow(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            problem = allow_problem(pattern)
            if problem is not None:
                raise ValueError(problem)
        return patterns


_ALLOW_PROBES = (
    "Hunter2PassXyz",
    "AKIAQ3EGRT5ZXCVB7NMQ",
    "ghp_R8sT2vX5zB7nM4qW1eY6uI9oP3aS0dF2gH4j",
    "xoxb-2849104751-5738291046-q7WfT3kLpZ9sVbN2mXc4RgHy",
    "UGdfUGE1NXcwcmRfWmV0YTk=",
)
"""Secrets of five different kinds: an ``allow`` pattern matching three of them whole keeps
secrets in general, not one known harmless value."""


def allow_problem(pattern: str) -> str | None:
    """Why ``pattern`` may not be a ``[redact] allow`` pattern (None when it may): one that
    matches an empty string (``.*``), a redaction marker, or secrets of several kinds (``.+``,
    ``\\S+``, ``\\w+``) would turn redaction off."""
    try:
        compiled = re.compile(pattern)
    except re.error:
        return None  # reported by _compiles
    why = None
    if compiled.fullmatch(""):
        why = "it matches an empty string"
    elif compiled.fullmatch("[redacted: password]"):
        why = "it matches a redaction marker"
    elif sum(1 for probe in _ALLOW_PROBES if compiled.fullmatch(probe)) >= 3:
        why = "it matches secrets of every kind"
    if why is None:
        return None
    return (
        f"{pattern!r} would keep every secret ({why}), turning redaction off; list the exact "
        "harmless values instead (e.g. 'AKIAIOSFODNN7EXAMPLE')"
    )


class WatchConfig(_Table):
    settle: Duration = timedelta(minutes=10)
    """Wait this long after an incident resolves before building its draft."""
    interval: Duration = timedelta(minutes=5)
    """Between polls, when ``reconstruct watch`` runs as a loop."""
    lookback: Duration = timedelta(days=1)
    """On the very first run, how far back resolved incidents are considered."""
    services: tuple[str, ...] = ()
    """PagerDuty service IDs to watch (empty: all)."""
    teams: tuple[str, ...] = ()
    urgencies: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    """Priority names such as P1, P2 (empty: any)."""
    state: Path | None = None
    """SQLite state file (default: the user data dir)."""
    timeout: Duration = timedelta(minutes=10)
    """Deadline for collecting one incident (as ``--timeout`` is for one run)."""
    retention: Duration = Field(default=timedelta(days=90), ge=timedelta(days=1))
    """Delivered, cancelled and forgotten incidents (and their kept bundles) older than this
    are pruned from the state."""


class DeliverSlackConfig(_Table):
    enabled: bool = False
    channel: str | None = None
    """Channel to post into (default: the incident's own channel)."""


class DeliverGitHubConfig(_Table):
    repo: str | None = None
    """owner/name of the docs repository that receives a pull request per post-mortem."""
    base: str = "main"
    path: str = "postmortems/{date}-{slug}.md"
    """Path template in that repository: {date}, {slug}, {number}, {id}."""


class DeliverConfig(_Table):
    dir: Path | None = None
    """Directory sink: one Markdown file per incident plus its evidence bundle."""
    slack: DeliverSlackConfig = DeliverSlackConfig()
    github: DeliverGitHubConfig = DeliverGitHubConfig()


class ServeConfig(_Table):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    """The webhook secret comes only from the environment: PAGERDUTY_WEBHOOK_SECRET."""


@dataclass(frozen=True, slots=True)
class LeadupSettings:
    """What the normalizer reads to choose the lead-up's rows, named for no source
    (``Config.leadup``; the pipeline builds it for each incident)."""

    deploys: int
    """Deploys before the window shown (the last ones)."""
    changes: int
    """Lead-up changes shown at most, found relevant by score."""
    match: tuple[str, ...]
    """Terms that make a lead-up change relevant."""
    repos: frozenset[str]
    """The incident's repositories, lower case (empty: any)."""
    default_terms: bool = False
    """``match`` is the default term list, not chosen for this installation: a change matching
    one counts only with a mention tied to the incident (``normalize.leadup`` rule 3)."""
    service_repos: frozenset[str] = frozenset()
    """The repositories ``[github.services]`` maps the affected services to, lower case."""
    window_changes: str = "related"
    """``[github] window_changes``: ``related`` (the window's changes need a tie to the
    incident, ``normalize.during``) or ``all``."""


class Config(_Table):
    tls: TlsConfig = TlsConfig()
    pagerduty: PagerDutyConfig = PagerDutyConfig()
    slack: SlackConfig = SlackConfig()
    github: GitHubConfig = GitHubConfig()
    grafana: GrafanaConfig = GrafanaConfig()
    window: WindowConfig = WindowConfig()
    normalize: NormalizeConfig = NormalizeConfig()
    classify: ClassifyConfig = ClassifyConfig()
    select: SelectConfig = SelectConfig()
    render: RenderConfig = RenderConfig()
    collapse: CollapseConfig = CollapseConfig()
    people: PeopleConfig = PeopleConfig()
    redact: RedactConfig = RedactConfig()
    watch: WatchConfig = WatchConfig()
    deliver: DeliverConfig = DeliverConfig()
    serve: ServeConfig = ServeConfig()

    source_path: Path | None = Field(default=None, exclude=True)
    """The file the settings came from (None: defaults only)."""
    tables: Mapping[str, Any] = Field(default_factory=dict, exclude=True)
    """A registered source's own table (``[statuspage]``), validated by the model it declares
    (``Source.config_model``, given to ``load_config``): table name -> that model."""

    def table(self, name: str) -> Any:
        """Source ``name``'s own table as its ``config_model``; None when the file (and the
        environment) has no such table, or the source declares none."""
        return self.tables.get(name)

    def leadup(self, services: Iterable[str]) -> LeadupSettings:
        """The lead-up settings for an incident on ``services``: ``[github] leadup_deploys``,
        ``leadup_changes``, ``leadup_match``, and ``[github] repos`` plus the repositories
        ``[github] services`` maps those services to."""
        cfg = self.github
        repos = set(cfg.repos)
        mapped: set[str] = set()
        for service in services:
            mapped.update(cfg.services.get(service, ()))
        repos |= mapped
        return LeadupSettings(
            deploys=cfg.leadup_deploys,
            changes=cfg.leadup_changes,
            match=tuple(cfg.leadup_match),
            repos=frozenset(repo.lower() for repo in repos),
            default_terms={t.casefold() for t in cfg.leadup_match}
            == {t.casefold() for t in DEFAULT_LEADUP_MATCH},
            service_repos=frozenset(repo.lower() for repo in mapped),
            window_changes=cfg.window_changes,
        )


class Secret:
    """A token that prints as ``***`` everywhere; ``reveal()`` is the only way to the value."""

    __slots__ = ("_value", "env")

    def __init__(self, value: str, env: str) -> None:
        self._value = value
        self.env = env

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.env}=***)"

    __str__ = __repr__


def token(source: str, environ: Mapping[str, str] | None = None) -> Secret | None:
    """The token for ``source`` from its environment variable, or None when unset or blank."""
    return env_token(TOKEN_ENV[source], environ)


def env_token(env: str, environ: Mapping[str, str] | None = None) -> Secret | None:
    """The token in environment variable ``env``, or None when unset or blank."""
    value = (environ if environ is not None else os.environ).get(env, "").strip()
    return Secret(value, env) if value else None


def default_config_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("reconstruct")) / "config.toml"


def find_config_file(explicit: Path | None, cwd: Path | None = None) -> Path | None:
    if explicit is not None:
        if explicit.is_dir():
            raise ConfigError(
                f"{explicit}: is a directory, not a config file; give the file, "
                f"e.g. --config {explicit / CONFIG_NAME}"
            )
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: config file not found (check the --config path)")
        return explicit
    local = (cwd or Path.cwd()) / CONFIG_NAME
    if local.is_file():
        return local
    user = default_config_path()
    return user if user.is_file() else None


def load_config(
    explicit: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    source_tables: Mapping[str, type[BaseModel]] | None = None,
) -> Config:
    """Read the config file (if any), apply ``RECONSTRUCT_*`` overrides, validate.

    An override reaches any depth: ``RECONSTRUCT_DELIVER__SLACK__ENABLED=true`` sets
    ``[deliver.slack] enabled``. A bad value is a ``ConfigError`` naming the file or the
    environment variable it came from, the ``[table] key`` and the expected form in plain words.
    ``source_tables`` (``collectors.config_models()``): the tables registered sources declare,
    each validated by its model like the built-in tables (its ``extra="forbid"`` refuses a
    misspelt key); without it such a table is an unknown one."""
    path = find_config_file(explicit, cwd)
    data: dict[str, Any] = {}
    where = str(path) if path else "defaults"
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}); fix the syntax") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read config file ({exc})") from exc
    overrides = _env_overrides(environ if environ is not None else os.environ)
    for keys, (_, value) in overrides.items():
        _set_nested(data, keys, value)
    own = {
        name: data.pop(name)
        for name in source_tables or {}
        if name in data and name not in Config.model_fields
    }
    try:
        config = Config.model_validate(data)
        tables = _source_tables(own, source_tables or {})
    except ValidationError as exc:
        raise ConfigError(_explain(exc, where, overrides)) from exc
    return config.model_copy(update={"source_path": path, "tables": tables})


def _source_tables(
    data: Mapping[str, Any], models: Mapping[str, type[BaseModel]]
) -> dict[str, Any]:
    """Each registered source's table validated by its model, errors located ``[name] key``."""
    if not data:
        return {}
    fields: dict[str, Any] = {name: (models[name], ...) for name in data}
    wrapper = create_model("SourceTables", __base__=_Table, **fields)
    checked = wrapper.model_validate(data)
    return {name: getattr(checked, name) for name in data}


NON_KEY_VARIABLES = frozenset({"RECONSTRUCT_DEBUG"})
"""``RECONSTRUCT_*`` variables the tool reads that are not config keys."""


def stray_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """``RECONSTRUCT_*`` variables that name no config key (no ``__``: ``RECONSTRUCT_RENDER=1``,
    a typo for ``RECONSTRUCT_RENDER__DIAGRAM``), sorted; they are ignored, so the caller warns."""
    names = (environ if environ is not None else os.environ).keys()
    return sorted(
        n
        for n in names
        if n.startswith(ENV_PREFIX) and "__" not in n and n not in NON_KEY_VARIABLES
    )


_EnvOverrides = dict[tuple[str, ...], tuple[str, Any]]
"""(``deliver``, ``slack``, ``enabled``) -> (the variable's name, its value as read)."""


def _env_overrides(environ: Mapping[str, str]) -> _EnvOverrides:
    """Every ``RECONSTRUCT_<TABLE>__<KEY>`` (``__`` between levels, any depth), lower-cased.

    A value starting with ``[`` or ``{`` is read as a TOML list or inline table; everything else
    stays text and is converted (and checked) like the same text in the file."""
    out: _EnvOverrides = {}
    for name, value in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        keys = tuple(name[len(ENV_PREFIX) :].lower().split("__"))
        if not all(keys):
            raise ConfigError(
                f"environment variable {name}: not a config key; write "
                "RECONSTRUCT_<TABLE>__<KEY>, e.g. RECONSTRUCT_WINDOW__BEFORE=2h"
            )
        parsed: Any = value
        if value.lstrip().startswith(("[", "{")):
            try:
                parsed = tomllib.loads(f"v = {value}")["v"]
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(
                    f"environment variable {name}: not a valid TOML list or table ({exc}); "
                    """write it as in the file, e.g. '["a", "b"]' or '{ key = "value" }'"""
                ) from exc
        out[keys] = (name, parsed)
    return out


def _set_nested(data: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    """Put ``value`` at ``data[k1][k2]...``; an inline table merges into a table already there."""
    node = data
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    last = keys[-1]
    if isinstance(value, dict) and isinstance(node.get(last), dict):
        node[last].update(value)
    else:
        node[last] = value


def _key_name(loc: tuple[str | int, ...]) -> str:
    """``("deliver", "slack", "enabled")`` -> ``[deliver.slack] enabled``: the tables as the
    file's header, then the key (``, item 2`` for a list entry)."""
    tables: list[str] = []
    model: type[BaseModel] = Config
    i = 0
    while i < len(loc) - 1 and isinstance(loc[i], str):
        field = model.model_fields.get(str(loc[i]))
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            break
        tables.append(str(loc[i]))
        model = annotation
        i += 1
    if not tables and loc:
        tables, i = [str(loc[0])], 1
    key = ""
    for part in loc[i:]:
        key += f", item {part + 1}" if isinstance(part, int) else (f".{part}" if key else part)
    header = f"[{'.'.join(tables)}]" if tables else "(top level)"
    return f"{header} {key}" if key else header


def _duration_text(value: timedelta) -> str:
    """``timedelta(hours=1, minutes=30)`` -> ``1h30m``, the way durations are written here."""
    rest = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def _bound_duration(bound: Any) -> str:
    """A Duration field's limit as pydantic reports it (a timedelta, or its ``str()``:
    ``1 day``, ``2 days, 0:30:00``, ``0:05:00``) written the way durations are (``1d``)."""
    if isinstance(bound, timedelta):
        return _duration_text(bound)
    if plain := re.fullmatch(r"(\d+) seconds?", str(bound)):  # pydantic's ``0 seconds``
        return _duration_text(timedelta(seconds=int(plain.group(1))))
    match = re.fullmatch(r"(?:(\d+) days?(?:, )?)?(?:(\d+):(\d\d):(\d\d))?", str(bound))
    if not match:
        return str(bound)
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return _duration_text(timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds))


def _toml_text(value: Any) -> str:
    """A value as it would look in the TOML file (``true``, ``"text"``, ``5``, ``1h30m``)."""
    if isinstance(value, timedelta):
        return _duration_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


_EXPECTED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false (yes/no, on/off and 1/0 are read the same way)",
    "bool_parsing": "true or false (yes/no, on/off and 1/0 are read the same way)",
    "string_type": "text in quotes",
    "list_type": 'a list, such as ["a", "b"]',
    "tuple_type": 'a list, such as ["a", "b"]',
    "set_type": 'a list, such as ["a", "b"]',
    "dict_type": "a table of keys and values",
    "model_type": "a table of keys and values",
    "model_attributes_type": "a table of keys and values",
    "path_type": "a file path in quotes",
}
_BOUNDS = {
    "greater_than_equal": ("ge", "a number of at least {}"),
    "greater_than": ("gt", "a number above {}"),
    "less_than_equal": ("le", "a number of at most {}"),
    "less_than": ("lt", "a number below {}"),
}


def _plain(err: Any) -> str:
    """What went wrong with one value, in words a config author uses (not pydantic's)."""
    kind = str(err["type"])
    got = f", got {_toml_text(err['input'])}" if "input" in err else ""
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}{got}"
    if kind in _BOUNDS:
        name, form = _BOUNDS[kind]
        bound = (err.get("ctx") or {}).get(name)
        if isinstance(err.get("input"), timedelta):  # a Duration field's limit
            form, bound = form.replace("a number", "a duration"), _bound_duration(bound)
        return f"expected {form.format(bound)}{got}"
    ctx = err.get("ctx") or {}
    if kind in ("literal_error", "enum"):
        return f"expected {ctx.get('expected')}{got}"
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        unit = "characters" if kind.startswith("string") else "items"
        bound = ctx.get("min_length") if "short" in kind else ctx.get("max_length")
        return f"expected {'at least' if 'short' in kind else 'at most'} {bound} {unit}{got}"
    if kind == "missing":
        return "required; add it"
    message = str(err["msg"]).removeprefix("Value error, ")
    if message.startswith("Input should be "):  # any other type error, in the same words
        message = "expected " + message.removeprefix("Input should be ") + got
    return message


def _explain(exc: ValidationError, where: str, overrides: _EnvOverrides | None = None) -> str:
    """One line for the first error: where the value came from (the file, or the environment
    variable that set it), the ``[table] key``, and what to write instead."""
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    name = _key_name(loc)
    source = where
    for keys, (variable, _) in (overrides or {}).items():
        if loc[: len(keys)] == keys or keys[: len(loc)] == loc:
            source = f"environment variable {variable}"
            break
    if err["type"] == "extra_forbidden":
        what = "table" if len(loc) == 1 else "key"
        return (
            f"{source}: {name}: unknown {what}; "
            "remove it or check the spelling (see README, Config)"
        )
    return f"{source}: {name}: {_plain(err)}"


def ssl_context(config: Config) -> ssl.SSLContext:
    """The TLS trust every HTTPS client uses: the system's CAs plus ``[tls] ca_bundle``.

    A ``ca_bundle`` that cannot be loaded is a ``ConfigError`` naming the key and the fix."""
    context = ssl.create_default_context()
    if config.tls.ca_bundle is not None:
        try:
            context.load_verify_locations(cafile=str(config.tls.ca_bundle))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"[tls] ca_bundle: cannot load {config.tls.ca_bundle} ({exc}); "
                "point it at a PEM file of CA certificates"
            ) from exc
    return context
