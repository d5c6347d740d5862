"""The grafana source: dashboard annotations and alert state changes (``/api/annotations``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconstruct.bundle import BundleWriter
from reconstruct.collectors.base import CollectContext, Role, Source, SourceTraits
from reconstruct.collectors.grafana import parse as _parse
from reconstruct.config import Config


def _collect(ctx: CollectContext, out: BundleWriter) -> Mapping[str, Any]:
    from reconstruct.collectors.grafana.live import collect

    return collect(ctx, out)


def _skip_reason(config: Config, options: Mapping[str, Any]) -> str | None:
    return None if _parse.configured(config) else "no [grafana] url configured"


SOURCE = Source(
    name="grafana",
    parse=_parse.parse,
    collect=_collect,
    token_env=_parse.TOKEN_VAR,
    skip_reason=_skip_reason,
    traits=SourceTraits(
        Role.TOOL,
        authority=2,
        reasons=(("alert", "alert state change"), ("*", "dashboard annotation")),
    ),
)

__all__ = ["SOURCE"]
