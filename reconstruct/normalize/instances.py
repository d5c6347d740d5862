"""Which alert instance a record is about: its instance labels, read from the alert text tools
write, so records of one rule are merged per instance and a storm is named for its rule.

Grafana's and Alertmanager's default notification text (the ``__text_alert_list`` template,
used by the Slack, PagerDuty and email notifiers, and in PagerDuty's ``custom_details.firing``)
lists each alert's labels, one per line::

    Labels:
     - alertname = PaymentsLatencyHigh
     - grafana_folder = Payments
     - pod = payments-007

(https://github.com/grafana/grafana/blob/main/pkg/services/ngalert/notifier/channels_config/
default_template.go; a chat post's text may come as one line, the dashes kept.) A notification
of several alerts lists several blocks: a label with several values names no one instance and is
left out.

Tags: ``label:<key>=<value>`` for the labels that say which instance an alert is about
(``INSTANCE_KEYS``, as the dashboard source tags them), and ``alertname:<name>`` (the rule's
name as the tool wrote it, case kept) when the text names one rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from reconstruct.model import Event
from reconstruct.normalize.evolve import evolve

LABEL = "label:"
"""An alert's instance label, ``label:<key>=<value>`` (``label:pod=web-00``)."""
ALERTNAME = "alertname:"
"""The alert rule's name as a tool wrote it (``alertname:PaymentsLatencyHigh``)."""
WRITTEN = "written"
"""Tag of a tool's record whose text a person wrote (a dashboard annotation they added): their
own words in that tool, whatever kind its tags give it (``steps`` joins it with their message)."""
INSTANCE_KEYS = (
    "instance", "pod", "host", "hostname", "node", "nodename", "container", "device", "mountpoint",
    "region", "zone", "availability_zone", "cluster", "datacenter", "dc", "location", "probe",
)  # fmt: skip
"""Labels that say which instance or place an alert is about, in that order (Grafana Synthetic
Monitoring's checks carry ``instance``, ``job`` and ``probe``; cloud alerts a ``region`` or
``zone``); the others (``alertname``, ``grafana_folder``, severity, team) are the same on every
instance of a rule and say nothing a row needs."""

_BLOCK = re.compile(
    r"Labels:\s*(.*?)(?=\b(?:Annotations|Source|Silence|Dashboard|Panel|Value|Labels):|$)",
    re.DOTALL,
)
_PAIR_START = re.compile(r"(?:^|\s)-\s+(?=[A-Za-z_][\w.]*\s*=)")


def labels_in_text(text: str) -> dict[str, str]:
    """The labels of the ``Labels:`` blocks in ``text`` whose value is the same in every block
    (``{"alertname": "PaymentsLatencyHigh", "pod": "payments-007"}``); {} when none."""
    if "Labels:" not in text:
        return {}
    seen: dict[str, set[str]] = {}
    for block in _BLOCK.findall(text):
        for pair in _PAIR_START.split(block):
            key, sep, value = pair.partition("=")
            key, value = key.strip(), " ".join(value.split())
            if sep and key and value and re.fullmatch(r"[A-Za-z_][\w.]*", key):
                seen.setdefault(key, set()).add(value)
    return {key: next(iter(values)) for key, values in seen.items() if len(values) == 1}


def instance_tags(labels: dict[str, str]) -> set[str]:
    """``label:<key>=<value>`` for the instance labels, ``alertname:<name>`` for the rule."""
    tags = {f"{LABEL}{key}={labels[key]}" for key in INSTANCE_KEYS if labels.get(key)}
    if name := labels.get("alertname"):
        tags.add(ALERTNAME + name)
    return tags


def with_instance(event: Event) -> Event:
    """The event with the instance tags its text gives (a tool's or bot's text only: a person
    quoting an alert is no alert); itself when there are none or it has them."""
    if "Labels:" not in event.summary or "human" in event.tags:
        return event
    tags = instance_tags(labels_in_text(event.summary))
    if not tags or tags <= event.tags:
        return event
    return evolve(event, tags=event.tags | tags)


def instance_of(tags: Iterable[str]) -> tuple[str, ...]:
    """The instance labels among ``tags``, sorted: ``("label:pod=web-00",)``; () for none."""
    return tuple(sorted(t for t in tags if t.startswith(LABEL)))


def alertnames(tags: Iterable[str]) -> list[str]:
    """The rule names the tags give (``alertname:``), as written."""
    return sorted(t[len(ALERTNAME) :] for t in tags if t.startswith(ALERTNAME))
