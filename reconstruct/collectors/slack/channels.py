"""Which Slack channels a run reads, shared by the Web API and the export path.

The incident's own channel, first match wins:

1. ``--slack-channel`` (``ctx.options["slack_channel"]``): an ID (``C0123ABCD``) or a name;
2. ``[slack] incident_channel``: a name template, ``{number}``, ``{id}`` and ``{slug}`` (the
   incident title, lower case, words joined by ``-``) filled in from the incident;
3. a Slack channel link (``https://X.slack.com/archives/C...``) anywhere in the PagerDuty
   incident record (its body, conference bridge, custom fields).

plus every channel of ``[slack] channels`` (IDs or names). Names are looked up in the workspace
(conversations.list) or the export's ``channels.json``.

A wanted channel that cannot be found (the templated or linked incident channel when no other
incident channel is found, a ``[slack] channels`` entry) is a warning naming it and an entry of
``meta["incomplete"]``: the pipeline then marks the run partial (exit 3), so a draft missing a
channel's messages never passes for complete (``missing_channel``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reconstruct.collectors.base import CollectContext
from reconstruct.errors import ConfigError

_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
_LINK = re.compile(r"https://[\w.-]+\.slack\.com/archives/([CGD][A-Z0-9]{6,})\b")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


INCIDENT_CHANNEL_HINT = (
    "the incident channel's messages are missing (pass --slack-channel, or set [slack] "
    'incident_channel = "" to read [slack] channels only)'
)


LIST_TYPES = {
    "public_channel": ("channels:read", "public channels"),
    "private_channel": ("groups:read", "private channels"),
    "mpim": ("mpim:read", "group DMs"),
}
"""The conversations.list ``types`` a name is looked up in, with the read scope each needs
(https://docs.slack.dev/reference/methods/conversations.list: any of public_channel,
private_channel, mpim, im). A group DM is named ``mpdm-ana--bo-1``; a DM (``im``) has no name,
so ``[slack] channels`` gives it by ID (``D...``), read without listing."""
_NEEDED = re.compile(r"lacks the (\S+) scope")


def drop_unreadable_types(types: list[str], detail: str, warn: Callable[[str], None]) -> bool:
    """After a ``missing_scope`` answer (``detail``: "lacks the mpim:read scope ..."), remove
    from ``types`` the types beyond public channels whose scope the token lacks, with a warning
    each; False when there is none to remove (the error stands)."""
    needed = _NEEDED.search(detail)
    scopes = set(needed.group(1).split(",")) if needed else set()
    lacking = [t for t in types[1:] if LIST_TYPES[t][0] in scopes]
    for kind in lacking:
        types.remove(kind)
        scope, what = LIST_TYPES[kind]
        warn(f"SLACK_TOKEN lacks {scope}: {what} are not searched by name")
    return bool(lacking)


def missing_channel(message: str, incomplete: list[str], warn: Callable[[str], None]) -> None:
    """A wanted channel is not there: a warning, and the run is partial."""
    incomplete.append(message)
    warn(message)


def is_channel_id(value: str) -> bool:
    return bool(_ID.match(value))


def clean_name(value: str) -> str:
    return value.strip().lstrip("#").strip().lower()


def slug(title: str, limit: int = 60) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return words[:limit].rstrip("-")


def slack_ts(when: datetime) -> str:
    """A UTC datetime as a Slack ``ts`` string (exact, no float rounding)."""
    delta = when - _EPOCH
    return f"{delta.days * 86400 + delta.seconds}.{delta.microseconds:06d}"


@dataclass(frozen=True)
class Wanted:
    """A channel to read: ``value`` is an ID or a lower-case name."""

    value: str
    incident: bool
    origin: str
    """Where it came from, for messages: ``--slack-channel``, ``[slack] incident_channel``..."""

    @property
    def is_id(self) -> bool:
        return is_channel_id(self.value)

    def show(self) -> str:
        return self.value if self.is_id else f"#{self.value}"


def template_name(ctx: CollectContext) -> str | None:
    """``[slack] incident_channel`` filled in; None when it needs a number the incident lacks."""
    template = ctx.config.slack.incident_channel.strip()
    if not template:
        return None
    values = {
        "number": ctx.incident.number if ctx.incident.number is not None else "",
        "id": ctx.incident.id.lower(),
        "slug": slug(ctx.incident.title),
    }
    try:
        name = template.format_map(values)
    except (KeyError, IndexError, ValueError) as exc:
        where = ctx.config.source_path or "defaults"
        raise ConfigError(
            f"{where}: [slack] incident_channel: bad template {template!r} ({exc}); "
            "use {number}, {id} or {slug}"
        ) from exc
    if "{number}" in template and ctx.incident.number is None:
        return None
    return clean_name(name) or None


def link_in_incident(raw: Mapping[str, Any]) -> str | None:
    """The first Slack channel ID linked from the PagerDuty incident record."""
    match = _LINK.search(json.dumps(raw, default=str))
    return match.group(1) if match else None


def wanted_channels(ctx: CollectContext) -> tuple[Wanted | None, list[Wanted], Wanted | None]:
    """(incident channel to look up, extra channels, fallback from a link in the incident).

    The fallback is used only when the first one cannot be found.
    """
    incident: Wanted | None = None
    option = ctx.options.get("slack_channel")
    if isinstance(option, str) and option.strip():
        value = option.strip()
        incident = Wanted(
            value if is_channel_id(value) else clean_name(value), True, "--slack-channel"
        )
    else:
        name = template_name(ctx)
        if name:
            incident = Wanted(name, True, "[slack] incident_channel")
    linked = link_in_incident(ctx.incident_raw)
    fallback = Wanted(linked, True, "a link in the PagerDuty incident") if linked else None
    if incident is None and fallback is not None:
        incident, fallback = fallback, None
    extras: list[Wanted] = []
    for value in ctx.config.slack.channels:
        value = value.strip()
        if not value:
            continue
        w = Wanted(value if is_channel_id(value) else clean_name(value), False, "[slack] channels")
        if all(w.value != other.value for other in extras):
            extras.append(w)
    return incident, extras, fallback


def names_to_find(wants: Iterable[Wanted | None]) -> set[str]:
    return {w.value for w in wants if w is not None and not w.is_id}
