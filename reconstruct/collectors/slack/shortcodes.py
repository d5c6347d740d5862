"""Slack emoji shortcodes in a bot's text -> the Unicode emoji, where the name is known.

Slack's API gives emoji in message text as shortcodes (``:bell:``, ``:white_check_mark:``; the
Web API's ``text`` field, https://docs.slack.dev/messaging/formatting-message-text#emoji); a
reader of the draft should see the emoji, as Slack shows it. Names are looked up in the
``emoji`` package's alias table (GitHub/Slack-style names, ``language="alias"``); a name it does
not know (a workspace's custom emoji, ``:skin-tone-2:``) stays as written. A shortcode counts
only between non-word characters (``a:ok:b`` and ``12:30:45`` stay).
"""

from __future__ import annotations

import re
from functools import lru_cache

import emoji

_SHORTCODE = re.compile(r"(?<![\w:]):([a-z0-9_+-]{1,60}):(?![\w:])")


@lru_cache(maxsize=2048)
def _unicode(name: str) -> str | None:
    code = f":{name}:"
    found = emoji.emojize(code, language="alias")
    return None if found == code else found


def emojize(text: str) -> str:
    """``text`` with every known shortcode as its emoji: ``:bell: Reminder`` -> ``🔔 Reminder``."""
    if ":" not in text:
        return text
    return _SHORTCODE.sub(lambda m: _unicode(m.group(1)) or m.group(0), text)
