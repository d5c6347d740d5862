"""Block Kit blocks and legacy attachments -> the text Slack shows, in Slack markup (mrkdwn).

Every block type Slack documents (https://docs.slack.dev/reference/block-kit/blocks; field names
as in slack_sdk's ``slack_sdk.models.blocks``) gives its readable text, in two tiers:

- **content** (the facts a row shows): section ``text`` and ``fields``; header; context text
  elements; rich_text (sections, lists, quotes, preformatted; users, channels, links, dates);
  markdown (standard Markdown, its links and ``**bold**`` turned into mrkdwn); image blocks as
  ``image: <title, else alt_text>``; video as ``video: <title>`` and its description; call;
  table cells; alert; card title, subtitle and body; carousel cards; container titles and child
  blocks; plan and task_card titles, details and output; any other block's text objects;
- **controls** (shown only when nothing else is readable, so a post holding only buttons or an
  icon is a row, not "not understood"): actions and context_actions elements (button,
  workflow_button, overflow and select options, pickers' values, feedback and icon buttons),
  a section's accessory, context images' ``alt_text``, input labels and values, a remote file
  block (``file``: its ``external_id``; the file itself is in the message's ``files``).

Legacy attachments (https://docs.slack.dev/messaging/formatting-message-text#attachments):
pretext, author, title, text, ``fields`` as ``title: value`` and the Block Kit ``blocks`` an
attachment may hold (and a shared message's ``message_blocks``); without those, the fallback,
except Slack's generated ``1200x600px image`` of an image unfurl, which gives way to ``image:
<file name>`` of its ``image_url``; then its ``footer``/``service_name``. Action buttons are
controls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

_UNFURL_FALLBACK = re.compile(r"^\d+x\d+px image$")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_HEADING = re.compile(r"^#{1,6}\s+", re.MULTILINE)


@dataclass
class Texts:
    content: list[str] = field(default_factory=list)
    controls: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    """URLs an attachment links (title_link, from_url, author_link)."""


def block_texts(blocks: Any) -> Texts:
    """The readable text of a message's (or attachment's) ``blocks``."""
    out = Texts()
    for block in blocks if isinstance(blocks, list) else []:
        _block(block, out)
    return out


def _block(block: Any, out: Texts) -> None:
    if not isinstance(block, dict):
        return
    kind = block.get("type")
    reader = _READERS.get(kind) if isinstance(kind, str) else None
    if reader is not None:
        reader(block, out)
    elif kind != "divider":
        _add(out.content, _text_objects(block))  # a block type added after this was written


def _section(block: dict[str, Any], out: Texts) -> None:
    _add(out.content, [_text(block.get("text"))])
    _add(out.content, [_text(f) for f in _list(block.get("fields"))])
    _element(block.get("accessory"), out.controls)


def _header(block: dict[str, Any], out: Texts) -> None:
    _add(out.content, [_text(block.get("text"))])


def _context(block: dict[str, Any], out: Texts) -> None:
    for el in _list(block.get("elements")):
        if isinstance(el, dict) and el.get("type") == "image":
            _add(out.controls, [_str(el.get("alt_text"))])
        else:
            _add(out.content, [_text(el)])


def _actions(block: dict[str, Any], out: Texts) -> None:
    for el in _list(block.get("elements")):
        _element(el, out.controls)


def _input(block: dict[str, Any], out: Texts) -> None:
    label = _text(block.get("label"))
    values: list[str] = []
    _element(block.get("element"), values)
    value = ", ".join(v for v in values if v)
    _add(out.controls, [f"{label}: {value}" if label and value else label or value])


def _markdown(block: dict[str, Any], out: Texts) -> None:
    text = _str(block.get("text"))
    text = _MD_LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", text)
    text = _MD_HEADING.sub("", _MD_STRONG.sub(r"*\2*", text))
    _add(out.content, [text])


def _rich_block(block: dict[str, Any], out: Texts) -> None:
    _add(out.content, [rich_text(block)])


def _image(block: dict[str, Any], out: Texts) -> None:
    name = _text(block.get("title")) or _str(block.get("alt_text"))
    _add(out.content, [f"image: {name}" if name else ""])


def _video(block: dict[str, Any], out: Texts) -> None:
    title = _text(block.get("title")) or _str(block.get("alt_text"))
    _add(out.content, [f"video: {title}" if title else "", _text(block.get("description"))])


def _file(block: dict[str, Any], out: Texts) -> None:
    external = _str(block.get("external_id"))
    _add(out.controls, [f"remote file {external}" if external else "a remote file"])


def _call(block: dict[str, Any], out: Texts) -> None:
    call = block.get("call") if isinstance(block.get("call"), dict) else {}
    assert isinstance(call, dict)
    v1 = call.get("v1") if isinstance(call.get("v1"), dict) else {}
    assert isinstance(v1, dict)
    name = _str(v1.get("name")) or _str(v1.get("app_name"))
    _add(out.content, [f"call: {name}" if name else "a call"])


def _table(block: dict[str, Any], out: Texts) -> None:
    rows: list[str] = []
    for row in _list(block.get("rows")):
        cells = [_cell(cell) for cell in _list(row)]
        if any(cells):
            rows.append(" | ".join(cells))
    _add(out.content, ["; ".join(rows)])


def _cell(cell: Any) -> str:
    if not isinstance(cell, dict):
        return ""
    if cell.get("type") == "rich_text":
        return rich_text(cell)
    for key in ("text", "number", "value"):
        value = cell.get(key)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
    return ""


def _alert(block: dict[str, Any], out: Texts) -> None:
    _add(out.content, [_text(block.get("text"))])


def _card(block: dict[str, Any], out: Texts) -> None:
    _add(out.content, [_text(block.get(k)) for k in ("title", "subtitle", "body")])
    for key in ("hero_image", "icon"):
        image = block.get(key)
        if isinstance(image, dict):
            _add(out.controls, [_str(image.get("alt_text"))])
    for el in _list(block.get("actions")):
        _element(el, out.controls)


def _carousel(block: dict[str, Any], out: Texts) -> None:
    for card in _list(block.get("elements")):
        _block(card, out)


def _container(block: dict[str, Any], out: Texts) -> None:
    title = block.get("rich_text_title")
    _add(out.content, [rich_text(title) if isinstance(title, dict) else _text(block.get("title"))])
    _add(out.content, [_text(block.get("subtitle"))])
    for child in _list(block.get("child_blocks")):
        _block(child, out)


def _task_card(block: dict[str, Any], out: Texts) -> None:
    _add(out.content, [_text(block.get("title"))])
    for key in ("details", "output"):
        value = block.get(key)
        if isinstance(value, dict):
            _add(out.content, [rich_text(value)])


def _plan(block: dict[str, Any], out: Texts) -> None:
    _add(out.content, [_text(block.get("title"))])
    for task in _list(block.get("tasks")):
        if isinstance(task, dict):
            _task_card(task, out)


_READERS = {
    "section": _section,
    "header": _header,
    "context": _context,
    "actions": _actions,
    "context_actions": _actions,
    "input": _input,
    "markdown": _markdown,
    "rich_text": _rich_block,
    "image": _image,
    "video": _video,
    "file": _file,
    "call": _call,
    "table": _table,
    "alert": _alert,
    "card": _card,
    "carousel": _carousel,
    "container": _container,
    "task_card": _task_card,
    "plan": _plan,
}


def _element(el: Any, into: list[str]) -> None:
    """An interactive element's visible words (https://docs.slack.dev/reference/block-kit/
    block-elements): a button's label, a menu's chosen option (else its placeholder), a picker's
    value, an image's alt text."""
    if not isinstance(el, dict):
        return
    kind = el.get("type")
    if kind == "image":
        _add(into, [_str(el.get("alt_text"))])
    elif kind == "feedback_buttons":
        _add(into, [_text(el.get(k)) for k in ("positive_button", "negative_button")])
    elif kind in ("overflow", "checkboxes", "radio_buttons"):
        chosen = el.get("initial_options") or el.get("initial_option") or el.get("options")
        options = chosen if isinstance(chosen, list) else [chosen]
        _add(into, [_text(o.get("text")) for o in options if isinstance(o, dict)])
    else:
        option = el.get("initial_option")
        label = _text(el.get("text"))
        if not label and isinstance(option, dict):
            label = _text(option.get("text"))
        for key in ("initial_value", "initial_date", "initial_time", "initial_date_time"):
            value = el.get(key)
            if not label and isinstance(value, dict):  # rich_text_input
                label = rich_text(value)
            elif not label and isinstance(value, str | int) and value != "":
                label = str(value)
        for key, mark in _PICKED.items():  # users_select, conversations_select...
            picked = el.get(key)
            for one in picked if isinstance(picked, list) else [picked]:
                if not label and isinstance(one, str) and one:
                    label = f"<{mark}{one}>"
        _add(into, [label or _text(el.get("placeholder"))])


