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
name as the tool wrote it, case kept) when the text names one rule. An alert with none of
``INSTANCE_KEYS`` keeps its other labels as ``alertlabel:<key>=<value>`` (``service``,
``upstream``, ``queue``: any label a rule's author chose); ``named_instances`` then reads them
per rule: a label whose value differs between the rule's records names the instance (an alert
instance *is* its label set: Alertmanager's fingerprint, Grafana's alert instance) and becomes a
``label:`` tag; one with the same value on every record names nothing. No ``alertlabel:`` tag
leaves ``named_instances``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping

from reconstruct.model import Event
from reconstruct.normalize.evolve import evolve

LABEL = "label:"
"""An alert's instance label, ``label:<key>=<value>`` (``label:pod=web-00``)."""
ALERTNAME = "alertname:"
"""The alert rule's name as a tool wrote it (``alertname:PaymentsLatencyHigh``)."""
VALUES = "values:"
"""The values an alert's evaluation returned, as the tool wrote them (``values:B=0.6, C=1``):
JSON keeps them (``values``); a row's words do not."""
TAG = "tag:"
"""A tag a dashboard annotation carries (``tag:cert-manager``, lower case): JSON keeps them
(``tags``); a row's words do not."""
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

OTHER_LABEL = "alertlabel:"
"""A label of an alert with no ``INSTANCE_KEYS`` label, ``alertlabel:<key>=<value>``
(``alertlabel:service=checkout-api``): read per rule by ``named_instances``, never past it."""
NOT_LABELS = frozenset({
    "alertname", "firing", "resolved", "num_firing", "num_resolved", "summary", "description",
    "message", "runbook_url", "runbook", "dashboard", "panel", "value", "values", "playbook",
})  # fmt: skip
"""Keys that never name an instance: the rule (``alertname``), the fields of a notifier's
PagerDuty ``custom_details`` (Alertmanager's and Grafana's ``firing``, ``resolved``,
``num_firing``, ``num_resolved``) and the common annotations (``summary``, ``description``,
``runbook_url``…) a sender may put beside them: per notification, not per instance."""
_VALUE = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?")
"""A measured value (``0.18``, ``2.4e-3``): a label holding one changes with every evaluation
(Grafana's docs: "do not put the value of the query in a custom label"), so it names no
instance."""

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


def instance_tags(labels: Mapping[str, str]) -> set[str]:
    """``label:<key>=<value>`` for the instance labels, ``alertname:<name>`` for the rule; when
    none of ``INSTANCE_KEYS`` is there, ``alertlabel:<key>=<value>`` for each other label that
    may name an instance (``may_name``), for ``named_instances`` to judge per rule."""
    tags = {f"{LABEL}{key}={labels[key]}" for key in INSTANCE_KEYS if labels.get(key)}
    if not tags:
        tags = {f"{OTHER_LABEL}{k}={v}" for k, v in labels.items() if may_name(k, v)}
    if name := labels.get("alertname"):
        tags.add(ALERTNAME + name)
    return tags


def may_name(key: str, value: str) -> bool:
    """Whether a label (not one of ``INSTANCE_KEYS``) may name an alert's instance: not the
    rule's name, a notifier's field or an annotation (``NOT_LABELS``), not private
    (``__alert_rule_uid__``: Grafana's), a value of one word that is no measured value."""
    return (
        bool(value)
        and key.casefold() not in NOT_LABELS
        and not key.startswith("__")
        and len(value.split()) == 1
        and _VALUE.fullmatch(value) is None
    )


def named_instances(events: list[Event]) -> list[Event]:
    """The events with each rule's instance named where ``INSTANCE_KEYS`` did not: per rule
    (one ``alertname:`` tag) that no record names an instance of (``label:``), the labels
    (``alertlabel:``) whose value differs between its records become ``label:`` tags, and a
    record's text that does not say the value gets `` (service=checkout-api)`` after the
    rule's name (a tool's own text, as Grafana's annotations print a pod); every
    ``alertlabel:`` tag is dropped. Order and count kept; an event unchanged is itself."""
    values: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    named: set[str] = set()  # rules a record names an instance of
    for event in events:
        rule = _one_rule(event.tags)
        if not rule:
            continue
        for tag in event.tags:
            if tag.startswith(LABEL):
                named.add(rule)
            elif tag.startswith(OTHER_LABEL):
                key, _, value = tag[len(OTHER_LABEL) :].partition("=")
                values[rule][key].add(value)
    naming = {
        rule: frozenset(k for k, vs in keys.items() if len(vs) > 1)
        for rule, keys in values.items()
        if rule not in named
    }
    return [_named(event, naming.get(_one_rule(event.tags), frozenset())) for event in events]


def _one_rule(tags: Iterable[str]) -> str:
    names = alertnames(tags)
    return names[0] if len(names) == 1 else ""


def _named(event: Event, keys: frozenset[str]) -> Event:
    others = {t for t in event.tags if t.startswith(OTHER_LABEL)}
    if not others:
        return event
    pairs = sorted(
        (key, value)
        for key, _, value in (t[len(OTHER_LABEL) :].partition("=") for t in others)
        if key in keys
    )
    tags = (event.tags - others) | {f"{LABEL}{k}={v}" for k, v in pairs}
    summary = event.summary
    unsaid = [(k, v) for k, v in pairs if not _says(summary, v)]
    name = next(iter(alertnames(event.tags)), "")
    at = summary.find(name) if name and unsaid else -1
    if at >= 0:
        words = " (" + ", ".join(f"{k}={v}" for k, v in unsaid) + ")"
        summary = summary[: at + len(name)] + words + summary[at + len(name) :]
    return evolve(event, summary=summary, tags=frozenset(tags))


def _says(text: str, value: str) -> bool:
    return re.search(rf"(?<![\w.-]){re.escape(value)}(?![\w.-])", text) is not None


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
