"""The slack source: the incident channel and ``[slack] channels``, through the Web API or a
workspace export (``--slack-export``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconstruct.bundle import BundleWriter
from reconstruct.collectors.base import CollectContext, Role, Source, SourceTraits
from reconstruct.collectors.slack import parse as _parse
from reconstruct.config import Config, env_token

TOKEN_ENV = "SLACK_TOKEN"  # noqa: S105 (a variable name, not a secret)


def _collect(ctx: CollectContext, out: BundleWriter) -> Mapping[str, Any]:
    """Live Web API run, or ``--slack-export FILE.zip`` when that option is set."""
    if ctx.options.get("slack_export"):
        from reconstruct.collectors.slack.export import collect_export

        return collect_export(ctx, out)
    from reconstruct.collectors.slack.live import collect_live

    return collect_live(ctx, out)


def _skip_reason(config: Config, options: Mapping[str, Any]) -> str | None:
    if env_token(TOKEN_ENV) is None and not options.get("slack_export"):
        return f"{TOKEN_ENV} is not set"
    return None


SOURCE = Source(
    name="slack",
    parse=_parse.parse,
    collect=_collect,
    token_env=TOKEN_ENV,
    skip_reason=_skip_reason,
    traits=SourceTraits(Role.CHAT, authority=3, noun=("message", "messages")),
)

__all__ = ["SOURCE"]
