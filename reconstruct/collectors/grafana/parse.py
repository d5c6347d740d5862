"""grafana: dashboard annotations and alert state changes, from ``GET /api/annotations``.

Bundle: ``grafana/annotations.json`` holds the raw response bodies (each a bare JSON array of
annotations) in series order, then page order; manifest meta ``{"url": <Grafana root, may carry a
sub-path>}`` plus ``"org_id"`` when ``[grafana] org_id`` is set, ``"warnings"`` (shown with the
draft) and ``"failed_parts"`` ({uid: error}, dashboards skipped for a 403) when any, and
``"truncated"`` when a series stopped at ``RetryPolicy.max_pages``. When collection fails after some
pages were read, those pages are kept and ``grafana/source.json`` (``[meta]``) stands in for the
manifest meta a failed source does not get, so the partial evidence still renders with links.

Collection (``collect``; the orchestrator calls it only when ``configured(config)``):

- Auth: ``Authorization: Bearer $GRAFANA_TOKEN``, a service account token with the **Viewer**
  role (``annotations:read`` on the configured dashboards is enough); ``X-Grafana-Org-Id`` when
  ``[grafana] org_id`` is set.
- Range: ``from``/``to`` = the incident window (``window.start``..``window.end``) in epoch ms.
  Regions overlapping the window are included (Grafana matches ``time <= to and timeEnd >= from``).
- Series: one per ``[grafana] dashboards`` UID (``dashboardUID=``), plus one for ``[grafana] tags``
  (``tags=a&tags=b&matchAny=true``, any dashboard or none); with neither configured, one series
  over every annotation of the organisation. So dashboards and tags add up (union).
- Paging: the API has no pagination metadata. When a response holds exactly ``limit`` items, the
  next request sets ``to`` to the smallest ``max(time, timeEnd)`` of that response, which is
  inclusive, so the boundary records come again but none are skipped whichever of Grafana's sort
  orders applies; until a response holds fewer than ``limit``. If ``to`` cannot move (more than
  ``limit`` annotations at one millisecond) it steps back 1 ms and says so through progress.
  Pages are stored raw; duplicates (page overlap, a record in two series) are kept once in
  ``parse``, each extra copy counted (``copies of a record already read``).
- Concurrency: the series are independent and run at once (``live.WORKERS`` threads, one
  ``httpx.Client``); pages are written in series order, so the bundle does not depend on timing.
- Retries: 429, 5xx, network errors, read timeouts and a JSON body that does not decode (cut
  short) are retried by the shared loop of ``collectors._http`` (``ctx.policy``), waiting
  ``Retry-After`` when given, else backoff; every wait goes through ``ctx.wait`` (reported as
  progress; the source fails at once rather than wait past ``--timeout``); each request's
  timeout, ``ctx.request_timeout()``, bounds the whole body too. A non-JSON page (HTML: a wrong
  sub-path, a login page) fails at once.
- Faults: a 403 on one of several dashboards skips that dashboard with a warning (the others are
  kept); paging that makes no progress (a server ignoring ``to``) stops that series with a warning
  saying how many annotations were kept; any other failure fails the source with an error naming
  the series and page that failed, keeping the pages read before it.

Parsing (``parse``), one event per annotation id:

- Alert state annotations (``newState``, ``alertId`` or ``alertName`` present), worded for what
  the state means (``STATE_WORDS``, ``REASON_WORDS``; unified ``eval.State`` with Grafana's
  ``(reason)``: MissingSeries, NoData, Error, Paused, Updated, RuleDeleted, KeepLast; legacy
  alerting, ok, no_data, pending, paused, unknown): a new firing -> kind ``alert``, ref
  ``rule:<name>:firing``; Normal after a state that notified -> kind ``alert``, ref
  ``rule:<name>:resolved``. Pending is **not** firing: ``Pending -> Normal`` never fired; a
  reset (rule paused, updated, deleted), ``still firing``, Pending, NoData, Error, Recovering
  and unknown states are kind ``annotation`` with no rule ref, so they never merge with a chat
  bot's ``[FIRING]`` post. Tag ``state:<new state, lower case, without "(reason)" or "_">``,
  and ``stopped`` when the reason is a reset (Paused, Updated, RuleDeleted);
  ``never-fired`` on a return to normal from Pending (``Pending`` -> ``Normal``, any reason);
  the evaluation's values (``B=0.6, C=1``, ``_alert_detail``) are no words of the row (an
  author deletes them) but a tag ``values:<values>`` that JSON keeps;
  the instance labels (pod, instance, host…: ``_instance_labels``) follow the rule name,
  ``Grafana alert CheckoutErrors (pod=web-00) firing``, each also a tag ``label:<key>=<value>``,
  and the rule's name a tag ``alertname:<name>`` (every state: a flapping rule is one series);
  key ``grafana:annotation:<id>:<state>``.
- Other annotations: kind ``deploy`` when a tag is deploy/deployment/release/rollout (also as
  ``type:deploy``-style tag parts) or the text says deployed/deploying/rolled back/rollback
  (not "deployment": a deployment freeze is no deploy); else ``annotation``. Deploys get tag
  ``production`` (a prod/production tag, or "to production" in the text) and ``rollback``.
  Summary = the text with Grafana's HTML made plain (``(tags: a, b)`` only when it has no text:
  an author deletes tags after words); regions add their duration and end. One a person wrote
  (it has a ``login``, ``email`` or ``userName``) gets tag ``written``: its text is their
  words, whatever kind (a deploy, a rollback) it has. Each tag of an ``annotation`` is an
  event tag ``tag:<tag, lower case>`` (``tag:mitigation``).
  ``sha:`` refs from tags (``sha:…``, ``commit=…``, bare hashes) and from ``data`` keys naming a
  commit. Key ``grafana:annotation:<id>``. A region also gets tags ``region`` and
  ``until:<end, ISO 8601 UTC>`` (the normalizer keeps one still going when the window starts).
- Not understood (counted, ``skips.left_out``): a record without a time; ``time not readable as
  UTC``: a time that is not an epoch timestamp.
- Link: the dashboard at the event's time ±30 min (regions: their range ±30 min), the panel
  opened when known: ``<url>/d/<uid>?orgId=..&from=..&to=..&viewPanel=panel-<id>``. Without a
  dashboard: alerts link the alert rule list searched by rule name, other annotations Explore
  over their range ±30 min, running the Grafana data source's annotations query for their tags
  (``explore_url``; never ``/api/annotations``, which is JSON). Then any http(s) link written in
  the text (``textlinks``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from reconstruct.bundle import MANIFEST, Bundle
from reconstruct.collectors.skips import (
    NOT_UNDERSTOOD,
    UNREADABLE_TIME,
    first_copies,
    left_out,
    records,
    unreadable_time,
)
from reconstruct.collectors.textlinks import TEXT_URL, text_links
from reconstruct.config import TOKEN_ENV, Config
from reconstruct.errors import (
    BundleError,
)
from reconstruct.model import Event, Kind, Link
from reconstruct.normalize.instances import (
    ALERTNAME,
    INSTANCE_KEYS,
    VALUES,
    WRITTEN,
    instance_tags,
)
from reconstruct.normalize.pending import NEVER_FIRED
from reconstruct.timeutil import TimeFormatError, format_duration, iso_z, parse_epoch

if TYPE_CHECKING:
    pass

NAME = "grafana"
ANNOTATIONS = "grafana/annotations.json"
SOURCE_META = "grafana/source.json"
"""Written only beside the pages of a failed collection: ``[meta]``, since the manifest keeps no
meta for a failed source and the links need the Grafana root."""
TOKEN_VAR = TOKEN_ENV[NAME]
LINK_PAD = timedelta(minutes=30)
"""Dashboard links show the event's time (or region) with this much on either side."""

