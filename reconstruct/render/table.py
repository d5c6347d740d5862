"""Make text and links safe inside a Markdown table cell.

A cell holds one line. Message text must not be able to break the table (``|``, newlines), open a
code span (`````), forge a link or image (``[x](javascript:...)``, ``![x](http://evil)``), inject
HTML (``<script>``) or an entity (``&#8238;``): those characters are backslash-escaped, which every
CommonMark/GFM renderer shows as the plain character; but a balanced pair of backticks in what
people and bots wrote, Slack's inline code, is a code span (``md_said``: nothing in one is
Markdown). Control characters and bidirectional
overrides (U+202E...) are removed (``plain``). In what people and bots wrote (``md_said``),
mentions that would notify someone when the draft is pasted into Slack or GitHub (``@channel``,
``@here``, ``@everyone``, ``@user``, ``@org/team``, Slack's ``<!channel>`` and ``<@U123>``) get a
zero-width space after the ``@`` or the ``<`` (``@\u200bchannel``, ``<\u200b!channel>``): they
read the same and ping no one. ``prepare.scrub`` already does this for every format. Only
those: the character is invisible and an author copying the text carries it along, so an ``@``
GitHub would not link (a host after a password, an email, ``@Über``: ``_MENTION``) keeps no
such character, and a person the draft names by their one name (``normalize.people``: a
Slack mention of someone the directory knows reads "Tomás García", no ``@``) needs none.
GitHub links ``@login`` in issues, pull requests, discussions and comments (table cells
included, code spans and links not); a Markdown file in a repository links no mention, nor
do Confluence or Google Docs for pasted text, but a draft is pasted into all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import urlsplit

from reconstruct.model import Link
from reconstruct.timeutil import ensure_utc

ELLIPSIS = "…"
LINK_SEPARATOR = " · "
MAX_LABEL = 40

_MD_SPECIAL = "\\|`[]<&"
_MD_ESCAPES = str.maketrans({ch: "\\" + ch for ch in _MD_SPECIAL})
_MD_ANY = re.compile("[" + re.escape(_MD_SPECIAL) + "]")
"""A character ``_MD_ESCAPES`` changes (a search is cheaper than a translate that changes none)."""
"""Each of ``\\ | ` [ ] < &`` gets a backslash before it."""
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
"""Control characters (tab, newline kept) and bidirectional marks, embeddings and overrides."""
_ZERO_WIDTH = re.compile(
    "[\u00ad\u034f\u115f\u1160\u180e\u200b\u200c\u2060-\u2064\u3164\ufeff\uffa0"
    "\U000e0000-\U000e007f]"
    "|(?<![\u2600-\u27bf\ufe0f\U0001f000-\U0001faff])\u200d"
    "|\u200d(?![\u2600-\u27bf\U0001f000-\U0001faff])"
)
"""Invisible characters that hide text or split a word (a secret, a mention) without showing:
zero-width space and non-joiner, word joiner and invisible operators, BOM, soft hyphen, Mongolian
vowel separator, combining grapheme joiner, Hangul fillers, Unicode tag characters; the zero-width
joiner except between two emoji (where it builds one, as in a family emoji)."""
_MENTION = re.compile(
    r"(?<![A-Za-z0-9_])@(?=[A-Za-z0-9][A-Za-z0-9-]*+"
    r"(?:/[A-Za-z0-9]|\.+(?![A-Za-z0-9_])|[^A-Za-z0-9_./]|$))"
)
"""An ``@`` GitHub would link and notify in an issue, pull request or comment (the Markdown a
person pastes there, or a sink posts): a login (ASCII letters, digits, inner ``-``) or
``org/team`` after the start or a non-word character, ending at a character that cannot
continue it; dots continue it only when a word follows (html-pipeline's ``MentionFilter``
and ``TeamMentionFilter`` patterns, the filters GitHub open-sourced). So ``@here``,
``@mei``, ``@acme/sre`` and ``@db-3.`` get a zero-width space; ``[redacted]@pg.search.internal``
(a host), ``ana@acme.example`` and ``@Über`` are no mention anywhere and are left as written."""
ZWSP = "\u200b"
_URL_UNSAFE = {
    " ": "%20",
    '"': "%22",
    "<": "%3C",
    ">": "%3E",
    "(": "%28",
    ")": "%29",
    "[": "%5B",
    "]": "%5D",
    "\\": "%5C",
    "`": "%60",
    "|": "%7C",
}
_URL_ESCAPES = str.maketrans(_URL_UNSAFE)
_URL_ANY = re.compile("[" + re.escape("".join(_URL_UNSAFE)) + "]")
_PLAIN_HTTP = re.compile(r"[hH][tT][tT][pP][sS]?://[!$-.0-;=@-Z^-~]")
"""An http(s) URL whose authority starts with a printable ASCII character other than ``/ ? # [ ]``
and space: ``urlsplit`` reads an http(s) scheme and a non-empty netloc from it when the netloc
is all ASCII and has no bracket (checked in ``safe_url``)."""
_NETLOC_END = re.compile(r"[/?#]")


