"""Links written inside a record's text (a bridge URL, a runbook, a PR) as evidence links.

A chat message's ``<https://meet.example/inc|bridge>`` reads "bridge" in the row; the address
would be lost to the reader. ``text_links`` turns each http(s) URL of the text into a ``Link``
after the record's own, labelled for what it opens: ``PR #1203``, ``commit 9c1e7a4``, ``PD
incident``, ``Grafana dashboard``, ``Grafana alert rule``, ``Grafana alert rules``, else the host
(``meet.acme.example``). Other schemes (``javascript:``, ``mailto:``) are never links.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from reconstruct.model import Link

TEXT_URL = re.compile(r"https?://[^\s()<>\[\]\"'|]+[^\s()<>\[\]\"'|.,;:!?]")
"""An http(s) URL in plain text, without the punctuation that ends a sentence after it."""
_PR = re.compile(r"^/[\w.-]+/[\w.-]+/pulls?/(\d+)(?:[/#?]|$)")
_COMMIT = re.compile(r"^/[\w.-]+/[\w.-]+/commits?/([0-9a-fA-F]{7,40})\b")
_PD_INCIDENT = re.compile(r"^/incidents/[A-Za-z0-9]+/?$")
_GRAFANA_RULE = re.compile(r"^/alerting/[^/]+/[^/]+/view/?$")
"""A Grafana alert rule's page: ``{{ .GeneratorURL }}`` of a notification,
``/alerting/grafana/<rule uid>/view`` (Grafana-managed) or ``/alerting/<data source>/<rule>/view``
(Grafana docs, "Notification template reference")."""

_GRAFANA_PAGES = {
    "/alerting/list": "Grafana alert rules",
    "/alerting/groups": "Grafana alert groups",
    "/explore": "Grafana Explore",
}
"""Grafana pages told apart by their path alone. ``/alerting/list`` is the alert rules list, the
"rule URL" Grafana's notifiers link (``path.Join(ExternalURL, "/alerting/list")``, grafana/alerting
``receivers``: email, LINE, Threema, VictorOps; a PagerDuty ``client_url``; a Slack title link);
the alert groups view and Explore are pasted by people."""


def url_label(url: str) -> str:
    """What the URL opens, in a few words."""
    parts = urlsplit(url)
    host, path = parts.hostname or "", parts.path
    if m := _PR.match(path):  # github.com or a GitHub Enterprise host
        return f"PR #{m.group(1)}"
    if m := _COMMIT.match(path):
        return f"commit {m.group(1)[:7].lower()}"
    if host.endswith(".pagerduty.com"):
        if "/log_entries/" in path:
            return "PD log entry"
        if path.startswith("/alerts/"):
            return "PD alert"
        if _PD_INCIDENT.match(path):
            return "PD incident"
    if path.startswith(("/d/", "/d-solo/")):
        return "Grafana panel" if "viewPanel=" in parts.query else "Grafana dashboard"
    if _GRAFANA_RULE.match(path):
        return "Grafana alert rule"
    if path.startswith("/alerting/silence/"):  # ``{{ .SilenceURL }}``
        return "Grafana silence"
    if path.rstrip("/") in _GRAFANA_PAGES:
        return _GRAFANA_PAGES[path.rstrip("/")]
    return host.removeprefix("www.") or url


def text_links(source: str, urls: Iterable[str]) -> tuple[Link, ...]:
    """One ``Link`` per distinct http(s) URL, in order."""
    out: list[Link] = []
    for url in dict.fromkeys(urls):
        try:
            parts = urlsplit(url)
        except ValueError:
            continue
        if parts.scheme.lower() in ("http", "https") and parts.netloc:
            out.append(Link(source, url, url_label(url)))
    return tuple(out)
