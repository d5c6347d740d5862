"""For tests about the four built-in sources: they scope themselves to ``collectors.BUILTIN``, so
a source registered besides them (its "not collected" warning, its manifest entry) leaves them
meaningful instead of failing them (issue #13)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from reconstruct.collectors import BUILTIN

_SOURCE_LINE = re.compile(r"^reconstruct: (?:warning|error): ([a-z0-9_-]+): ")


def only_builtin(lines: Iterable[str]) -> list[str]:
    """``lines`` without those naming a registered source that is not built in."""
    kept = []
    for line in lines:
        named = _SOURCE_LINE.match(line)
        if named is None or named.group(1) in BUILTIN or not _registered(named.group(1)):
            kept.append(line)
    return kept


def err_lines(err: str) -> list[str]:
    """stderr's lines, scoped to the built-in sources."""
    return only_builtin(err.splitlines())


def builtin_sources(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest's sources that are built in (name -> its entry)."""
    return {n: s for n, s in manifest["sources"].items() if n in BUILTIN}


def _registered(name: str) -> bool:
    from reconstruct import collectors

    return name in collectors.REGISTRY
