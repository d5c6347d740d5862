"""What a sink sends besides the draft: every string redacted and made inert for where it goes.

The draft's Markdown was scrubbed when it was rendered; the strings a sink builds itself (the Slack
comment and file title, the pull request's title and body, the commit message, the branch and
file names) start from the incident's title, ID and URL, so each goes through the same redaction
(``reconstruct.redact``, with ``[redact] extra`` / ``allow``) and mention neutralising here:

    ``text(s)``        one line, invisible characters removed, redacted, ``@here``/``@team``
                       and Slack's ``<!here>``/``<@U123>`` neutralised with a zero-width space
                       (``table.no_mentions``): PR and file titles, commit messages
    ``slack(s)``       ``text`` with Slack's control characters ``& < >`` escaped as Slack asks
                       (https://api.slack.com/reference/surfaces/formatting#escaping), so
                       ``<!channel>``, ``<@U123>`` or ``<https://evil|click>`` show as typed
    ``markdown(s)``    ``text`` escaped for GitHub Markdown (a pull request body)
    ``slugify(s)``     redacted, folded to ASCII, ``[a-z0-9-]`` only: file and branch names
"""

from __future__ import annotations

import re
import unicodedata

from reconstruct.redact import Redactor
from reconstruct.render.table import md_said, no_mentions, one_line, plain, safe_url

_SLACK_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


class Outbound:
    """The sanitisers with one Redactor (built once per delivery)."""

    __slots__ = ("_redactor",)

    def __init__(self, redactor: Redactor | None = None) -> None:
        self._redactor = redactor if redactor is not None else Redactor()

    def _line(self, value: str) -> str:
        return no_mentions(one_line(self._redactor(plain(value))))

    def text(self, value: str) -> str:
        return self._line(value)  # no_mentions also breaks Slack's <!channel>, <@U123>

    def slack(self, value: str) -> str:
        return self._line(value).translate(_SLACK_ESCAPES)

    def markdown(self, value: str) -> str:
        return md_said(self._redactor(plain(value)))

    def url(self, value: str | None) -> str | None:
        """An http(s) URL, redacted; None for anything else."""
        if not value:
            return None
        return safe_url(self._redactor(plain(value)))

    def slug(self, value: str, limit: int = 60) -> str:
        return slugify(self._redactor(plain(value)), limit)


def slugify(text: str, limit: int = 60) -> str:
    """``Checkout 5xx — café`` -> ``checkout-5xx-cafe``: ASCII letters, digits and single dashes,
    at most ``limit`` characters; ``incident`` when nothing is left. Expects redacted text."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:limit].rstrip("-") or "incident"
