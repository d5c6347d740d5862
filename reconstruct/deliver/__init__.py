"""Delivery sinks: where a finished draft goes when ``reconstruct watch`` or ``serve`` builds it.

A sink is one module here exposing ``make(config) -> Sink | None`` (None when not configured),
registered in ``SINKS``. ``deliver(draft)`` returns where the draft went (a path or URL) and raises
``DeliveryError`` with one line naming the sink and the fix when it cannot deliver.
"""

from __future__ import annotations

import importlib

from reconstruct.config import Config
from reconstruct.deliver.base import Draft, Sink

SINKS: tuple[str, ...] = ("dir", "slack", "github")

__all__ = ["SINKS", "Draft", "Sink", "configured_sinks"]


def configured_sinks(config: Config) -> list[Sink]:
    """The sinks turned on in ``[deliver]``, in ``SINKS`` order."""
    sinks: list[Sink] = []
    for name in SINKS:
        module = importlib.import_module(f"reconstruct.deliver.{name}_sink")
        sink = module.make(config)
        if sink is not None:
            sinks.append(sink)
    return sinks