MISSING_TOKEN = (
    f"{TOKEN_VAR} is missing; create a service account with the Viewer role in Grafana "
    "(Administration > Users and access > Service accounts), add a token and export it as "
    f"{TOKEN_VAR}"
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FIRING = frozenset({"alerting", "firing"})
_RESOLVED = frozenset({"normal", "ok"})
_DEPLOY_TAGS = frozenset(
    {"deploy", "deploys", "deployed", "deployment", "deployments", "release", "releases", "rollout"}
)
_DEPLOY_TEXT = re.compile(
    r"\b(?:re)?deploy(?:ed|ing)\b|\brolled (?:back|out)\b|\broll-?back\b", re.IGNORECASE
)
_ROLLBACK = re.compile(r"\broll-?back\b|\brolled back\b", re.IGNORECASE)
_PRODUCTION = frozenset({"prod", "production"})
_PRODUCTION_TEXT = re.compile(r"\b(?:to|in|on|into)\s+prod(?:uction)?\b", re.IGNORECASE)
_TAG_SPLIT = re.compile(r"[:=/,\s]+")
_HEX = re.compile(r"[0-9a-f]{7,40}")
_SHA_KEY = re.compile(r"sha|commit|revision|^rev$|^git", re.IGNORECASE)
_SHA_TAG_PREFIX = frozenset({"sha", "commit", "git", "gitsha", "git_sha", "revision", "rev"})
_LABELS = re.compile(r"^\{[^{}]*\}\s*")
_LABEL_SET = re.compile(r"\{([^{}]*)\}")


# -- parse ------------------------------------------------------------------------------


def parse(bundle: Bundle) -> Iterator[Event]:
    """One event per annotation in ``grafana/annotations.json``, ordered by (time, key)."""
    status = bundle.source(NAME)
    meta: Mapping[str, Any] = status.meta if status is not None else {}
    if not meta.get("url"):
        saved = bundle.pages(SOURCE_META)
        if saved and isinstance(saved[0], dict):
            meta = saved[0]
    root: str | None = None
    org = _org_id(meta.get("org_id"))
    events: list[Event] = []
    found = records(bundle.pages(ANNOTATIONS), None, NAME)
    for record in first_copies(found, _record_id, NAME):  # a copy: counted under COPY
        ident = _record_id(record)
        if root is None:
            root = _bundle_root(bundle, meta)
        event = record_event(record, ident, root, org)
        if event is not None:
            events.append(event)
        else:
            value = record.get("time")
            readable = value is None or value == 0 or _when(value) is not None
            left_out(NAME, NOT_UNDERSTOOD if readable else UNREADABLE_TIME)
    events.sort(key=lambda e: (e.time, e.key))
    yield from events


def _bundle_root(bundle: Bundle, meta: Mapping[str, Any]) -> str:
    url = meta.get("url")
    if isinstance(url, str) and _is_http_url(url.strip()):
        return url.strip().rstrip("/")
    raise BundleError(
        f"{bundle.root / MANIFEST}: sources.grafana.meta.url is missing or not an http(s) URL, "
        "so Grafana evidence links cannot be built; re-collect the bundle"
    )


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _org_id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _int(value: Any) -> int | None:
    """A positive integer field (omitempty: absent, 0 and junk are all None)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _record_id(record: Mapping[str, Any]) -> str:
    ident = _int(record.get("id"))
    if ident is not None:
        return str(ident)
    digest = hashlib.sha256(
        json.dumps(record, sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()
    return f"x{digest[:12]}"


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_epoch(value)
    except TimeFormatError:
        unreadable_time(value)
        return None


def record_event(
    record: Mapping[str, Any], ident: str, root: str, org_id: int | None = None
) -> Event | None:
    """The event for one annotation (``ItemDTO``); None when it has no usable ``time``."""
    when = _when(record.get("time"))
    if when is None or when == _EPOCH:
        return None
    end = _when(record.get("timeEnd"))
    if end is not None and end <= when:
        end = None
    text = plain_text(_str(record.get("text")))
    actor = _str(record.get("login")) or _str(record.get("email")) or _str(record.get("userName"))
    new_state = _str(record.get("newState"))
    alert_name = " ".join(_str(record.get("alertName")).split())
    is_alert = bool(new_state or alert_name or _int(record.get("alertId")))
    region = _region_note(when, end)
    if is_alert:
        kind, summary, refs, tags, key_suffix, rule = _alert(record, text, new_state, alert_name)
    else:
        kind, summary, refs, tags = _annotation(record, text)
        key_suffix, rule = "", ""
    if region:
        summary = f"{summary} ({region})"
    if end is not None:
        tags = {*tags, "region", f"until:{iso_z(end)}"}
    if actor and not is_alert:
        tags = {*tags, WRITTEN}  # a person's own words, whatever kind its tags give it
    return Event(
        time=when,
        kind=kind,
        summary=summary,
        sources=(NAME,),
        links=(
            _link(record, root, org_id, when, end, rule, tags_of(record)),
            *text_links(NAME, TEXT_URL.findall(text)),
        ),
        key=f"grafana:annotation:{ident}{key_suffix}",
        actor=actor or None,
        refs=frozenset(refs),
        tags=frozenset(tags),
        scope=NAME,
    )


def _base_state(state: str) -> str:
    """``Alerting (NoData)`` -> ``alerting``; ``no_data`` and ``NoData`` -> ``nodata``."""
    return state.split("(", 1)[0].strip().lower().replace(" ", "").replace("_", "")


def _state_reasons(state: str) -> list[str]:
    """``Alerting (NoData, KeepLast)`` -> ``["nodata", "keeplast"]``; ``Normal`` -> ``[]``."""
    _, _, rest = state.partition("(")
    return [r.strip().lower() for r in rest.rstrip(") ").split(",") if r.strip()]


STATE_WORDS = {
    "alerting": "firing",
    "firing": "firing",
    "normal": "normal",
    "ok": "normal",
    "pending": "pending (condition met, not firing yet)",
    "nodata": "no data (the query returned no data)",
    "error": "evaluation error (the query or expression failed)",
    "recovering": "recovering (condition cleared, firing until its keep-firing period ends)",
    "paused": "paused",
    "unknown": "in an unknown state",
}
"""What each state of Grafana's alerting means (unified: ``eval.State``; legacy: ``alerting``,
``ok``, ``no_data``, ``pending``, ``paused``, ``unknown``)."""
REASON_WORDS = {
    "missingseries": "its series disappeared",
    "nodata": "no data",
    "error": "query error",
    "paused": "rule paused",
    "updated": "rule updated",
    "ruledeleted": "rule deleted",
    "keeplast": "last state kept",
}
"""The ``(reason)`` Grafana appends to a state (``ngalert/models`` ``StateReason*``)."""
_STOPPED = frozenset({"paused", "updated", "ruledeleted"})
"""Reasons that reset a rule's state: the alert stopped, it did not recover."""


