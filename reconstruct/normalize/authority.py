"""What the normalizer knows of sources, read from their declared traits (``SourceTraits`` in
``reconstruct.collectors``), so no module here names one: which source speaks for a merged row
(the lowest ``authority``), which sources are chat (a person's plain message is set aside), and
how a source words why its rows are kept (``reasons``).
"""

from __future__ import annotations

from collections.abc import Iterable

from reconstruct.model import Event

UNKNOWN = 1_000
"""The rank of a source without traits (an old bundle's, a test's): after every known one."""


Reasons = dict[str, tuple[tuple[str, str], ...]]
_DERIVED: dict[int, tuple[object, dict[str, int], frozenset[tuple[str, ...]], Reasons]] = {}
"""Per traits table (``collectors.traits()`` is cached per registry): ranks, chat sources and
each source's reason wording."""


def _derived() -> tuple[dict[str, int], frozenset[tuple[str, ...]], Reasons]:
    from reconstruct.collectors import Role, traits

    found = traits()
    got = _DERIVED.get(id(found))
    if got is None or got[0] is not found:
        ranks = {name: t.authority for name, t in found.items()}
        chat = frozenset((name,) for name, t in found.items() if t.role is Role.CHAT)
        reasons = {name: t.reasons for name, t in found.items() if t.reasons}
        got = _DERIVED[id(found)] = (found, ranks, chat, reasons)
    return got[1], got[2], got[3]


def _authority() -> dict[str, int]:
    return _derived()[0]


def chat_only() -> frozenset[tuple[str, ...]]:
    """The ``sources`` of a record from one chat source alone (``("slack",)``)."""
    return _derived()[1]


def is_chat(sources: tuple[str, ...]) -> bool:
    """Whether a record comes from chat alone (or from nowhere known)."""
    chat = chat_only()
    if sources in chat:
        return True
    return not sources or all((s,) in chat for s in sources)


def source_rank(source: str) -> tuple[int, str]:
    return (_authority().get(source, UNKNOWN), source)


def primary_source(sources: Iterable[str]) -> str:
    """The most authoritative of the sources ("" when there are none)."""
    return min(sources, key=source_rank, default="")


def event_rank(event: Event) -> tuple[int, str]:
    return source_rank(primary_source(event.sources))


def source_reason(event: Event, source: str) -> str | None:
    """How ``source`` words why ``event`` (a row it speaks for) is kept: the first of its
    ``SourceTraits.reasons`` that matches the event's kind or tags; None without a match."""
    for what, wording in _derived()[2].get(source, ()):
        if what in ("*", event.kind.value) or (what[:4] == "tag:" and what[4:] in event.tags):
            return wording
    return None
