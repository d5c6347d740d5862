"""A notifier's post of an alert group: how many alerts it reports, in which state, and which.

Grafana's and Alertmanager's notifiers send one notification per alert group, not per alert.
Grafana's default Slack message (``default.title`` / ``default.message`` in grafana/alerting
``templates/default_template.go``) is an attachment whose title is the ``__subject`` template::

    [FIRING:30] CheckoutLatencyP99High Checkout (prod-eu-1 checkout critical)
    [FIRING:12, RESOLVED:18] CheckoutLatencyP99High Checkout (prod-eu-1 checkout critical)
    [RESOLVED] CheckoutLatencyP99High Checkout (prod-eu-1 checkout critical)

(the status, upper case; when firing, the firing count and, when some resolved too, the
resolved count; then the group labels' values and the other common labels' values), and whose
text lists the firing alerts under ``**Firing**`` and the resolved ones under ``**Resolved**``,
one ``__text_alert_list`` block per alert (``Value:``, ``Labels:`` with `` - key = value`` lines,
``Annotations:``, ``Source:``, ``Silence:``...). Alertmanager's default Slack title is the same
without the resolved count (``slack.default.title``: ``[FIRING:44] X``, ``[RESOLVED] X``). A
chat post's text reaches the normalizer as one line, the bold markers read (``Firing Value: ...
Labels: - alertname = X - pod = p-1 Labels: ...``) or kept (``**Firing**``).

``collapse`` reads a post of a group of several alerts as a notice of its rule's storm, never
one more alert: ``group_post`` gives its counts, the states it reports and, per state, the
labels of each alert it lists. The title is read by ``reconstruct.subject.parse_subject``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reconstruct.normalize.instances import labels_in_text
from reconstruct.subject import FIRING, RESOLVED, parse_subject

_SECTION = re.compile(r"(?<![\w*])\**(Firing|Resolved)\**(?=\s+(?:Value|Labels):)")
"""``**Firing**`` / ``**Resolved**`` (or the words left once the bold is read) heading an alert
list: the word right before an alert's ``Value:`` or ``Labels:``."""
_LABELS = re.compile(r"\bLabels:")


@dataclass(frozen=True, slots=True)
class GroupPost:
    """What a notifier's post says of its group."""

    firing: int | None
    """The title's firing count (``[FIRING:30]``: 30); None when the title gives none."""
    resolved: int | None
    """The title's resolved count (``[FIRING:12, RESOLVED:18]``: 18); None when it gives none
    (Grafana's and Alertmanager's ``[RESOLVED]``)."""
    states: tuple[str, ...]
    """The states it reports, each once: ``("firing",)``, ``("resolved",)``, or both for a
    group post of both (resolved first: what a mixed post adds is the clearing)."""
    alerts: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    """State -> the labels of each alert it lists in that state (one ``Labels:`` block each)."""

    @property
    def several(self) -> bool:
        """The post reports more than one alert (its counts or its alert list say so)."""
        counted = (self.firing or 0) + (self.resolved or 0)
        return counted > 1 or sum(len(listed) for listed in self.alerts.values()) > 1


def group_post(text: str) -> GroupPost | None:
    """The group a post's text reports; None when the text does not start with a notifier's
    ``[FIRING...]`` / ``[RESOLVED...]`` title."""
    title = parse_subject(text)
    if title is None:
        return None
    status, firing, resolved = title.status, title.firing, title.resolved
    alerts: dict[str, list[dict[str, str]]] = {}
    sections = list(_SECTION.finditer(text))
    if sections:
        for n, head in enumerate(sections):
            end = sections[n + 1].start() if n + 1 < len(sections) else len(text)
            state = head.group(1).lower()
            alerts.setdefault(state, []).extend(_blocks(text[head.end() : end]))
    elif blocks := _blocks(text[title.start :]):  # the bracket holds no ``Labels:``
        alerts[status] = blocks
    states = {status, *alerts}
    if resolved:
        states.add(RESOLVED)
    if firing == 0:
        states.discard(FIRING)
    ordered = tuple(s for s in (RESOLVED, FIRING) if s in states)
    return GroupPost(firing, resolved, ordered or (status,), alerts)


def _blocks(text: str) -> list[dict[str, str]]:
    """The labels of each ``Labels:`` block in ``text``, in order."""
    starts = [m.start() for m in _LABELS.finditer(text)]
    out = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(text)
        if labels := labels_in_text(text[start:end]):
            out.append(labels)
    return out