def _reason_text(reasons: list[str]) -> str:
    return ", ".join(REASON_WORDS.get(r, r) for r in reasons)


def _rule_name(alert_name: str, text: str, alert_id: int | None) -> str:
    if alert_name:
        return alert_name
    # Unified alerting writes "<rule title> {labels} - <values>".
    head = re.split(r"\s*\{|\s+-\s+", text, maxsplit=1)[0].strip() if text else ""
    if head and len(head) <= 120:
        return head
    return f"alert {alert_id}" if alert_id else ""


_FIXED_POINT = re.compile(r"(?<==)([-+]?\d+)\.(\d*?)0+(?=,|\s|$)")
"""A value as Go's ``%f`` writes it, with the zeros that pad it to six decimals."""


def _alert_detail(text: str, name: str) -> str:
    """What a unified alerting state annotation says after its rule and labels: its values.

    Grafana writes ``<rule title> {<labels>} - <refID>=<value>, ...`` with each value as Go's
    ``%f`` (six decimals: ``B=0.600000, C=1.000000``; ``ngalert/state/historian/annotation.go``
    ``buildAnnotationTextAndData``), or ``Error`` / ``No data``. The padding zeros are dropped
    (``B=0.6, C=1``): the value is the same, as the alert's chat notification prints it.
    """
    rest = text
    if name and rest.startswith(name):
        rest = rest[len(name) :].strip()
    rest = _LABELS.sub("", rest).strip()
    rest = re.sub(r"^[-–—:]\s*", "", rest).strip()
    rest = _FIXED_POINT.sub(lambda m: m[1] + (f".{m[2]}" if m[2] else ""), rest)
    return "" if rest == name else rest