_PICKED = {
    "initial_user": "@",
    "initial_users": "@",
    "initial_conversation": "#",
    "initial_conversations": "#",
    "initial_channel": "#",
    "initial_channels": "#",
}
"""A select menu's chosen user or conversation, as mrkdwn ``render`` names."""


def rich_text(block: Any) -> str:
    """A rich_text block (or ``details``/``output`` of a task) back to mrkdwn, so ``render``
    handles users, channels and links."""
    if not isinstance(block, dict):
        return ""
    return " ".join(t for el in _list(block.get("elements")) if (t := _rich(el)).strip())


def _rich(el: Any) -> str:
    if not isinstance(el, dict):
        return ""
    kind = el.get("type")
    if kind == "text":
        return str(el.get("text", ""))
    if kind == "link":
        url = str(el.get("url", ""))
        text = el.get("text")
        return f"<{url}|{text}>" if text else f"<{url}>"
    if kind == "user":
        return f"<@{el.get('user_id', '')}>"
    if kind == "channel":
        return f"<#{el.get('channel_id', '')}>"
    if kind == "broadcast":
        return f"<!{el.get('range', 'here')}>"
    if kind == "emoji":
        return f":{el.get('name', '')}:"
    if kind == "usergroup":
        return f"<!subteam^{el.get('usergroup_id', '')}>"
    if kind == "color":
        return str(el.get("value") or "")
    if kind == "date":
        return _date(el)
    children = el.get("elements")
    if isinstance(children, list):
        sep = " " if kind == "rich_text_list" else ""
        return sep.join(_rich(child) for child in children)
    return ""


