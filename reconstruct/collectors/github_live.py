"""Live GitHub collection (placeholder while the parser lands)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconstruct.bundle import BundleWriter
from reconstruct.collectors.base import CollectContext


def collect(ctx: CollectContext, out: BundleWriter) -> Mapping[str, Any]:
    raise NotImplementedError
