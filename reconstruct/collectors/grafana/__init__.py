"""The grafana source: dashboard annotations and alert state changes (``/api/annotations``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collectors.base import CollectContext, Role, Source, SourceTraits
from reconstruct.config import TOKEN_ENV, Config
from reconstruct.model import Event


def _collect(ctx: CollectContext, out: BundleWriter) -> Mapping[str, Any]:
    from reconstruct.collectors.grafana.live import collect

    return collect(ctx, out)


def _parse(bundle: Bundle) -> Iterator[Event]:
    """``grafana.parse.parse``, imported when the bundle is read (a skipped source never is)."""
    from reconstruct.collectors.grafana.parse import parse

    return parse(bundle)


def _skip_reason(config: Config, options: Mapping[str, Any]) -> str | None:
    from reconstruct.collectors.grafana.parse import configured

    return None if configured(config) else "no [grafana] url configured"


SOURCE = Source(
    name="grafana",
    parse=_parse,
    collect=_collect,
    token_env=TOKEN_ENV["grafana"],
    skip_reason=_skip_reason,
    traits=SourceTraits(
        Role.TOOL,
        authority=2,
        reasons=(("alert", "alert state change"), ("*", "dashboard annotation")),
    ),
)

__all__ = ["SOURCE"]
