"""Slack ``mrkdwn`` markup -> one line of readable text, and the URLs it linked.

Rendering rules (https://docs.slack.dev/messaging/formatting-message-text):

    <@U123> / <@U123|old>        @display name (users list), else the label, else @U123;
                                 ``mentions`` says whose (user ID, name shown), so the
                                 normalizer can name a person it knows by their one name
    <#C123|name> / <#C123>       #name (label, else the channel names known), else #C123
    <!here> <!channel> <!everyone>   @here @channel @everyone
    <!subteam^S1|@oncall>        @oncall (the label), else @S1
    <!date^...|fallback>         fallback
    <https://x|label>            label          (the URL is kept as a ref, not in the text)
    <https://x> / <mailto:a@b>   https://x / a@b
    *bold* _italic_ ~strike~     bold italic strike   (the markers dropped)
    **bold**                     bold   (Markdown's strong, as Grafana's default Slack message
                                 writes "**Firing**", grafana/alerting default_template.go)
    &amp; &lt; &gt;              & < >   (unescaped after the markup is read)

The URLs behind labels would be lost to the normalizer (it reads refs from the summary text), so
``render`` returns them and the parser turns them into refs with the normalizer's own
``url_ref``: a ``<https://github.com/acme/checkout/pull/42|the fix>`` still gives
``pr:acme/checkout#42``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

_MARKUP = re.compile(r"<([^<>\n]*)>")
_EMPHASIS = re.compile(r"(?<![\w*_~])([*_~])(?=\S)([^*_~\n]+?)(?<=\S)\1(?![\w*_~])")
"""``*bold*``, ``_italic_``, ``~strike~`` around words (not inside ``snake_case`` or ``a*b*c``)."""
_STRONG = re.compile(r"(?<![\w*])\*\*(?=\S)([^*\n]+?)(?<=\S)\*\*(?![\w*])")
"""Markdown's ``**strong**`` around words (Slack's own bold is one asterisk): markers dropped."""
_URL = re.compile(r"(?:https?://|mailto:)[^\s\x00]+")
_HELD = re.compile(r"\x00(\d+)\x00")


@dataclass
class Rendered:
    text: str
    urls: list[str] = field(default_factory=list)
    mentions: list[tuple[str, str]] = field(default_factory=list)
    """Each user mention: (user ID, the name shown after its ``@``), in order."""
    labels: list[str] = field(default_factory=list)
    """Each web link's label as shown (``<https://x|View incident>``: "View incident"), in
    order."""


CALL_TO_ACTION = re.compile(
    r"^(?:(?:view|open|see|show|visit|check|go to|jump to|read|learn|manage|track|follow)"
    r"(?:\s+[\w.'\u2019-]+){0,4}|click here|details|more(?: info| details)?|link)"
    r"\s*(?:[>\u00bb\u2192\u203a]+|\.{3}|\u2026)?$",
    re.IGNORECASE,
)
"""A link label that only asks the reader to follow it ("View incident", "View in PagerDuty",
"Open in Grafana", "See details »", "Click here"): a button, not words of the post."""
_BEFORE_CTA = re.compile(r"[\s|\u00b7\u2022:\-\u2013\u2014(\[]*$")
"""Separators a bot puts before its trailing button ("... | View incident", "... - Open in
Grafana", "(View incident")."""


def without_call_to_action(rendered: Rendered) -> str:
    """A bot post's text without the label of its trailing link when that label is only a call
    to follow it (``CALL_TO_ACTION``: Statuspage's "... We are investigating. <https://status.
    acme.example/incidents/k2x9|View incident>"): the URL is already the row's link (``urls``),
    so the words would read as the post's own. A label with words of the post ("<https://x|the
    fix>"), one not at the end, or a text that is only the label stays."""
    if not rendered.labels:
        return rendered.text
    label = " ".join(rendered.labels[-1].split())
    text = rendered.text.rstrip()
    body = text[:-1].rstrip() if text.endswith((")", "]")) else text  # "(View incident)"
    if not label or not body.endswith(label) or CALL_TO_ACTION.match(label) is None:
        return rendered.text
    head = body[: -len(label)]
    if head and (head[-1].isalnum() or head[-1] == "_"):
        return rendered.text  # inside a word: "Preview incident"
    kept = _BEFORE_CTA.sub("", head)
    return kept if kept else rendered.text


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render(
    text: str,
    users: Callable[[str], str | None],
    channels: Mapping[str, str],
) -> Rendered:
    """``text`` with Slack markup made readable; ``users(id)`` gives a display name or None."""
    if "<" not in text and "&" not in text:  # most chatter: nothing to read (the hot path)
        return Rendered(text=plain(text))
    urls: list[str] = []
    mentions: list[tuple[str, str]] = []
    labels: list[str] = []

    def one(match: re.Match[str]) -> str:
        body = match.group(1)
        target, sep, label = body.partition("|")
        label = unescape(label) if sep else ""
        if target.startswith("@"):
            user_id = target[1:]
            name = users(user_id) or label.lstrip("@") or user_id
            if user_id:
                mentions.append((user_id, name))
            return f"@{name}"
        if target.startswith("#"):
            chan = target[1:]
            return f"#{label or channels.get(chan) or chan}"
        if target.startswith("!"):
            special = target[1:]
            head = special.split("^", 1)[0]
            if head in ("here", "channel", "everyone"):
                return f"@{head}"
            if head == "subteam":
                return label if label.startswith("@") else f"@{label or special.split('^')[-1]}"
            return label or f"@{head}"
        url = unescape(target)
        if not url:
            return label
        if url.startswith("mailto:"):
            return label or url.removeprefix("mailto:")
        if url.startswith(("http://", "https://")):
            urls.append(url)
            if label:
                labels.append(label)
        return label or url

    rendered = plain(_MARKUP.sub(one, text or ""))
    return Rendered(text=unescape(rendered), urls=urls, mentions=mentions, labels=labels)


def plain(text: str) -> str:
    """``text`` without emphasis markers; URLs in it are left exactly as they are."""
    if ("*" not in text and "_" not in text and "~" not in text) or "\x00" in text:
        return text
    kept: list[str] = []

    def hold(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        return f"\x00{len(kept) - 1}\x00"

    held = _URL.sub(hold, text)
    if "**" in held:
        held = _STRONG.sub(r"\1", held)
    held = _EMPHASIS.sub(r"\2", held)
    return _HELD.sub(lambda m: kept[int(m.group(1))], held)


def one_line(parts: Iterable[str]) -> str:
    """Non-empty parts, whitespace collapsed, joined by `` — ``; a part already contained in an
    earlier one (an attachment fallback repeating the text) is left out."""
    seen: list[str] = []
    for part in parts:
        clean = " ".join(part.split())  # whitespace runs collapsed (str.isspace, as regex \s)
        if clean and not any(clean in kept for kept in seen):
            seen.append(clean)
    return " — ".join(seen)
