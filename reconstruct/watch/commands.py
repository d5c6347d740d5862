"""``reconstruct watch`` and ``reconstruct serve``. Only click is imported here at module level
(``reconstruct --help`` stays fast); the watcher, the SDK, starlette and uvicorn load on use."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconstruct.errors import EXIT_ERROR, EXIT_OK, ConfigError

if TYPE_CHECKING:
    from reconstruct.config import Config
    from reconstruct.watch.runner import Watcher

STATE_NAME = "watch.sqlite"


def _log(message: str) -> None:
    click.echo(f"reconstruct: {message}", err=True)


def state_path(config: Config, explicit: Path | None) -> Path:
    """``--state``, else ``[watch] state``, else the user data dir."""
    if explicit is not None:
        return explicit
    if config.watch.state is not None:
        return config.watch.state.expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("reconstruct")) / STATE_NAME


def make_watcher(config_path: Path | None, explicit_state: Path | None, *, sinks: bool) -> Watcher:
    from reconstruct.config import load_config
    from reconstruct.deliver import configured_sinks
    from reconstruct.timeutil import now_utc
    from reconstruct.watch.runner import Watcher
    from reconstruct.watch.state import State

    config = load_config(config_path)
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
        log=_log,
        bundles=path.with_name(f"{path.stem}.bundles"),
    )


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
_debug_option = click.option("--debug", is_flag=True, hidden=True)


@click.command("watch")
@click.option("--once", is_flag=True, help="One poll and delivery round, then exit (for cron/CI).")
@click.option("--dry-run", is_flag=True, help="List what would be done; collect and send nothing.")
@_state_option
@_config_option
@_debug_option
@click.pass_context
def watch(
    ctx: click.Context,
    once: bool,
    dry_run: bool,
    state: Path | None,
    config_path: Path | None,
    debug: bool,
) -> None:
    """Draft a post-mortem for every incident resolved since the last run.

    Polls PagerDuty for resolved incidents, waits [watch] settle after each resolution, then
    reconstructs it and delivers the draft to every [deliver] sink, each exactly once.
    Without --once it polls every [watch] interval until interrupted.
    """
    from reconstruct._guard import guarded

    def action() -> int:
        watcher = make_watcher(config_path, state, sinks=not dry_run)
        if dry_run:
            lines = watcher.plan()
            for line in lines or ["nothing to do"]:
                _log(f"dry run: {line}")
            return EXIT_OK
        if once:
            report = watcher.run_once()
            _log(f"watch: {report.summary()}")
            return EXIT_ERROR if report.failed else EXIT_OK
        interval = watcher.config.watch.interval
        _log(f"watch: polling every {interval}; state in {watcher.state.path}")
        stop = threading.Event()
        try:
            watcher.run_forever(interval, stop)
        except KeyboardInterrupt:
            _log("watch: stopped")
        return EXIT_OK

    ctx.exit(guarded(action, debug))


@click.command("serve")
@click.option("--no-worker", is_flag=True, help="Only queue; leave the work to `watch --once`.")
@_state_option
@_config_option
@_debug_option
@click.pass_context
def serve(
    ctx: click.Context,
    no_worker: bool,
    state: Path | None,
    config_path: Path | None,
    debug: bool,
) -> None:
    """Receive PagerDuty v3 webhooks and draft each resolved incident.

    POST /webhook (signed with PAGERDUTY_WEBHOOK_SECRET), GET /healthz, on [serve] host/port.
    A worker loop builds and delivers queued drafts every [watch] interval once they settled.
    """
    from reconstruct._guard import guarded

    def action() -> int:
        from reconstruct.watch.webhook import SECRET_ENV, create_app

        secret = os.environ.get(SECRET_ENV, "").strip()
        if not secret:
            raise ConfigError(
                f"{SECRET_ENV} is not set; set it to the webhook subscription's signing secret"
            )
        watcher = make_watcher(config_path, state, sinks=not no_worker)
        import uvicorn

        config = watcher.config
        app = create_app(watcher.state, config.watch.settle, secret, watcher.now, _log)
        stop = threading.Event()
        if not no_worker:
            threading.Thread(
                target=_work_loop, args=(watcher, stop), name="reconstruct-worker", daemon=True
            ).start()
        host, port = config.serve.host, config.serve.port
        _log(f"serve: listening on http://{host}:{port} (POST /webhook, GET /healthz)")
        try:
            uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
        finally:
            stop.set()
        return EXIT_OK

    ctx.exit(guarded(action, debug))


def _work_loop(watcher: Watcher, stop: threading.Event) -> None:
    from reconstruct.errors import ReconstructError

    interval = watcher.config.watch.interval.total_seconds()
    while not stop.is_set():
        try:
            report = watcher.process_due()
            if report.delivered or report.failed or report.cancelled:
                _log(f"serve: worker: {report.summary()}")
        except ReconstructError as exc:
            _log(f"serve: worker: error: {exc}")
        stop.wait(interval)
