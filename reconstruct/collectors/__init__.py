"""Sources, one module each, behind a plain registry.

Adding a source costs one module here (exposing ``SOURCE``), its name in ``BUILTIN`` and a fake
in ``tests/fakes``; nothing else changes. Modules are imported on first use.
"""

from __future__ import annotations

import importlib

from reconstruct.collectors.base import CollectContext, Source

BUILTIN: tuple[str, ...] = ("pagerduty", "slack", "github", "grafana")

__all__ = ["BUILTIN", "CollectContext", "Source", "get_source"]


def get_source(name: str) -> Source:
    if name not in BUILTIN:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(BUILTIN)}")
    module = importlib.import_module(f"reconstruct.collectors.{name}")
    source: Source = module.SOURCE
    return source
