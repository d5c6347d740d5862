"""Feature flag changes among the timeline's rows: what the lede may name as the change that
preceded the incident (``lede``), beside the merged PRs and deploys.

A flag tool tells a chat channel of each change of a flag through its app, in its own words,
and the row is a bot's post (kind ``message``, tag ``bot``: no tool of ours collects the flag
tool itself). Read from a row's text that is no person's message (tag ``human``), the form
flag tools' apps write, "<who> <verb> the flag <key> [in <environment>][: ...]":

- LaunchDarkly's Slack app (https://docs.launchdarkly.com/integrations/slack): "Raj Patel
  updated the flag checkout-pricing-v2 in Production: percentage rollout changed from 25% to
  100% serving `true`", "... turned on the flag new-checkout in Production", "... turned off
  targeting for the flag checkout-pricing-v2 in *Production*";
- the same verbs with "feature flag" ("enabled the feature flag search-v2 in production").

``changed`` finds the flag key, the environment, the verb and the new rollout percentage (the
last ``to <n>%`` after the key: "changed from 25% to 100%" is 100). A change in an environment
whose name says it is not production (``NOT_PRODUCTION``: staging, dev, test, ...) is none of a
production incident. ``preceding`` gives the latest flag change shown before a time that is
**tied** to the incident: its key is named by another row (a person's message, a note, an
annotation: "dialling checkout-pricing-v2 back to 25%") or holds an affected service's name
(``concern.name_forms``: ``checkout-pricing-v2`` for ``checkout``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from reconstruct.model import Event
from reconstruct.normalize.concern import name_forms
from reconstruct.normalize.leadup import word_parts

_CHANGE = re.compile(
    r"\b(?P<verb>updated|changed|modified|turned\s+on|turned\s+off|toggled(?:\s+on|\s+off)?"
    r"|enabled|disabled|rolled\s+out|killed|archived|restored)"
    r"(?:\s+(?:the\s+)?(?:targeting|rollout|rules?|default\s+rule)\s+(?:for|of|on))?"
    r"\s+(?:the\s+)?(?:feature\s+)?"
    r"flag\s+[`\"'“*_]*(?P<key>[A-Za-z0-9][\w.:/-]*?)[`\"'”*_]*"
    r"(?:\s+in\s+[`\"'*_]*(?P<env>[A-Za-z][\w-]*(?:\s[A-Za-z][\w-]*){0,2}?)[`\"'*_]*)?"
    r"(?=$|[\s:;,.!?)])",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"\bto\s+(\d{1,3}(?:\.\d+)?)\s*%")
NOT_PRODUCTION = frozenset(
    {"staging", "stage", "stg", "dev", "development", "test", "testing", "qa", "sandbox"}
    | {"preview", "demo", "local", "uat", "integration", "nonprod", "non-prod"}
)
"""Environment words that say a flag change is not production's."""
_OFF = ("turned off", "toggled off", "disabled", "killed", "archived")
_ON = ("turned on", "toggled on", "enabled", "restored")


@dataclass(frozen=True, slots=True)
class FlagChange:
    event: Event
    key: str
    """The flag's key as written (``checkout-pricing-v2``)."""
    environment: str
    """As written (``Production``), or ``""``."""
    verb: str
    """Lower case, one space: ``updated``, ``turned on``..."""
    percent: str | None
    """The new rollout percentage (``100``), when the text gives one."""

    def noun(self) -> str:
        """``a flag rollout of checkout-pricing-v2 to 100%``, ``the flag new-checkout turned
        on``, else ``a change of the flag X``; no cause said."""
        if self.percent is not None:
            return f"a flag rollout of {self.key} to {self.percent}%"
        if self.verb in _OFF:
            return f"the flag {self.key} turned off"
        if self.verb in _ON:
            return f"the flag {self.key} turned on"
        return f"a change of the flag {self.key}"


def changed(event: Event) -> FlagChange | None:
    """The flag change a row's text reports (module docstring), else None: a person's message
    is none, nor a change in an environment that is not production."""
    if "human" in event.tags or "flag" not in event.summary.lower():
        return None
    match = _CHANGE.search(event.summary)
    if match is None:
        return None
    env = (match.group("env") or "").strip()
    if env and NOT_PRODUCTION & set(re.split(r"[\s_]+", env.lower())):
        return None
    rest = event.summary[match.end() :]
    percents = _PERCENT.findall(rest)
    verb = " ".join(match.group("verb").lower().split())
    return FlagChange(event, match.group("key"), env, verb, percents[-1] if percents else None)


def preceding(
    rows: Iterable[Event], before: datetime, services: Iterable[str]
) -> FlagChange | None:
    """The latest flag change among ``rows`` strictly before ``before`` whose key another row
    names or which holds an affected service's name (``services``), else None."""
    rows = list(rows)
    found = [(e, c) for e in rows if (c := changed(e)) is not None]
    if not found:
        return None
    flag_rows = {e.key for e, _ in found}
    others = [e.summary.lower() for e in rows if e.key not in flag_rows]
    forms = {word_parts(f) for s in services for f in name_forms(s)} - {""}

    def tied(change: FlagChange) -> bool:
        key = change.key.lower()
        pattern = re.compile(rf"(?<![\w.-]){re.escape(key)}(?![\w-])")
        if any(pattern.search(text) for text in others):
            return True
        parts = f" {word_parts(change.key)} "
        return any(f" {form} " in parts for form in forms)

    early = [c for e, c in found if e.time < before and tied(c)]
    return max(early, key=lambda c: (c.event.time, c.event.key), default=None)
