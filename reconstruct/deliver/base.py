"""The contract between the watcher and the sinks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from reconstruct.model import Incident


def slugify(text: str, limit: int = 60) -> str:
    """The title reduced to a safe file and branch name: redacted, ASCII ``[a-z0-9-]`` only
    (``deliver.safe``)."""
    from reconstruct.deliver.safe import Outbound

    return Outbound().slug(text, limit)


@dataclass(frozen=True, slots=True)
class Draft:
    incident: Incident
    markdown: str
    """The rendered post-mortem draft (already redacted)."""
    bundle_path: Path
    """The evidence bundle it was built from."""
    slack_channel: str | None = None
    """The incident's Slack channel ID, when the bundle found one."""
    revision: int = 1
    """1 for the first draft; 2, 3... when the incident was reopened and resolved again after
    an earlier draft was delivered (a sink updates what it delivered, or says it is an update)."""

    @property
    def is_update(self) -> bool:
        return self.revision > 1

    @property
    def slug(self) -> str:
        return slugify(self.incident.title)

    @property
    def date(self) -> str:
        return self.incident.started_at.strftime("%Y-%m-%d")

    @property
    def filename(self) -> str:
        """``YYYY-MM-DD-<slug>.md``"""
        return f"{self.date}-{self.slug}.md"


class Sink(Protocol):
    name: str

    def deliver(self, draft: Draft) -> str:
        """Deliver once; return where it went. Raise DeliveryError on failure."""
        ...
