"""An alert notifier's default subject: ``[FIRING:3] HighLatency checkout (prod critical)``.

Alertmanager and Grafana title every notification of an alert group with the ``__subject``
template (Alertmanager ``template/default.tmpl``; Grafana's is ``default.title`` in grafana/alerting
``templates/default_template.go``), used as the Slack attachment title, the PagerDuty
``payload.summary``, the e-mail subject, the Opsgenie message and the Jira summary::

    [{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}]
    {{ .GroupLabels.SortedPairs.Values | join " " }} {{ if gt (len .CommonLabels) (len
    .GroupLabels) }}({{ with .CommonLabels.Remove .GroupLabels.Names }}{{ .Values | join " "
    }}{{ end }}){{ end }}

Grafana adds the resolved count when a firing group has some (``{{ if gt (.Alerts.Resolved |
len) 0 }}, RESOLVED:{{ .Alerts.Resolved | len }}{{ end }}`` inside the firing branch). So:

    [FIRING:1] IngressNode5xxHigh (gke-prod-pool-b-00-bmxj europe-west1-b)   both
    [FIRING:12, RESOLVED:18] CheckoutLatencyP99High Checkout (prod-eu-1 critical)   Grafana
    [RESOLVED] CheckoutLatencyP99High Checkout (prod-eu-1 critical)           both, no count
    [FIRING:44] HighCPU                     every common label is a group label: no parentheses
    [FIRING:3]  (HighCPU node-1 prod)       no ``group_by`` (Alertmanager's default route):
                                            no group values, the common ones in parentheses

The status is upper case, the values are written without their names, sorted by label name,
joined by one space (a value may itself hold spaces: ``Checkout latency high``), and a space
always follows them (``[FIRING:44] HighCPU `` ends in one). Grafana's legacy alerting titled
notifications ``[Alerting] <rule name>`` / ``[OK] <rule name>``; those read as firing and
resolved. Case is not significant here (chat text may be re-cased by a bot or a person).

``parse_subject`` reads the subject a text starts with, ``subjects_in`` every one a text holds;
``BRACKET`` is the status bracket as a regular expression, for patterns built on it (``config``'s
``bot_kinds``). Nothing here names a source: the same subject arrives by chat, by page and by mail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

FIRING = "firing"
RESOLVED = "resolved"

_STATUS = "firing|resolved|alerting|ok"
"""The bracket's status words: the notifiers' two (``.Status``), Grafana legacy alerting's two."""
_FIRING_WORDS = frozenset({FIRING, "alerting"})


def _bracket(status: str, firing: str, resolved: str) -> str:
    return rf"\[{status}(?::\s*{firing})?(?:,\s*resolved:\s*{resolved})?\]"


BRACKET = _bracket(f"(?:{_STATUS})", r"\d+", r"\d+")
"""``[FIRING:12, RESOLVED:18]``, ``[RESOLVED]``...: the status bracket as a regular expression
source, lower case, without groups (compile it case-insensitively)."""

_SUBJECT = re.compile(
    _bracket(f"(?P<status>{_STATUS})", r"(?P<firing>\d+)", r"(?P<resolved>\d+)")
    + r"[ \t]*(?P<rule>[^\n\r(\[|]*)(?:\((?P<common>[^()\n\r]*)\))?",
    re.IGNORECASE,
)
"""The bracket, the group values up to a parenthesis, a bracket, a ``|`` or the line's end, and
the parenthesised common values."""
_AT_START = re.compile(r"\W*?" + _SUBJECT.pattern, re.IGNORECASE)
"""A subject after marks that are not words (``*``, ``>``, an emoji), as few as need be."""


@dataclass(frozen=True, slots=True)
class Subject:
    """What a notifier's subject says of its alert group, and where it is in the text read."""

    status: str
    """``firing`` or ``resolved`` (the group's status; a firing group may report resolved alerts
    too: ``resolved``)."""
    firing: int | None
    """The firing count (``[FIRING:30]``: 30); None when the subject gives none (``[RESOLVED]``,
    legacy ``[Alerting]``)."""
    resolved: int | None
    """The resolved count of a firing group (``[FIRING:12, RESOLVED:18]``: 18, Grafana only);
    None when the subject gives none (Alertmanager's, and every ``[RESOLVED]``)."""
    rule: str
    """The group labels' values as written, space-joined, outer spaces removed: the rule name
    among them (``CheckoutLatencyP99High Checkout``); "" when the group has no labels."""
    common: str | None
    """The other common labels' values as written, the parentheses removed (``prod-eu-1
    critical``); None when the subject has no parentheses."""
    start: int
    """Where the bracket starts in the text read."""
    end: int
    """Where the subject ends in the text read (after the ``)``, or after the rule's last
    character): ``text[end:]`` is what follows it (a chat post's alert list)."""

    @property
    def title(self) -> str:
        """The subject without its status bracket, as written: ``IngressNode5xxHigh
        (gke-prod-pool-b europe-west1-b)``, ``HighCPU``, ``(HighCPU node-1 prod)`` (a title for a
        draft or a row, the state said elsewhere)."""
        if self.common is None:
            return self.rule
        return f"{self.rule} ({self.common})" if self.rule else f"({self.common})"


def parse_subject(text: str) -> Subject | None:
    """The subject ``text`` starts with (after any marks that are not words: Slack's bold ``*``,
    a quote's ``>``, an emoji), or None when it does not start with a status bracket.

    ``parse_subject("[FIRING:2] HighLatency checkout (prod)")`` ->
    ``Subject(status="firing", firing=2, resolved=None, rule="HighLatency checkout",
    common="prod", start=0, end=37)``. The whole text is the subject when
    ``text[subject.end:].strip()`` is empty.
    """
    if "[" not in text:
        return None
    match = _AT_START.match(text)
    return _subject(match) if match is not None else None


def subjects_in(text: str) -> Iterator[Subject]:
    """Every subject ``text`` holds, wherever it is (a bot's message quoting one, two in one
    post), in order."""
    if "[" not in text:
        return
    for match in _SUBJECT.finditer(text):
        yield _subject(match)


def _subject(match: re.Match[str]) -> Subject:
    firing, resolved, common = match.group("firing", "resolved", "common")
    raw = match.group("rule")
    rule = raw.strip()
    if common is not None:
        end = match.end()
    else:
        end = match.start("rule") + len(raw.rstrip())
    return Subject(
        status=FIRING if match.group("status").lower() in _FIRING_WORDS else RESOLVED,
        firing=int(firing) if firing else None,
        resolved=int(resolved) if resolved else None,
        rule=rule,
        common=common.strip() if common is not None else None,
        start=match.start("status") - 1,  # its ``[``
        end=end,
    )


__all__ = ["BRACKET", "FIRING", "RESOLVED", "Subject", "parse_subject", "subjects_in"]
