"""References found in free text: ``refs_in_text`` and adding them to an event.

One combined pattern scans the text once. URLs are read first (a PR URL gives ``pr:``, a
PagerDuty incident URL ``pd:``, a GitHub commit URL ``sha:``, any other URL ``url:host/path``);
the other refs (``pd#``, ``sha:``, ``rule:``, ``deploy:``) are read from the text outside URLs, so
a hex-looking segment of a dashboard URL is never taken for a commit.
"""

from __future__ import annotations

import re

from reconstruct.model import Event
from reconstruct.normalize.evolve import evolve
from reconstruct.subject import FIRING, subjects_in

_URL = re.compile(r"https?://[^\s<>|\"'`\]\[)(]+", re.IGNORECASE)
_BRACKET = re.compile(r"\[#(\d+)\]")
_INCIDENT = re.compile(r"\bincident\s+#(\d+)\b", re.IGNORECASE)
# A version tag (v2.3.1) or a hex word of 7-40 digits; hex needs a digit and a letter (below).
_TOKEN = re.compile(
    r"(?<![\w.])(?:(?P<version>[vV]\d+(?:\.\d+){1,3}(?:-[0-9A-Za-z][0-9A-Za-z.]*)?)(?![\w.]*\w)"
    r"|(?P<sha>[0-9a-fA-F]{7,40})(?!\w))"
)
_PR_URL = re.compile(r"^[^/]*github[^/]*/([\w.-]+)/([\w.-]+)/pulls?/(\d+)(?:[/#?]|$)", re.I)
_PD_URL = re.compile(r"^[\w-]+\.pagerduty\.com/incidents/([a-z0-9]+)(?:[/#?]|$)", re.I)
_COMMIT_URL = re.compile(r"^[^/]*github[^/]*/[\w.-]+/[\w.-]+/commits?/([0-9a-f]{7,40})\b", re.I)
_RULE_END = re.compile(r"\s+[-–—]\s+|\s+for\s+\d|:\s")  # "Name - details", "Name: details"
_HAS_DIGIT = re.compile(r"\d")
_HAS_LETTER = re.compile(r"[a-f]", re.I)
_TRAILING = ".,;:!?'\"*_~>"

#: Ref prefixes that identify one occurrence strongly enough to merge two tools' records on.
MERGE_PREFIXES = ("sha:", "pr:", "pd:", "pd#", "alert_key:", "rule:", "deploy:")


def refs_in_text(text: str, *, tokens: bool = True) -> set[str]:
    """Every ref (see ``reconstruct.model``) the text carries, lower case.

    ``tokens=False`` skips bare SHAs and version tags, and alert-rule titles (a person's message:
    those refs are read from bot and tool text only, and a person's message never merges).
    """
    found: set[str] = set()
    if not text:
        return found
    if "://" in text:
        for url in _URL.findall(text):
            ref = url_ref(url)
            if ref:
                found.add(ref)
        text = _URL.sub(" ", text)
    if "[" in text:
        found.update(f"pd#{int(n)}" for n in _BRACKET.findall(text))
    if "#" in text:
        found.update(f"pd#{int(n)}" for n in _INCIDENT.findall(text))
    if not tokens:
        return found
    if "[" in text:
        for subject in subjects_in(text):
            found.update(_rule_refs(subject.status, subject.rule))
    if not any(digit in text for digit in "0123456789"):
        return found  # a SHA or version without a digit is no SHA or version
    for match in _TOKEN.finditer(text):
        version, sha = match.group("version", "sha")
        if version:
            found.add(f"deploy:{version.lower()}")
        elif _HAS_DIGIT.search(sha) and _HAS_LETTER.search(sha):
            found.add(f"sha:{sha[:7].lower()}")
    return found