def _date(el: dict[str, Any]) -> str:
    """A date element: its fallback, else its epoch ``timestamp`` in UTC."""
    fallback = el.get("fallback")
    if isinstance(fallback, str) and fallback.strip():
        return fallback
    stamp = el.get("timestamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool) and stamp > 0:
        return f"{datetime.fromtimestamp(stamp, UTC):%Y-%m-%d %H:%M} UTC"
    return ""


def attachment_texts(attachments: Any) -> Texts:
    """The readable text and linked URLs of a message's legacy ``attachments``."""
    out = Texts()
    for att in attachments if isinstance(attachments, list) else []:
        if not isinstance(att, dict):
            continue
        parts = [att.get(k) for k in ("pretext", "author_name", "title", "text")]
        found = [p for p in parts if isinstance(p, str) and p.strip()]
        for fld in _list(att.get("fields")):
            if not isinstance(fld, dict):
                continue
            title, value = fld.get("title"), fld.get("value")
            if isinstance(value, str) and value.strip():
                found.append(f"{title}: {value}" if isinstance(title, str) and title else value)
        nested = block_texts(att.get("blocks"))
        for shared in _list(att.get("message_blocks")):
            if isinstance(shared, dict) and isinstance(shared.get("message"), dict):
                more = block_texts(shared["message"].get("blocks"))
                nested.content += more.content
                nested.controls += more.controls
        found += nested.content
        if not found:
            found = _attachment_fallback(att)
        out.content.extend(found)
        out.controls.extend(nested.controls)
        for action in _list(att.get("actions")):  # legacy interactive buttons and menus
            if isinstance(action, dict):
                _add(out.controls, [_str(action.get("text"))])
        for key in ("title_link", "from_url", "author_link"):
            url = att.get(key)
            if isinstance(url, str) and url.startswith(("http://", "https://")):
                out.links.append(url)
    return out


def _attachment_fallback(att: dict[str, Any]) -> list[str]:
    fallback = _str(att.get("fallback")).strip()
    image = _str(att.get("image_url")) or _str(att.get("thumb_url"))
    if fallback and not (image and _UNFURL_FALLBACK.match(fallback)):
        return [fallback]
    if image:
        name = unquote(PurePosixPath(urlsplit(image).path).name)
        return [f"image: {name}" if name else "an image"]
    return [t for t in (_str(att.get("footer")), _str(att.get("service_name"))) if t.strip()]


def _text_objects(value: Any) -> list[str]:
    """Every composition text object (``{"type": "plain_text"|"mrkdwn", "text": ...}``) and
    rich_text inside a block of a type not listed above, in order."""
    found: list[str] = []
    if isinstance(value, dict):
        if value.get("type") in ("plain_text", "mrkdwn") and isinstance(value.get("text"), str):
            return [value["text"]]
        if value.get("type") == "rich_text":
            return [rich_text(value)]
        for key, item in value.items():
            if key not in ("type", "block_id", "action_id", "url", "image_url", "value"):
                found += _text_objects(item)
    elif isinstance(value, list):
        for item in value:
            found += _text_objects(item)
    return found


def _text(obj: Any) -> str:
    """A text object's text (or a plain string, as some fields take)."""
    if isinstance(obj, str):
        return obj
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return str(obj["text"])
    return ""


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _add(into: list[str], texts: list[str]) -> None:
    into.extend(t for t in texts if t and t.strip())