def _state_summary(label: str, new_state: str, prev_state: str) -> tuple[str, bool, bool]:
    """The alert's change in words, and whether it fired / resolved.

    Firing: the new state is Alerting (any reason but a reset). Resolved: Normal after a state
    that notified (Alerting, Recovering, NoData, Error), except when the rule was paused,
    updated or deleted (the alert stopped; it did not recover). Pending -> Normal never fired.
    """
    new, prev = _base_state(new_state), _base_state(prev_state)
    reasons = _state_reasons(new_state)
    why = _reason_text(reasons)
    stopped = bool(_STOPPED.intersection(reasons))
    if not new_state:
        return label, False, False
    if new in _FIRING:
        if stopped:
            return f"{label} still firing, {why}", False, False
        if prev in _FIRING:
            return (
                (f"{label} still firing ({why})" if why else f"{label} still firing"),
                False,
                False,
            )
        return (f"{label} firing ({why})" if why else f"{label} firing"), True, False
    if new in _RESOLVED:
        if prev == "pending":
            return f"{label} back to normal without firing (never fired)", False, False
        if stopped:
            was = f" (was {STATE_WORDS.get(prev, prev)})" if prev_state else ""
            return f"{label} stopped: {why}{was}", False, False
        if prev in _RESOLVED:
            return (f"{label} normal ({why})" if why else f"{label} normal"), False, False
        return (f"{label} resolved ({why})" if why else f"{label} resolved"), False, True
    words = STATE_WORDS.get(new, new_state)
    text = f"{label} {words}"
    if why and new != "nodata" and not (new == "error" and reasons == ["error"]):
        text += f" ({why})"
    return text, False, False


