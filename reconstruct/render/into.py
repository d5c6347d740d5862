"""Put a freshly rendered Timeline into a draft a person has been editing.

With the markers (``<!-- reconstruct:timeline:start -->`` ... ``:end -->``), only the text between
and including them is replaced. Without them, the block (markers included) goes under the
``## Timeline`` heading: after its intro paragraph if there is one, in place of a
``| Time (UTC) | Event |`` table that directly follows. Every other byte stays as it was.
"""

from __future__ import annotations

import re

from reconstruct.errors import RenderError
from reconstruct.render.markdown import MARKER_END, MARKER_START

_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+Timeline[ \t]*#*[ \t]*$", re.IGNORECASE)
_ANY_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def _newline_style(draft: str, block: str) -> str:
    return block.replace("\n", "\r\n") if "\r\n" in draft else block


def _replace_between_markers(draft: str, block: str) -> str:
    start = draft.index(MARKER_START)
    if draft.count(MARKER_START) > 1 or draft.count(MARKER_END) > 1:
        raise RenderError(
            "the draft has more than one reconstruct:timeline marker pair; keep one and rerun"
        )
    end = draft.find(MARKER_END, start)
    if end < 0:
        raise RenderError(
            f"the draft has {MARKER_START} but no {MARKER_END} after it; add the end marker"
        )
    body = block.rstrip("\r\n")
    return draft[:start] + body + draft[end + len(MARKER_END) :]


def _is_blank(line: str) -> bool:
    return not line.strip()


def _is_timeline_table(line: str) -> bool:
    cells = [c.strip().lower() for c in line.strip().strip("|").split("|")]
    return len(cells) >= 2 and cells[0] == "time (utc)" and cells[1] == "event"


def _heading_index(lines: list[str]) -> int | None:
    fence: str | None = None
    for i, line in enumerate(lines):
        match = _FENCE.match(line)
        if match:
            fence = None if fence == match.group(1) else (fence or match.group(1))
            continue
        if fence is None and _HEADING.match(line.rstrip("\r\n")):
            return i
    return None


def _insert_under_heading(draft: str, block: str) -> str:
    lines = draft.splitlines(keepends=True)
    heading = _heading_index(lines)
    if heading is None:
        raise RenderError(
            'the draft has no "## Timeline" heading and no reconstruct:timeline markers; '
            'add a line "## Timeline" where the table should go'
        )
    nl = "\r\n" if "\r\n" in draft else "\n"
    if not lines[heading].endswith(("\n", "\r")):
        lines[heading] += nl
    i = heading + 1
    n = len(lines)
    while i < n and _is_blank(lines[i]):
        i += 1
    # the intro paragraph: text lines up to a blank line, a heading or a table
    if i < n and not lines[i].lstrip().startswith("|") and not _ANY_HEADING.match(lines[i]):
        while (
            i < n
            and not _is_blank(lines[i])
            and not lines[i].lstrip().startswith("|")
            and not _ANY_HEADING.match(lines[i])
        ):
            i += 1
        insert_at = i
        while i < n and _is_blank(lines[i]):
            i += 1
    else:
        insert_at = i
    table_end = insert_at
    if i < n and _is_timeline_table(lines[i]):
        table_end = i
        while table_end < n and lines[table_end].lstrip().startswith("|"):
            table_end += 1
    before = lines[:insert_at]
    after = lines[table_end:]
    piece = block
    if before and not _is_blank(before[-1]):
        piece = nl + piece
    if after and not _is_blank(after[0]):
        piece = piece + nl
    if not after and not piece.endswith(nl):
        piece += nl
    return "".join(before) + piece + "".join(after)


def insert(draft: str, block: str) -> str:
    """``draft`` with the Timeline ``block`` (markers included, ``\\n`` endings) put in."""
    block = _newline_style(draft, block)
    if MARKER_START in draft or MARKER_END in draft:
        if MARKER_START not in draft:
            raise RenderError(
                f"the draft has {MARKER_END} but no {MARKER_START}; add the start marker"
            )
        return _replace_between_markers(draft, block)
    return _insert_under_heading(draft, block)
