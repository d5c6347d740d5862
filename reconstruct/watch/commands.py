"""``reconstruct watch`` (with ``status``, ``retry`` and ``forget``) and ``reconstruct serve``.
Only click is imported here at module level (``reconstruct --help`` stays fast); the watcher,
the SDK, starlette and uvicorn load on use.

Exit codes beyond the CLI's (0 ok, 1 failed, 2 config): 130 after Ctrl-C, 143 after SIGTERM
(leases given back first), ``EXIT_PORT_IN_USE`` when ``serve``'s port is taken.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconstruct.errors import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    ConfigError,
    ReconstructError,
    UsageError,
)

if TYPE_CHECKING:
    from reconstruct.config import Config
    from reconstruct.watch.runner import Watcher
    from reconstruct.watch.state import State

STATE_NAME = "watch.sqlite"
EXIT_PORT_IN_USE = 4
"""``serve``: [serve] port is already taken by another process."""
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
LOG_FORMATS = ("text", "json")

_lock = threading.Lock()


def make_log(fmt: str) -> Callable[[str], None]:
    """A log function writing one line per call to stderr: ``<UTC time> reconstruct: <message>``
    or, with ``json``, one JSON object (``logline.json_line``). Safe from any thread."""
    from reconstruct.timeutil import now_utc
    from reconstruct.watch.logline import json_line, text

    render = json_line if fmt == "json" else text

    def log(message: str) -> None:
        line = render(message, now_utc())
        with _lock:
            click.echo(line, err=True)

    return log


def state_path(config: Config, explicit: Path | None) -> Path:
    """``--state``, else ``[watch] state``, else the user data dir."""
    if explicit is not None:
        return explicit
    if config.watch.state is not None:
        return config.watch.state.expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("reconstruct")) / STATE_NAME


def make_watcher(
    config_path: Path | None,
    explicit_state: Path | None,
    *,
    sinks: bool,
    log: Callable[[str], None],
) -> Watcher:
    from reconstruct.collectors import config_models
    from reconstruct.config import load_config
    from reconstruct.deliver import configured_sinks
    from reconstruct.timeutil import now_utc
    from reconstruct.watch.runner import Watcher
    from reconstruct.watch.state import State

    config = load_config(config_path, source_tables=config_models())
    path = state_path(config, explicit_state)
    chosen = configured_sinks(config)
    if sinks and not chosen:
        raise ConfigError(
            'no sink configured: set [deliver] dir = "PATH" (or [deliver.slack] / '
            "[deliver.github]) so drafts have somewhere to go"
        )
    return Watcher(
        config,
        State(path),
        chosen,
        now=now_utc,
        log=log,
        bundles=path.with_name(f"{path.stem}.bundles"),
    )


def open_state(config_path: Path | None, explicit_state: Path | None) -> State:
    from reconstruct.collectors import config_models
    from reconstruct.config import load_config
    from reconstruct.watch.state import State

    return State(
        state_path(load_config(config_path, source_tables=config_models()), explicit_state)
    )


def _interrupted(
    exc: KeyboardInterrupt, watcher: Watcher | None, log: Callable[[str], None]
) -> int:
    """Give back the leases this process holds; 143 after SIGTERM, 130 after Ctrl-C."""
    from reconstruct._guard import Terminated

    released = watcher.release_all() if watcher is not None else 0
    what = "terminated" if isinstance(exc, Terminated) else "interrupted"
    held = f"; {released} claim{'s' if released != 1 else ''} given back" if released else ""
    log(f"{what}{held}; the next run picks up what was left")
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


def _failed(exc: ReconstructError, log: Callable[[str], None]) -> int:
    """The run could not go on (a config problem, the state unusable): one log line, in the
    log format asked for; exit 2 for config and usage errors, else 1."""
    from reconstruct.watch.logline import Line

    log(Line(f"error: {exc}", level="error"))
    return exc.exit_code if exc.exit_code in (EXIT_ERROR, EXIT_USAGE) else EXIT_ERROR


def _broken(exc: Exception, watcher: Watcher | None, log: Callable[[str], None]) -> int:
    """The state file (or the disk under it) failed outside any one incident's work: one line
    naming it, exit 1; the next run retries. Anything else is re-raised (an internal error)."""
    import sqlite3

    from reconstruct.watch.logline import Line
    from reconstruct.watch.runner import describe

    if not isinstance(exc, sqlite3.Error | OSError) or isinstance(exc, BrokenPipeError):
        raise exc  # a closed stdout ends quietly in ``guarded``

    where = f" ({watcher.state.path})" if watcher is not None else ""
    log(Line(f"error: {describe(exc)}{where}; check the disk, then run again", level="error"))
    return EXIT_ERROR


_config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Config file (default: ./reconstruct.toml, then the user config dir).",
)
_state_option = click.option(
    "--state",
    "state",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="SQLite state file (default: [watch] state, else the user data dir).",
)
_log_format_option = click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    default="text",
    show_default=True,
    help="Log lines on stderr: text, or one JSON object per line for log pipelines.",
)
_debug_option = click.option("--debug", is_flag=True, hidden=True)
_yes_option = click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")


@click.group("watch", invoke_without_command=True)
@click.option("--once", is_flag=True, help="One poll and delivery round, then exit (for cron/CI).")
@click.option("--dry-run", is_flag=True, help="List what would be done; collect and send nothing.")
@_state_option
@_config_option
@_log_format_option
@_debug_option
@click.pass_context
def watch(
    ctx: click.Context,
    once: bool,
    dry_run: bool,
    state: Path | None,
    config_path: Path | None,
    log_format: str,
    debug: bool,
) -> None:
    """Draft a post-mortem for every incident resolved since the last run.

    Polls PagerDuty for resolved incidents, waits [watch] settle after each resolution, then
    reconstructs it and delivers the draft to every [deliver] sink, each exactly once.
    Without --once it polls every [watch] interval until interrupted.

    `reconstruct watch status` shows what the state knows; `watch retry ID` and
    `watch forget ID` change it.
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"state": state, "config_path": config_path, "debug": debug}
        return
    from reconstruct._guard import guarded as _guarded

    log = make_log(log_format)
    holder: list[Watcher] = []

    def action() -> int:
        watcher = make_watcher(config_path, state, sinks=True, log=log)
        holder.append(watcher)
        if dry_run:
            lines = watcher.plan()
            for line in lines or ["nothing to do"]:
                log(f"dry run: {line}")
            return EXIT_OK
        if once:
            report = watcher.run_once()
            log(f"watch: {report.summary()}")
            return EXIT_ERROR if report.failed else EXIT_OK
        interval = watcher.config.watch.interval
        log(f"watch: polling every {interval}; state in {watcher.state.path}")
        watcher.run_forever(interval, threading.Event())
        return EXIT_OK

    def guarded() -> int:
        try:
            return action()
        except KeyboardInterrupt as exc:
            return _interrupted(exc, holder[0] if holder else None, log)
        except ReconstructError as exc:
            return _failed(exc, log)
        except Exception as exc:  # noqa: BLE001 (state/disk failures named; others re-raised)
            return _broken(exc, holder[0] if holder else None, log)

    ctx.exit(_guarded(guarded, debug))