def _alert(
    record: Mapping[str, Any], text: str, new_state: str, alert_name: str
) -> tuple[Kind, str, set[str], set[str], str, str]:
    name = _rule_name(alert_name, text, _int(record.get("alertId")))
    prev_state = _str(record.get("prevState"))
    new = _base_state(new_state)
    label = f"Grafana alert {name}" if name else "Grafana alert"
    labels = _alert_labels(record, text)
    instance = [(key, labels[key]) for key in INSTANCE_KEYS if labels.get(key)]
    if instance:
        label += f" ({', '.join(f'{k}={v}' for k, v in instance)})"
    summary, firing, resolved = _state_summary(label, new_state, prev_state)
    detail = _alert_detail(text, name)
    refs: set[str] = set()
    rule_ref = " ".join(name.split()).lower()
    kind = Kind.ANNOTATION
    if firing or resolved:
        kind = Kind.ALERT
        if name:
            refs.add(f"rule:{rule_ref}:{'firing' if firing else 'resolved'}")
    tags = {f"state:{new}"} if new else set()
    if detail:  # the evaluation's values, for JSON: an author deletes them from a row
        tags.add(VALUES + detail)
    if new in _RESOLVED and _base_state(prev_state) == "pending":
        tags.add(NEVER_FIRED)  # the condition cleared before the pending period ended
    if _STOPPED.intersection(_state_reasons(new_state)):
        tags.add("stopped")  # the rule was paused, updated or deleted: news, whatever the state
    tags.update(instance_tags({k: v for k, v in labels.items() if k != "alertname"}))
    if name:
        tags.add(ALERTNAME + name)  # the rule's name as written, for every state (a series')
    return kind, summary, refs, tags, f":{new}" if new else "", name


