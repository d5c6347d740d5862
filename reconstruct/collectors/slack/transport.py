"""Slack's transport: ``slack_sdk.WebClient`` (imported on use) as reconstruct builds it.

Its own retry handlers are off (``retry_handlers=[]``) so the shared loop (``collectors._http``)
is the only one that retries, and its logger is muted (it logs failures at ERROR level; our error
line already says it, once). One client per worker thread: ``SlackApi`` keeps them.
"""

from __future__ import annotations

import logging
import math
import ssl
from typing import TYPE_CHECKING

from reconstruct.config import Secret

if TYPE_CHECKING:
    from slack_sdk import WebClient


def _silent_logger() -> logging.Logger:
    logger = logging.getLogger("reconstruct.slack_sdk")
    logger.propagate = False
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    return logger


def web_client(token: Secret, base_url: str, verify: ssl.SSLContext, timeout: float) -> WebClient:
    """A ``WebClient`` for ``[slack] base_url``; ``timeout`` is set again before each request."""
    from slack_sdk import WebClient

    return WebClient(
        token=token.reveal(),
        base_url=base_url,
        ssl=verify,
        timeout=math.ceil(timeout),
        retry_handlers=[],
        logger=_silent_logger(),
    )


def close_response(exc: BaseException) -> None:
    """Close the response a failed read left open. ``WebClient`` reads the body without closing
    the response when the read fails, and ``http.client`` does not close it either when a
    chunked body is cut short (``IncompleteRead``): its socket would stay open until garbage
    collection. The response is the SDK's local ``resp`` in the failed call's frames."""
    import http.client

    tb = exc.__traceback__
    while tb is not None:
        resp = tb.tb_frame.f_locals.get("resp")
        if isinstance(resp, http.client.HTTPResponse):
            resp.close()
        tb = tb.tb_next