def _sub_options(
    ctx: click.Context, state: Path | None, config_path: Path | None
) -> tuple[Path | None, Path | None]:
    parent = ctx.obj or {}
    return (state or parent.get("state"), config_path or parent.get("config_path"))


@watch.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@_state_option
@_config_option
@click.pass_context
def status(ctx: click.Context, as_json: bool, state: Path | None, config_path: Path | None) -> None:
    """What the state knows: pending, delivered per sink, parked with its error."""
    from reconstruct._guard import guarded as _guarded
    from reconstruct.watch.status import as_json as status_json
    from reconstruct.watch.status import lines as status_lines

    state, config_path = _sub_options(ctx, state, config_path)

    def action() -> int:
        store = open_state(config_path, state)
        rows = store.all()
        if as_json:
            click.echo(status_json(store, rows))
            return EXIT_OK
        if not rows:
            click.echo(f"nothing in {store.path}")
            return EXIT_OK
        counts: dict[str, int] = {}
        for row in rows:
            counts[row.status] = counts.get(row.status, 0) + 1
        click.echo(", ".join(f"{n} {name}" for name, n in sorted(counts.items())))
        for line in status_lines(store, rows):
            click.echo(line)
        return EXIT_OK

    ctx.exit(_guarded(action, bool((ctx.obj or {}).get("debug"))))


def _confirmed(question: str) -> bool:
    """Ask on stderr; no answer (no terminal, end of input) is no."""
    try:
        return click.confirm(question, default=False, err=True)
    except click.Abort:
        click.echo("", err=True)
        return False


