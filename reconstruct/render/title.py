"""The post-mortem's heading as a person writes it, from the PagerDuty incident's title.

An incident opened by Grafana's or Alertmanager's PagerDuty notifier is titled with the alert's
default subject (``__subject``, ``default.title``: Grafana
``pkg/services/ngalert/notifier/channels_config/default_template.go``, Alertmanager
``template/default.tmpl``): "[FIRING:1] RedisMemoryHigh (redis-1 prod critical)", "[FIRING:2,
RESOLVED:1] PostgresDiskUsageHigh orders-pg pgdata", "[RESOLVED] RedisMemoryHigh": the group's
state and counts, the group labels' values, then the other common labels' values in
parentheses, no names. A heading keeps the group's words, "RedisMemoryHigh", "PostgresDiskUsageHigh
orders-pg pgdata"; any other title stays as it is written. The row of the incident's trigger
keeps the title as PagerDuty shows it (it is evidence).
"""

from __future__ import annotations

# One parser of a notifier's subject (``reconstruct.subject``); no pattern of its own here.
from reconstruct.subject import parse_subject


def written_title(title: str) -> str:
    """``title`` without a notifier's ``[FIRING:n]`` / ``[FIRING:n, RESOLVED:m]`` /
    ``[RESOLVED]`` prefix and, when it is the default subject, the label values in parentheses
    after the group's (``[FIRING:1] RedisMemoryHigh (redis-1 prod)`` -> ``RedisMemoryHigh``);
    ``title`` itself when it is not such a subject (or one with no group values)."""
    text = title.strip()
    subject = parse_subject(text)
    if subject is None or subject.start or not subject.rule or text[subject.end :].strip():
        return title
    return " ".join(subject.rule.split())
