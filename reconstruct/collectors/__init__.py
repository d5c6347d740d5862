"""Sources, one package each, behind a plain registry.

Adding a source costs its package (``SOURCE = Source(...)`` in its ``__init__``: name, token
variable, ``skip_reason``, ``collect``, ``parse`` and the ``traits`` the normalizer reads) and
one line in ``REGISTRY``; nothing outside ``collectors/`` names it. Packages are imported on
first use, so ``--help`` stays fast. Tests register an example source the same way
(``tests/example_source``).
"""

from __future__ import annotations

import importlib
from functools import cache

from pydantic import BaseModel

from reconstruct.collectors.base import CollectContext, Role, Source, SourceTraits

REGISTRY: dict[str, str] = {
    "pagerduty": "reconstruct.collectors.pagerduty",
    "slack": "reconstruct.collectors.slack",
    "github": "reconstruct.collectors.github",
    "grafana": "reconstruct.collectors.grafana",
}
"""Source name -> the module that declares its ``SOURCE``, in collection and parse order."""

BUILTIN: tuple[str, ...] = ("pagerduty", "slack", "github", "grafana")
"""The four sources that ship with reconstruct, whose config tables are ``Config``'s own; named
here, not taken from ``REGISTRY``, so a source added to ``REGISTRY`` (a line in the literal
above, or ``REGISTRY[name] = module`` later) gets its own ``[table]`` and the contract tests."""

__all__ = [
    "BUILTIN",
    "REGISTRY",
    "CollectContext",
    "Role",
    "Source",
    "SourceTraits",
    "config_models",
    "get_source",
    "names",
    "traits",
]


def names() -> tuple[str, ...]:
    """Every registered source, in order."""
    return tuple(REGISTRY)


def get_source(name: str) -> Source:
    if name not in REGISTRY:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(REGISTRY)}")
    module = importlib.import_module(REGISTRY[name])
    source: Source = module.SOURCE
    return source


def config_models() -> dict[str, type[BaseModel]]:
    """The config tables registered sources declare (``Source.config_model``), for
    ``config.load_config(source_tables=...)``; the built-in sources' tables are ``Config``'s own,
    so only other sources' packages are imported."""
    models: dict[str, type[BaseModel]] = {}
    for name in REGISTRY:
        if name in BUILTIN:
            continue
        model = get_source(name).config_model
        if model is not None:
            models[name] = model
    return models


def traits() -> dict[str, SourceTraits]:
    """Each registered source's traits (what ``normalize`` and ``render`` read); cached per
    registry, so a source registered later (a test's) is seen."""
    return _traits(tuple(REGISTRY.items()))


@cache
def _traits(registry: tuple[tuple[str, str], ...]) -> dict[str, SourceTraits]:
    return {name: get_source(name).traits for name, _ in registry}
