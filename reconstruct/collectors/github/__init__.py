"""The github source: deployments and their statuses, merged pull requests, and the commit authors
that tie logins to emails (REST API)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collectors.base import CollectContext, Role, Source, SourceTraits
from reconstruct.config import Config
from reconstruct.model import Event


def _collect(ctx: CollectContext, out: BundleWriter) -> Mapping[str, Any]:
    from reconstruct.collectors.github.live import collect

    return collect(ctx, out)


def _parse(bundle: Bundle) -> Iterator[Event]:
    """``github.parse.parse``, imported when the bundle is read (a skipped source never is)."""
    from reconstruct.collectors.github.parse import parse

    return parse(bundle)


def _skip_reason(config: Config, options: Mapping[str, Any]) -> str | None:
    if not config.github.repos and not config.github.services:
        return "no [github] repos configured"
    return None


SOURCE = Source(
    name="github",
    parse=_parse,
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