def _alert_labels(record: Mapping[str, Any], text: str) -> dict[str, str]:
    """The labels of an alert state annotation that have one value (``{"pod": "web-00",
    "alertname": "CheckoutErrors", ...}``); the row names those of ``INSTANCE_KEYS``, and
    ``instances.instance_tags`` tags them (the others for ``named_instances`` to judge per rule).

    Unified alerting writes them in ``text``: ``"<rule title> {alertname=X, grafana_folder=Y,
    pod=web-00} - B=1, C=1"`` (``historian.buildAnnotationTextAndData``: ``labels.String()``,
    ``k=v`` joined by ", ", private ``__``-labels removed); since Grafana 12 also as ``tags``,
    ``"<key>:<value>"`` with each ``:`` in either made ``_`` (``convertLabelsToTags``; cut when
    too long), read only when the text has no label set; legacy alerting in
    ``data.evalMatches[].tags`` (one per series matched). A label with several values across
    matches is left out (the row is the rule's).
    """
    found: dict[str, set[str]] = {}
    match = _LABEL_SET.search(text)
    if match:
        for pair in match.group(1).split(","):
            key, sep, value = pair.partition("=")
            if sep:
                found.setdefault(key.strip(), set()).add(value.strip().strip('"'))
    else:
        for tag in tags_of(record):
            key, sep, value = tag.partition(":")
            if sep and _LABEL_KEY.fullmatch(key) and value.strip():
                found.setdefault(key, set()).add(value.strip())
    data = record.get("data")
    matches = data.get("evalMatches") if isinstance(data, dict) else None
    for item in matches if isinstance(matches, list) else []:
        tags = item.get("tags") if isinstance(item, dict) else None
        for key, value in tags.items() if isinstance(tags, dict) else ():
            if isinstance(value, str):
                found.setdefault(str(key), set()).add(value.strip())
    return {
        key: next(iter(values))
        for key, values in sorted(found.items())
        if key and len(values) == 1 and next(iter(values))
    }


_LABEL_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""A Prometheus label name (``[a-zA-Z_][a-zA-Z0-9_]*``)."""


def _tag_tokens(tags: Sequence[str]) -> list[list[str]]:
    return [[t for t in _TAG_SPLIT.split(tag.lower()) if t] for tag in tags]


def _annotation(record: Mapping[str, Any], text: str) -> tuple[Kind, str, set[str], set[str]]:
    raw_tags = record.get("tags")
    tags = (
        [t.strip() for t in raw_tags if isinstance(t, str) and t.strip()]
        if isinstance(raw_tags, list)
        else []
    )
    tokens = _tag_tokens(tags)
    flat = {t for parts in tokens for t in parts}
    deploy = bool(flat & _DEPLOY_TAGS) or bool(_DEPLOY_TEXT.search(text))
    summary = text or "Grafana annotation"
    if tags and not text:  # the tags are metadata; they say what it is only when nothing else does
        summary += f" (tags: {', '.join(tags)})"
    event_tags: set[str] = set()
    if not deploy:  # its labels ("tag:mitigation"); a deploy's are read above
        event_tags.update(f"tag:{tag.lower()}" for tag in tags)
    if deploy:
        if flat & _PRODUCTION or _PRODUCTION_TEXT.search(text):
            event_tags.add("production")
        if _ROLLBACK.search(text) or flat & {"rollback", "rolled-back"}:
            event_tags.add("rollback")
    return (
        Kind.DEPLOY if deploy else Kind.ANNOTATION,
        summary,
        _sha_refs(tokens, record.get("data")),
        event_tags,
    )


def _sha_refs(tokens: list[list[str]], data: Any) -> set[str]:
    refs: set[str] = set()
    for parts in tokens:
        if len(parts) >= 2 and parts[0] in _SHA_TAG_PREFIX and _HEX.fullmatch(parts[1]):
            refs.add(f"sha:{parts[1][:7]}")
        elif len(parts) == 1 and _looks_like_sha(parts[0]):
            refs.add(f"sha:{parts[0][:7]}")
    if isinstance(data, Mapping):
        for key, value in data.items():
            if isinstance(key, str) and _SHA_KEY.search(key) and isinstance(value, str):
                sha = value.strip().lower()
                if _HEX.fullmatch(sha):
                    refs.add(f"sha:{sha[:7]}")
    return refs


def _looks_like_sha(token: str) -> bool:
    """A bare tag that is a commit hash: 40 hex, or 7-39 hex with a digit and a letter."""
    if not _HEX.fullmatch(token):
        return False
    return len(token) == 40 or (any(c.isdigit() for c in token) and any(c.isalpha() for c in token))


def _region_note(when: datetime, end: datetime | None) -> str:
    if end is None:
        return ""
    fmt = "%H:%M:%S" if end.date() == when.date() else "%Y-%m-%d %H:%M:%S"
    return f"for {format_duration(end - when)}, until {end.strftime(fmt)} UTC"


def _ms(when: datetime) -> int:
    """Epoch milliseconds, exact (no float rounding)."""
    return (when - _EPOCH) // timedelta(milliseconds=1)


def tags_of(record: Mapping[str, Any]) -> list[str]:
    raw = record.get("tags")
    return (
        [t.strip() for t in raw if isinstance(t, str) and t.strip()]
        if isinstance(raw, list)
        else []
    )


def _link(
    record: Mapping[str, Any],
    root: str,
    org_id: int | None,
    when: datetime,
    end: datetime | None,
    rule: str,
    tags: list[str],
) -> Link:
    uid = _str(record.get("dashboardUID"))
    org = [("orgId", str(org_id))] if org_id else []
    span = [("from", str(_ms(when - LINK_PAD))), ("to", str(_ms((end or when) + LINK_PAD)))]
    if uid:
        panel = _int(record.get("panelId"))
        params = [*org, *span]
        if panel:
            params.append(("viewPanel", f"panel-{panel}"))
        return Link(
            source=NAME,
            url=f"{root}/d/{quote(uid, safe='')}?{urlencode(params)}",
            label="Grafana panel" if panel else "Grafana dashboard",
        )
    if rule:
        params = [*org, ("search", rule)]
        return Link(
            source=NAME,
            url=f"{root}/alerting/list?{urlencode(params, quote_via=quote)}",
            label="Grafana alert rules",
        )
    return Link(source=NAME, url=explore_url(root, org_id, span, tags), label="Grafana annotations")


def explore_url(root: str, org_id: int | None, span: list[tuple[str, str]], tags: list[str]) -> str:
    """Grafana's Explore over the annotation's time range (±``LINK_PAD``), running the built-in
    Grafana data source's annotations query (``queryType: "annotations"``, filtered by the
    annotation's tags): a page a person can read, where ``/api/annotations`` is JSON. The
    ``panes`` form is Explore's URL since Grafana 10 (``schemaVersion=1``)."""
    query: dict[str, Any] = {
        "refId": "A",
        "datasource": {"type": "datasource", "uid": "grafana"},
        "queryType": "annotations",
        "type": "tags",
        "tags": tags,
        "matchAny": False,
        "limit": 100,
    }
    pane = {"datasource": "grafana", "queries": [query], "range": dict(span)}
    panes = json.dumps({"a": pane}, separators=(",", ":"), sort_keys=True)
    params = [("schemaVersion", "1"), ("panes", panes)]
    if org_id:
        params.append(("orgId", str(org_id)))
    return f"{root}/explore?{urlencode(params, quote_via=quote)}"


