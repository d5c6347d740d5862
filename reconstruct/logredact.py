"""Keep tokens out of log output, whoever logs and whatever handler prints it.

The SDKs we call (``httpx``, ``httpcore``, ``urllib3``, ``slack_sdk``, PyGithub, ``pagerduty``) log
requests at DEBUG, and some of them log headers. ``install()`` wraps the logging record factory so
every record is redacted (``reconstruct.redact``: the tool's own token values and anything that
looks like a credential) when it is created, before any handler or formatter sees it. Records are
only created for enabled levels, so this costs nothing while logging is off.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from reconstruct.redact import redact

_lock = threading.Lock()
_installed = False


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """``record`` with its message formatted and redacted (args folded in) and any exception text
    redacted."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string is the caller's bug; keep the raw msg
        message = f"{record.msg!s} {record.args!r}"
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    return record


def install() -> None:
    """Redact every log record from now on (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        inner = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return redact_record(inner(*args, **kwargs))

        logging.setLogRecordFactory(factory)
        _installed = True


__all__ = ["install", "redact_record"]