def _change(
    ctx: click.Context,
    incident: str,
    yes: bool,
    state: Path | None,
    config_path: Path | None,
    verb: str,
) -> None:
    from reconstruct._guard import guarded as _guarded
    from reconstruct.timeutil import now_utc

    state, config_path = _sub_options(ctx, state, config_path)

    def action() -> int:
        store = open_state(config_path, state)
        row = store.get(incident)
        if row is None:
            raise UsageError(
                f"{incident} is not in {store.path}; `reconstruct watch status` lists what is"
            )
        if not yes and not _confirmed(f"{verb} {row.label} ({row.status})?"):
            click.echo("reconstruct: nothing changed (pass --yes to skip the question)", err=True)
            return EXIT_ERROR
        if verb == "retry":
            before = store.retry(incident, now_utc())
            if before == "delivered":
                raise UsageError(
                    f"{row.label} was delivered to every sink; nothing to retry (a new "
                    "resolution in PagerDuty queues an updated draft)"
                )
            click.echo(
                f"reconstruct: {row.label}: {before} -> pending, built again on the next run",
                err=True,
            )
        else:
            before = store.forget(incident, now_utc())
            click.echo(
                f"reconstruct: {row.label}: {before} -> forgotten; not built or delivered "
                "unless it is resolved again",
                err=True,
            )
        return EXIT_OK

    ctx.exit(_guarded(action, bool((ctx.obj or {}).get("debug"))))


@watch.command("retry")
@click.argument("incident")
@_yes_option
@_state_option
@_config_option
@click.pass_context
def retry(
    ctx: click.Context, incident: str, yes: bool, state: Path | None, config_path: Path | None
) -> None:
    """Queue a parked (or failing, cancelled, forgotten) incident again, due now."""
    _change(ctx, incident, yes, state, config_path, "retry")


@watch.command("forget")
@click.argument("incident")
@_yes_option
@_state_option
@_config_option
@click.pass_context
def forget(
    ctx: click.Context, incident: str, yes: bool, state: Path | None, config_path: Path | None
) -> None:
    """Drop an incident: not built or delivered unless PagerDuty resolves it again."""
    _change(ctx, incident, yes, state, config_path, "forget")


@click.command("serve")
@click.option("--no-worker", is_flag=True, help="Only queue; leave the work to `watch --once`.")
@_state_option
@_config_option
@_log_format_option
@_debug_option
@click.pass_context
def serve(
    ctx: click.Context,
    no_worker: bool,
    state: Path | None,
    config_path: Path | None,
    log_format: str,
    debug: bool,
) -> None:
    """Receive PagerDuty v3 webhooks and draft each resolved incident.

    POST /webhook (signed with PAGERDUTY_WEBHOOK_SECRET), GET /healthz, on [serve] host/port.
    A worker loop builds and delivers queued drafts every [watch] interval once they settled.
    """
    from reconstruct._guard import guarded as _guarded

    log = make_log(log_format)
    holder: list[Watcher] = []

    def action() -> int:
        from reconstruct.watch.listen import PortInUse, bind
        from reconstruct.watch.logline import Line
        from reconstruct.watch.webhook import SECRET_ENV, Health, Limits, create_app
        from reconstruct.watch.worker import Worker

        secret = os.environ.get(SECRET_ENV, "").strip()
        if not secret:
            raise ConfigError(
                f"{SECRET_ENV} is not set; set it to the webhook subscription's signing secret"
            )
        watcher = make_watcher(config_path, state, sinks=not no_worker, log=log)
        holder.append(watcher)
        config = watcher.config
        host, port = config.serve.host, config.serve.port
        try:
            sock = bind(host, port)
        except PortInUse as exc:
            log(Line(f"serve: error: {exc}", level="error"))
            return EXIT_PORT_IN_USE
        import uvicorn

        limits = Limits()
        health = Health(worker=not no_worker)
        app = create_app(
            watcher.state,
            config.watch.settle,
            secret,
            watcher.pd_now,  # PagerDuty's time, as the worker and retention use
            log,
            health=health,
            limits=limits,
        )
        stop = threading.Event()
        worker = Worker(watcher, health, log, config.watch.interval)
        if not no_worker:
            worker.start(stop)
        log(f"serve: listening on http://{host}:{port} (POST /webhook, GET /healthz)")
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                log_level="warning",
                access_log=False,
                lifespan="off",
                limit_concurrency=limits.concurrent * 4,  # the app refuses first
                timeout_keep_alive=5,
                timeout_graceful_shutdown=5,
            )
        )
        try:
            server.run(sockets=[sock])
        finally:
            stop.set()
            if worker.thread is not None:
                worker.thread.join(10)
            sock.close()
        return EXIT_OK

    def guarded() -> int:
        try:
            return action()
        except KeyboardInterrupt as exc:
            return _interrupted(exc, holder[0] if holder else None, log)
        except ReconstructError as exc:
            return _failed(exc, log)
        except Exception as exc:  # noqa: BLE001 (state/disk failures named; others re-raised)
            return _broken(exc, holder[0] if holder else None, log)

    ctx.exit(_guarded(guarded, debug))
