"""The ``pagerduty`` SDK client as reconstruct uses it. Imported lazily (by ``pagerduty_live``
inside its functions) because importing the SDK costs time that ``--help`` should not pay."""

from __future__ import annotations

from typing import Any

import httpx2
import pagerduty

Error = pagerduty.Error
HttpError = pagerduty.HttpError
UrlError = pagerduty.UrlError
Timeout = httpx2.TimeoutException
"""A request that got no answer within the client's ``timeout`` (the cause of an ``Error``)."""
CutShort = httpx2.RemoteProtocolError
"""The connection closed inside the status line, the headers or the body (a cause of ``Error``)."""


class RateLimited(Exception):
    """A 429, raised out of the SDK's request loop (which would retry it forever)."""

    def __init__(self, response: Any) -> None:
        super().__init__("429 Too Many Requests")
        self.response = response


class Client(pagerduty.RestApiV2Client):
    """``RestApiV2Client`` that counts responses (retries included) and hands 429 back to the
    caller, whose wait policy is bounded and honours ``Retry-After``.

    Not shared between threads: the SDK keeps per-client call statistics and reconstruct sets
    ``timeout`` before each request, so every concurrent series gets its own client."""

    responses: int = 0

    def postprocess(self, response: Any, suffix: str | None = None) -> None:
        super().postprocess(response, suffix)
        self.responses += 1
        if response.status_code == 429:
            raise RateLimited(response)
