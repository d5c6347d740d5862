"""Live collection: PagerDuty first (it defines the incident and the window), then every
configured source at once, all written into one evidence bundle that the rest of the pipeline
reads exactly as it reads ``--bundle DIR``.

A source that fails is recorded in the bundle's manifest (status ``failed`` and the one-line
error) and the others still complete; the CLI then exits 3. PagerDuty failing to find the
incident is fatal: without it there is nothing to reconstruct.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from reconstruct.bundle import BundleWriter
from reconstruct.collectors import CollectContext, get_source, names
from reconstruct.collectors._http import DEFAULT_POLICY, Pace, RetryPolicy
from reconstruct.config import Config, Secret, env_token, token
from reconstruct.errors import (
    ConfigError,
    ReconstructError,
    SourceAuthError,
    SourceError,
    SourceNotFound,
    UsageError,
)
from reconstruct.model import Incident, Window
from reconstruct.progress import ProgressDisplay

T = TypeVar("T")


def default_bundle_dir(incident_id: str, output: Path | None) -> Path:
    """Beside ``--output`` when given, else in the user cache dir."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", incident_id)
    if output is not None:
        return output.with_name(f"{output.stem}.evidence")
    import platformdirs

    return Path(platformdirs.user_cache_dir("reconstruct")) / "bundles" / safe


def compute_window(incident: Incident, config: Config, now: datetime) -> Window:
    start = incident.started_at - config.window.before
    if incident.resolved_at is None:
        end = now
    else:
        end = min(incident.resolved_at + config.window.after, now)
    end = max(end, incident.started_at)
    return Window(
        start=start,
        end=end,
        leadup_start=start - config.window.leadup,
        ongoing=incident.resolved_at is None,
    )


def skip_reason(name: str, config: Config, options: Mapping[str, Any]) -> str | None:
    """Why a source is not collected on this run (None: collect it)."""
    return get_source(name).skip_reason(config, options)


DEADLINE_GRACE = 2.0
"""Seconds past the deadline a request in flight may take to end on its own timeout before the
orchestrator gives up on it (its thread is abandoned; nothing it does later is recorded)."""


def fetch_incident(
    ref: str, config: Config, pace: Pace | None = None
) -> tuple[dict[str, Any], Incident]:
    """The incident's record and model; ``pace`` carries the run's deadline and retry policy.
    Raises UsageError (not found), ConfigError (the token) or ReconstructError: exit 1 or 2."""
    import reconstruct.collectors.pagerduty.live as pd
    from reconstruct.collectors.pagerduty.parse import incident_from_record

    pace = pace or Pace("pagerduty")
    try:
        body = within_deadline(
            pace.deadline, lambda: pd.resolve_incident(config, token("pagerduty"), ref, pace=pace)
        )
    except SourceNotFound as exc:
        raise UsageError(str(exc)) from exc
    except SourceAuthError as exc:
        raise ConfigError(str(exc)) from exc
    except SourceError as exc:
        raise ReconstructError(str(exc)) from exc
    except TimeoutError as exc:
        raise ReconstructError(
            f"pagerduty: incident {ref} was not fetched by the {pace.setting} deadline (PagerDuty "
            f"at {config.pagerduty.base_url} accepted the request but did not answer in time); "
            f"check that it is reachable, or rerun with a larger {pace.setting}"
        ) from exc
    # resolve_incident guarantees {"incident": {...}}
    return body, incident_from_record(body["incident"])


def within_deadline(deadline: float | None, action: Callable[[], T]) -> T:
    """``action()``, or ``TimeoutError`` once ``deadline`` (``time.monotonic()``) has passed by
    ``DEADLINE_GRACE`` seconds while it still runs (a server trickling its answer byte by byte
    passes every per-read timeout). The action runs in a daemon thread, abandoned then."""
    if deadline is None:
        return action()
    done: list[T] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            done.append(action())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failed.append(exc)

    thread = threading.Thread(target=run, name="collect-incident", daemon=True)
    thread.start()
    thread.join(max(0.0, deadline - time.monotonic()) + DEADLINE_GRACE)
    if failed:
        raise failed[0]
    if not done:
        raise TimeoutError("the deadline passed")
    return done[0]


