"""The one place where errors become exit codes, for every command (``reconstruct``,
``watch``, ``serve``): ``guarded(action, debug)`` runs ``action`` and maps what it raises.

0 complete · 1 anything else · 2 usage or config error · 3 partial (a source failed; the draft
is still written) · 130 interrupted · 143 terminated. A module of its own so that ``cli`` and
``watch.commands`` both use it without importing each other.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import click

from reconstruct.errors import EXIT_ERROR, EXIT_PARTIAL, ReconstructError

EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C, so every ``with`` block unwinds
    (``BundleWriter`` removes its temp folder) and nothing half-written is left."""


def _err(message: str) -> None:
    click.echo(message, err=True)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """While a run is in progress, SIGTERM unwinds the main thread like Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def guarded(action: Callable[[], int], debug: bool) -> int:
    from reconstruct.logredact import install as redact_logs

    redact_logs()
    try:
        with _sigterm_as_interrupt():
            return action()
    except ReconstructError as exc:
        _err(f"reconstruct: error: {exc}")
        return exc.exit_code if exc.exit_code != EXIT_PARTIAL else EXIT_ERROR
    except Terminated:
        _err("reconstruct: terminated; nothing was written")
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        _err("reconstruct: interrupted; nothing was written")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return stdout_closed()
    except Exception as exc:
        if debug or os.environ.get("RECONSTRUCT_DEBUG"):
            raise
        _err(
            f"reconstruct: internal error: {type(exc).__name__}: {exc} "
            "(rerun with RECONSTRUCT_DEBUG=1 for a traceback, and please report it)"
        )
        return EXIT_ERROR


def stdout_closed() -> int:
    """Whoever read stdout went away (``reconstruct watch status | head -1``): end quietly, exit
    0. stdout is pointed at the null device so that the interpreter's last flush does not fail
    again (the Python docs' "Note on SIGPIPE")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass  # not a real file descriptor (a test runner's stream): nothing more to flush
    return 0


def exit_now(code: int) -> None:
    """Exit with ``code``. Collector threads abandoned at the deadline or by Ctrl-C may still be
    running; letting the interpreter finalize would force-unwind them, which aborts the process
    when one is inside a native (Rust/C++) extension frame. Everything is written and cleaned up
    by now, so flush and leave without finalizing over them."""
    import threading

    if any(t.is_alive() and t.daemon for t in threading.enumerate()):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)
    sys.exit(code)
