"""One incident -> evidence bundle -> Markdown draft, exactly the CLI's live path
(``collect_live`` into a bundle, ``build_timeline``, ``render`` markdown)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reconstruct.bundle import Bundle
from reconstruct.config import Config
from reconstruct.deliver.base import Draft
from reconstruct.model import Incident


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
    from reconstruct.collect import collect_live
    from reconstruct.pipeline import build_timeline
    from reconstruct.render import RenderOptions, render

    path = collect_live(incident_id, config, bundle_dir, {"quiet": True}, now)
    bundle = Bundle.open(path)
    timeline = build_timeline(bundle, config)
    options = RenderOptions(fmt="markdown", diagram=config.render.diagram)
    markdown = render(timeline, options, config)
    draft = Draft(timeline.incident, markdown, path, slack_channel(bundle))
    return Built(draft, timeline.warnings, timeline.failed_sources)


def draft_from(bundle_path: Path, markdown: str, channel: str | None) -> Draft:
    """The draft a previous run built and kept in the state (its bundle is still on disk)."""
    import reconstruct.collectors.pagerduty.parse as pd

    incident: Incident = pd.parse_incident(Bundle.open(bundle_path))
    return Draft(incident, markdown, bundle_path, channel)