def plain(text: str) -> str:
    """``text`` without control characters (tabs and newlines kept), bidi controls and
    zero-width or other invisible characters (``_ZERO_WIDTH``)."""
    if text.isascii() and text.isprintable():
        return text  # printable ASCII holds none of them
    return _ZERO_WIDTH.sub("", _INVISIBLE.sub("", text))


def names(actor: str, text: str) -> bool:
    """Whether ``text`` already names ``actor`` as whole words (case-insensitive), so a row can
    leave the ``actor:`` prefix out: ``Jonathan Parker is looking`` does not name ``Jonathan
    Park``, ``Jonathan Park is looking`` does."""
    if not actor:
        return False
    return _names_pattern(actor).search(text) is not None


@lru_cache(maxsize=1024)
def _names_pattern(actor: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(actor) + r"(?!\w)", re.IGNORECASE)


def one_line(text: str) -> str:
    """Newlines, tabs and runs of spaces collapsed to single spaces; control and bidi characters
    removed."""
    if text.isascii() and text.isprintable():  # the only whitespace is " ", nothing invisible
        if "  " not in text and text[:1] != " " and text[-1:] != " ":
            return text
        return " ".join(text.split())
    joined = " ".join(text.split())
    if _INVISIBLE.search(joined) is None:
        return joined  # already one line of single spaces
    return " ".join(_INVISIBLE.sub("", joined).split())


_SLACK_COMMAND = re.compile(r"<(?=[!@#])")
"""Slack's control sequences: ``<!channel>``, ``<!here>``, ``<!subteam^S123>``, ``<@U123>``,
``<#C123>`` (https://api.slack.com/reference/surfaces/formatting#advanced)."""


def no_mentions(text: str) -> str:
    """``@name`` -> ``@\u200bname`` and Slack's ``<!channel>`` / ``<@U123>`` ->
    ``<\u200b!channel>`` / ``<\u200b@U123>``: they read the same and notify no one in Slack or
    GitHub, whether the text is pasted, posted through an API or read by another tool."""
    if "@" in text:
        text = _MENTION.sub("@" + ZWSP, text)
    if "<" in text:
        text = _SLACK_COMMAND.sub("<" + ZWSP, text)
    return text


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def md_text(text: str) -> str:
    """One line of plain text made inert in Markdown (tables included)."""
    text = one_line(text)
    return text.translate(_MD_ESCAPES) if _MD_ANY.search(text) else text


def md_said(text: str) -> str:
    """What people and bots wrote (event text, link labels), for a cell: ``md_text`` with the
    mentions neutralised (``no_mentions``), and Slack's inline code (mrkdwn's `` `code` ``) a
    Markdown code span (``_CODE``). The tool's own lines (warnings) keep theirs."""
    text = no_mentions(text)
    if "`" not in text:
        return md_text(text)
    text = one_line(text)
    out: list[str] = []
    at = 0
    for match in _CODE.finditer(text):
        out.append(_escaped(text[at : match.start()]))
        code = match.group(0)  # shown as written: nothing in a code span is Markdown
        out.append(_escaped(code) if _BINDS_TIGHTER.search(code) else code)
        at = match.end()
    out.append(_escaped(text[at:]))
    return "".join(out)


_CODE = re.compile(r"(?<!`)`([^`|]*[^`|\s][^`|]*)`(?!`)")
"""A balanced pair of single backticks around text (Slack mrkdwn's inline code, "serving
`true`"): a Markdown code span, whose content CommonMark shows literally (no link, image, HTML,
entity, emphasis or escape inside one), so it needs no escaping, and an author pastes it as
written. Never one holding a pipe (a table cell needs it escaped, a backslash before it, which
a code span outside a table would show) nor a blank one, nor one holding ``<`` or ``>`` (raw
HTML and autolinks bind tighter than code spans in CommonMark: "`<img src=x onerror=... `>" is a
tag) or a bracket (a link's text); a lone backtick, or a run of two or more, stays escaped."""