class _PlainText(HTMLParser):
    _BREAKS = frozenset({"br", "p", "div", "li", "tr", "td", "h1", "h2", "h3", "h4", "ul", "ol"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: list[str | None] = []
        self._anchor_start: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BREAKS:
            self.parts.append(" ")
        if tag == "a":
            self._href.append(dict(attrs).get("href"))
            self._anchor_start.append(len(self.parts))

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BREAKS:
            self.parts.append(" ")
        if tag == "a" and self._href:
            href = self._href.pop()
            start = self._anchor_start.pop()
            label = "".join(self.parts[start:]).strip()
            if href and _is_http_url(href) and href not in label:
                self.parts.append(f" ({href})" if label else href)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


_HTML_HINT = re.compile(r"<[a-zA-Z/!]|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


def plain_text(text: str) -> str:
    """Annotation text as one plain line: Grafana's allowed HTML tags dropped (a link's address
    kept after its label), entities decoded, whitespace collapsed."""
    if _HTML_HINT.search(text):
        parser = _PlainText()
        parser.feed(text)
        parser.close()
        text = "".join(parser.parts)
    return " ".join(text.split())


# -- collect (reconstruct.collectors.grafana.live) -------------------------------------


def configured(config: Config) -> bool:
    """Whether ``[grafana] url`` is set; ``collect`` is only called when it is."""
    return bool(_str(config.grafana.url))
