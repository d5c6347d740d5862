"""Turn a Timeline into the post-mortem draft (Markdown), or JSON, HTML, CSV."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconstruct.config import Config
from reconstruct.model import Timeline

FORMATS = ("markdown", "json", "html", "csv")


@dataclass(frozen=True, slots=True)
class RenderOptions:
    fmt: str = "markdown"
    template: Path | None = None
    timeline_only: bool = False
    why: bool = False


def render(timeline: Timeline, options: RenderOptions, config: Config) -> str:
    """Placeholder: replaced by the real renderer."""
    lines = ["| Time (UTC) | Event |", "|---|---|"]
    lines += [f"| {e.time:%H:%M} | {e.summary} |" for e in timeline.events]
    return "\n".join(lines) + "\n"


def insert_into(draft: str, timeline: Timeline, options: RenderOptions, config: Config) -> str:
    """Placeholder: replaced by the real renderer."""
    raise NotImplementedError