_BINDS_TIGHTER = re.compile(r"[<>\[\]]")
"""What a code span may not hold: raw HTML and autolinks bind tighter than a code span in
CommonMark, so "`<img src=x onerror=... `>" is a tag; a bracket is kept out too (a link's text)."""


def _escaped(text: str) -> str:
    return text.translate(_MD_ESCAPES) if _MD_ANY.search(text) else text


def safe_url(url: str) -> str | None:
    """The URL when it is http(s) and well formed, with characters that could end a Markdown link
    or a table cell percent-encoded; None for ``javascript:``, ``data:`` and anything else."""
    url = url.strip()
    if not url or not url.replace(" ", "").isprintable():
        return None  # control, bidi, line-separator and other invisible characters
    if not _is_plain_http(url):
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            return None
    return url.translate(_URL_ESCAPES) if _URL_ANY.search(url) else url


def _is_plain_http(url: str) -> bool:
    """True when ``urlsplit`` would surely give an http(s) scheme and a non-empty netloc without
    an error (the common case, decided without it); False means: ask ``urlsplit``."""
    if _PLAIN_HTTP.match(url) is None:
        return False
    start = url.index("://") + 3
    end = _NETLOC_END.search(url, start)
    netloc = url[start : end.start() if end else len(url)]
    return netloc.isascii() and "[" not in netloc and "]" not in netloc


def md_link(link: Link) -> str:
    """``[label](url)`` with the label (the Link's label, else its source) escaped."""
    return f"[{_label_md(link.label, link.source)}]({link.url})"


@lru_cache(maxsize=4096)
def _label_md(label: str, source: str) -> str:
    """A link's label for Markdown (labels repeat: ``slack``, ``PR #42``...)."""
    return md_said(shorten(one_line(label) or source, MAX_LABEL))


def md_links(links: Iterable[Link], most: int | None = None) -> str:
    """Evidence links for a cell: ``[slack](url) · [pagerduty](url)``. Expects links already
    made safe (``prepare.scrub``: http(s) only, through ``safe_url``, no duplicates).

    ``most``: with more than that many links of one label (``PD alert``, ``PD alert (2)``...,
    the numbers ``prepare.distinct_labels`` adds), that label shows its first and last link
    and their count, where its first link was: ``[PD alert](u1) … [PD alert (100)](u100) (100
    PD alert links)``, as a collapsed series shows its first and last. None: every link."""
    shown = []
    for group in link_groups(links, most):
        if len(group) == 1:
            shown.append(md_link(group[0]))
        else:
            count = f"{len(group)} {md_said(label_kind(group[0]))} links"
            shown.append(f"{md_link(group[0])} … {md_link(group[-1])} ({count})")
    return LINK_SEPARATOR.join(shown)


def link_groups(links: Iterable[Link], most: int | None) -> list[tuple[Link, ...]]:
    """The links in order, each alone, except that the links of a label with more than ``most``
    of them are one group (where its first link was): a row shows that group's first and last
    and its count (``md_links``; HTML can open the rest). None: every link alone."""
    links = list(links)
    if most is None or len(links) <= most:
        return [(link,) for link in links]
    kinds: dict[str, list[Link]] = {}
    for link in links:
        kinds.setdefault(label_kind(link), []).append(link)
    out: list[tuple[Link, ...]] = []
    for link in links:
        same = kinds[label_kind(link)]
        if len(same) <= most:
            out.append((link,))
        elif link is same[0]:
            out.append(tuple(same))
    return out


_NUMBERED = re.compile(r" \(\d+\)$")


def label_kind(link: Link) -> str:
    """What a link is, without the number that tells it from others of its kind: ``PD alert``
    for ``PD alert (7)``."""
    return _NUMBERED.sub("", link.label or link.source)


def time_label(when: datetime, day: date) -> str:
    """``HH:MM`` on the incident's start day, ``YYYY-MM-DD HH:MM`` on any other day (UTC)."""
    u = ensure_utc(when)
    if u.date() == day:
        return f"{u.hour:02d}:{u.minute:02d}"  # strftime("%H:%M"), without its cost
    return u.strftime("%Y-%m-%d %H:%M")
