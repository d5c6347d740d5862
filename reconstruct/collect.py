"""Live collection: PagerDuty first (it defines the incident and the window), then the other
sources, written into an evidence bundle that the rest of the pipeline reads."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from reconstruct.config import Config
from reconstruct.errors import UsageError


def collect_live(
    incident: str,
    config: Config,
    save_bundle: Path | None,
    options: dict[str, Any],
    now: datetime,
) -> Path:
    raise UsageError("live collection is not available yet; use --bundle DIR or --incident demo")