def url_ref(url: str) -> str | None:
    """The one ref a URL stands for: ``pr:``, ``pd:``, ``sha:`` (commit URL) or ``url:``."""
    rest = url.split("://", 1)[-1].rstrip(_TRAILING)
    if not rest:
        return None
    if m := _PR_URL.match(rest):
        return f"pr:{m.group(1).lower()}/{m.group(2).lower()}#{int(m.group(3))}"
    if m := _PD_URL.match(rest):
        return f"pd:{m.group(1).lower()}"
    if m := _COMMIT_URL.match(rest):
        return f"sha:{m.group(1)[:7].lower()}"
    host_path = re.split(r"[?#]", rest, maxsplit=1)[0].rstrip("/")
    return f"url:{host_path.lower()}" if host_path else None


def _rule_refs(state: str, raw_name: str) -> list[str]:
    """``rule:<name>:<state>`` for the subject's name (``reconstruct.subject``: the group values
    up to a parenthesis) and for each shorter run of its leading words: Grafana's title puts the
    group's other label values after the rule name (``[FIRING:1] CheckoutErrorRate checkout``),
    so ``checkouterrorrate`` must be among them."""
    name = _RULE_END.split(raw_name, maxsplit=1)[0]
    words = name.strip(_TRAILING + " ").lower().split()
    suffix = "firing" if state == FIRING else "resolved"
    return [f"rule:{' '.join(words[:n])}:{suffix}" for n in range(len(words), 0, -1)]


def with_text_refs(event: Event, memo: TextRefs | None = None) -> Event:
    """The event with the refs of its summary and link URLs added (itself when nothing is new).

    An event's own evidence links add their ``pr:``, ``pd:`` and commit ``sha:`` refs only: a
    record's permalink says nothing about what else it is about. ``memo`` (one per normalize
    run) remembers the refs of texts seen before: bot and tool texts repeat.
    """
    tokens = "human" not in event.tags
    found: frozenset[str] | set[str]
    if memo is None:
        found = refs_in_text(event.summary, tokens=tokens)
    else:
        found = memo.of_text(event.summary, tokens)
    from_links: list[str] = []
    for link in event.links:
        url = link.url
        if ("github" in url or "pagerduty" in url) and _may_name_record(url):
            ref = url_ref(url)
            if ref and not ref.startswith("url:"):
                from_links.append(ref)
    if from_links:
        found = found.union(from_links)
    if not found or found <= event.refs:
        return event
    if memo is None:
        return evolve(event, refs=event.refs | found)
    return evolve(event, refs=memo.union(event.refs, frozenset(found)))


class TextRefs:
    """``refs_in_text`` remembered per text, and refs unions shared (one normalize run)."""

    __slots__ = ("_texts", "_unions")

    def __init__(self) -> None:
        self._texts: tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]] = ({}, {})
        self._unions: dict[tuple[frozenset[str], frozenset[str]], frozenset[str]] = {}

    def of_text(self, text: str, tokens: bool) -> frozenset[str]:
        seen = self._texts[tokens]
        found = seen.get(text)
        if found is None:
            found = seen[text] = frozenset(refs_in_text(text, tokens=tokens))
        return found

    def union(self, refs: frozenset[str], found: frozenset[str]) -> frozenset[str]:
        both = self._unions.get((refs, found))
        if both is None:
            both = self._unions[(refs, found)] = refs | found
        return both


def _may_name_record(url: str) -> bool:
    """False only when ``url_ref`` surely gives a ``url:`` ref: a PR, PagerDuty incident or
    commit URL has one of these parts (``re.I`` also matches a few non-ASCII letters)."""
    if not url.isascii():
        return True
    lower = url.lower()
    return "/pull" in lower or ".pagerduty.com/incidents/" in lower or "/commit" in lower


def merge_refs(refs: frozenset[str]) -> list[str]:
    """The refs two records may be matched on (``url:`` links are too loose: a shared dashboard)."""
    return [ref for ref in refs if ref.startswith(MERGE_PREFIXES)]
