"""One incident -> evidence bundle -> Markdown draft, through the CLI's own path
(``pipeline.draft``: ``collect_live`` into a bundle, ``build_timeline``, ``render``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reconstruct.bundle import Bundle
from reconstruct.config import Config
from reconstruct.deliver.base import Draft
from reconstruct.model import Incident

DEADLINE_SETTING = "[watch] timeout"
"""What sets ``watch``'s per-incident deadline, named in every deadline message of its runs
(``collect_live``'s ``deadline_setting``; ``--timeout`` is the CLI's)."""


@dataclass(frozen=True, slots=True)
class Built:
    draft: Draft
    warnings: tuple[str, ...]
    failed_sources: tuple[str, ...] = ()


def slack_channel(bundle: Bundle) -> str | None:
    status = bundle.source("slack")
    channel = status.meta.get("incident_channel") if status and status.meta else None
    return channel if isinstance(channel, str) and channel else None


def build(incident_id: str, config: Config, bundle_dir: Path, now: datetime) -> Built:
    """Collect and render one incident through the CLI's own path (``pipeline.draft``), under a
    per-incident deadline (``[watch] timeout``)."""
    from reconstruct.pipeline import RunRequest, draft
    from reconstruct.render import RenderOptions

    request = RunRequest(
        incident=incident_id,
        save_bundle=bundle_dir,
        options={
            "quiet": True,
            "timeout": config.watch.timeout.total_seconds(),
            "deadline_setting": DEADLINE_SETTING,
        },
    )
    options = RenderOptions(fmt="markdown", diagram=config.render.diagram)
    markdown, result = draft(request, config, now, options)
    timeline = result.timeline
    channel = slack_channel(Bundle.open(result.bundle_path))
    built = Draft(timeline.incident, markdown, result.bundle_path, channel)
    return Built(built, timeline.warnings, timeline.failed_sources)


def draft_from(bundle_path: Path, markdown: str, channel: str | None) -> Draft:
    """The draft a previous run built and kept in the state (its bundle is still on disk)."""
    import reconstruct.collectors.pagerduty.parse as pd

    incident: Incident = pd.parse_incident(Bundle.open(bundle_path))
    return Draft(incident, markdown, bundle_path, channel)
