"""A PagerDuty alert's summary written by an alerting tool's default template, as a row says it.

Grafana's and Alertmanager's PagerDuty notifiers send the Events API v2 ``payload.summary`` from
the default ``__subject`` template (``reconstruct.subject`` reads it), so
"[FIRING:1] IngressNode5xxHigh (gke-prod-pool-b-00-bmxj europe-west1-b)": the state, the group
labels' values (the rule name among them), the other common labels' values, no names.
Their ``custom_details.firing`` (PagerDuty: the alert's ``body.details``) lists each alert's
labels by name (``pagerduty.events.alert_labels``).

``worded`` rewrites such a summary in the words the dashboard source's rows use: "Grafana alert
IngressNode5xxHigh (node=gke-prod-pool-b-00-bmxj, zone=europe-west1-b) firing"; the rule is the
``alertname`` label, else the group's only value; the instance labels (``INSTANCE_KEYS``) by
name when the details carry them (other labels are judged per rule by
``instances.named_instances``, as the dashboard's are), the subject's values as written only
when the details carry no labels. A summary not of that form, or one whose rule cannot be told,
stays as it is (None).
"""

from __future__ import annotations

from collections.abc import Mapping

from reconstruct.normalize.instances import INSTANCE_KEYS
from reconstruct.subject import parse_subject


def sender(labels: Mapping[str, str], integration: str) -> str:
    """``Grafana`` when the alert came from Grafana: a Grafana-managed rule's labels always hold
    ``grafana_folder``, or the PagerDuty integration is named for it; else ""."""
    return "Grafana" if "grafana_folder" in labels or "grafana" in integration.lower() else ""


def worded(summary: str, labels: Mapping[str, str], sender: str) -> tuple[str, str, str] | None:
    """(row text, rule name, ``firing``/``resolved``) for a ``__subject`` summary; ``sender``
    names the tool ("Grafana", "" for none known). None when ``summary`` is not of that form or
    names no rule this can tell."""
    subject = parse_subject(summary)
    if subject is None or summary[subject.end :].strip():  # not a subject, or more than one
        return None
    group = subject.rule.split()
    rule = labels.get("alertname") or (group[0] if len(group) == 1 else "")
    said = f" {subject.rule} {subject.common or ''} "
    if not rule or f" {rule} " not in said:  # an alertname the subject does not name
        return None
    state = subject.status
    instance = [(k, labels[k]) for k in INSTANCE_KEYS if labels.get(k)]
    text = f"{sender} alert {rule}" if sender else f"Alert {rule}"
    if instance:
        text += f" ({', '.join(f'{k}={v}' for k, v in instance)})"
    elif subject.common and not labels:  # no labels by name: the values as written
        text += f" ({subject.common})"
    text += f" {state}"
    firing, resolved = subject.firing or 0, subject.resolved or 0
    if firing > 1 or resolved:
        counts = [f"{firing} alerts" if firing > 1 else f"{firing} alert"]
        if resolved:
            counts.append(f"{resolved} resolved")
        text += f" ({', '.join(counts)})"
    return text, rule, state
