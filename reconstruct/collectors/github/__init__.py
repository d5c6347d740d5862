"""The github source: deployments and their statuses, merged pull requests, and the commit authors
that tie logins to emails (REST API)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconstruct.bundle import BundleWriter
from reconstruct.collectors.base import CollectContext, Role, Source, SourceTraits
from reconstruct.collectors.github import parse as _parse
from reconstruct.config import Config


def _collect(ctx: CollectContext, out: BundleWriter) -> Mapping[str, Any]:
    from reconstruct.collectors.github.live import collect

    return collect(ctx, out)


def _skip_reason(config: Config, options: Mapping[str, Any]) -> str | None:
    if not config.github.repos and not config.github.services:
        return "no [github] repos configured"
    return None


SOURCE = Source(
    name="github",
    parse=_parse.parse,
    collect=_collect,
    token_env="GITHUB_TOKEN",  # noqa: S106 (a variable name, not a secret)
    skip_reason=_skip_reason,
    traits=SourceTraits(
        Role.TOOL,
        authority=0,
        reasons=(("change", "merged PR"),),
    ),
)

__all__ = ["SOURCE"]
