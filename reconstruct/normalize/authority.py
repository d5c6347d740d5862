"""What the normalizer knows of sources, read from their declared traits (``SourceTraits`` in
``reconstruct.collectors``), so no module here names one: which source speaks for a merged row
(the lowest ``authority``), and which sources are chat (a person's plain message is set aside).
"""

from __future__ import annotations

from collections.abc import Iterable

from reconstruct.model import Event

UNKNOWN = 1_000
"""The rank of a source without traits (an old bundle's, a test's): after every known one."""


_DERIVED: dict[int, tuple[object, dict[str, int], frozenset[tuple[str, ...]]]] = {}
"""Per traits table (``collectors.traits()`` is cached per registry): ranks and chat sources."""


def _derived() -> tuple[dict[str, int], frozenset[tuple[str, ...]]]:
    from reconstruct.collectors import Role, traits

    found = traits()
    got = _DERIVED.get(id(found))
    if got is None or got[0] is not found:
        ranks = {name: t.authority for name, t in found.items()}
        chat = frozenset((name,) for name, t in found.items() if t.role is Role.CHAT)
        got = _DERIVED[id(found)] = (found, ranks, chat)
    return got[1], got[2]


def _authority() -> dict[str, int]:
    return _derived()[0]


def chat_only() -> frozenset[tuple[str, ...]]:
    """The ``sources`` of a record from one chat source alone (``("slack",)``)."""
    return _derived()[1]


def is_chat(sources: tuple[str, ...]) -> bool:
    """Whether a record comes from chat alone (or from nowhere known)."""
    if sources in chat_only():
        return True
    return not sources or all((s,) in chat_only() for s in sources)


def source_rank(source: str) -> tuple[int, str]:
    return (_authority().get(source, UNKNOWN), source)


def primary_source(sources: Iterable[str]) -> str:
    """The most authoritative of the sources ("" when there are none)."""
    return min(sources, key=source_rank, default="")


def event_rank(event: Event) -> tuple[int, str]:
    return source_rank(primary_source(event.sources))
