"""The pagerduty source: the incident and its log entries, alerts and notes (REST API v2).

The incident provider: collected first, it defines the incident and the window (``collect.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconstruct.bundle import BundleWriter
from reconstruct.collectors.base import CollectContext, Role, Source, SourceTraits
from reconstruct.collectors.pagerduty import parse as _parse
from reconstruct.normalize.repeats import INITIAL


def _collect(ctx: CollectContext, out: BundleWriter) -> Mapping[str, Any]:
    from reconstruct.collectors.pagerduty.live import collect

    return collect(ctx, out)


SOURCE = Source(
    name="pagerduty",
    parse=_parse.parse,
    collect=_collect,
    token_env="PAGERDUTY_TOKEN",  # noqa: S106 (a variable name, not a secret)
    traits=SourceTraits(
        Role.TOOL,
        authority=1,
        noun=("log entry", "log entries"),
        reasons=(
            ("page", "responder paged"),
            (f"tag:{INITIAL}", "responder paged (the trigger's assignment)"),
            ("tag:note", "PagerDuty note"),
            ("update", "PagerDuty log entry"),  # urgency or priority change, snooze, status...
            ("*", "PagerDuty state change"),
        ),
    ),
)

__all__ = ["SOURCE"]