def _collect_one(name: str, ctx: CollectContext, writer: BundleWriter) -> None:
    try:
        _collect_source(name, ctx, writer)
    except BaseException as exc:  # noqa: BLE001 - one source's crash must not lose the others
        if writer.is_finished or ctx.handover.cut_off:
            return  # abandoned after the deadline: nothing to record any more
        writer.set_source(name, "failed", error=f"internal error: {type(exc).__name__}: {exc}")


def _collect_source(name: str, ctx: CollectContext, writer: BundleWriter) -> None:
    source = get_source(name)
    if source.collect is None:
        writer.set_source(name, "skipped", error="live collection not available")
        return
    ctx.progress(name, "collecting")
    status, error = "ok", None
    meta: Mapping[str, Any] = {}
    try:
        meta = source.collect(ctx, writer)
    except SourceError as exc:
        status, error = "failed", exc.detail
    except ReconstructError as exc:
        status, error = "failed", str(exc)
    if ctx.handover.cut_off:
        return  # cut off at the deadline: ``run_sources`` recorded it with the pages read
    writer.set_source(name, status, error=error, meta=meta)
    ctx.progress(name, "done" if status == "ok" else "failed")


def collect_live(
    incident: str,
    config: Config,
    save_bundle: Path | None,
    options: dict[str, Any],
    now: datetime,
) -> Path:
    timeout = options.get("timeout")
    deadline = time.monotonic() + float(timeout) if timeout else None
    policy = _policy(options)
    setting = str(options.get("deadline_setting") or "--timeout")
    body, inc = fetch_incident(
        incident, config, Pace("pagerduty", policy, deadline, setting=setting)
    )
    window = compute_window(inc, config, now)
    dest = save_bundle or default_bundle_dir(inc.id, options.get("output"))
    display = ProgressDisplay(enabled=not options.get("quiet", False))
    with BundleWriter(dest, inc.id) as writer, display:
        writer.add("pagerduty/incident.json", [body])
        wanted: list[str] = []
        for name in names():
            reason = skip_reason(name, config, options)
            if reason is None:
                wanted.append(name)
            else:
                writer.set_source(name, "skipped", error=reason)
        contexts = {
            name: CollectContext(
                config=config,
                incident=inc,
                incident_raw=body["incident"],
                window=window,
                token=_token(name),
                progress=display,
                options=options,
                source=name,
                deadline=deadline,
                policy=policy,
                setting=setting,
            )
            for name in wanted
        }
        run_sources(wanted, contexts, writer, deadline, setting)
        return writer.finish(window, now)


def _token(name: str) -> Secret | None:
    env = get_source(name).token_env
    return env_token(env) if env else None


def _policy(options: Mapping[str, Any]) -> RetryPolicy:
    policy = options.get("policy")
    return policy if isinstance(policy, RetryPolicy) else DEFAULT_POLICY


def run_sources(
    names: list[str],
    contexts: Mapping[str, CollectContext],
    writer: BundleWriter,
    deadline: float | None,
    setting: str = "--timeout",
) -> None:
    """Collect every source in its own daemon thread; at the deadline, record each unfinished
    source as failed and go on (its thread is abandoned, so a hung API cannot hang the run).
    ``setting`` names what sets the deadline in the advice (``[watch] timeout`` for ``watch``)."""
    threads = {
        name: threading.Thread(
            target=_collect_one,
            args=(name, contexts[name], writer),
            name=f"collect-{name}",
            daemon=True,
        )
        for name in names
    }
    for thread in threads.values():
        thread.start()
    for name, thread in threads.items():
        # a source that watches the deadline itself ends just after it with what it fetched
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        thread.join(None if left is None else left + DEADLINE_GRACE)
        if thread.is_alive():
            # the source's own request timeouts did not end it (a trickling answer): it hands
            # over the pages it read, and the line names the request in flight
            writer.set_source(name, "failed", error=contexts[name].handover.line(setting))
