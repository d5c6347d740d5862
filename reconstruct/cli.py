"""Command line: parse arguments, build the draft (``pipeline.draft``), write it. Exit codes
(``_guard.guarded``, shared with ``watch`` and ``serve``):

0 complete · 1 anything else · 2 usage or config error · 3 partial (a source failed;
the draft is still written and the warnings are listed on stderr and in the draft)
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import click

from reconstruct import __version__
from reconstruct._guard import _err, exit_now, guarded
from reconstruct.errors import (
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    BundleError,
    RenderError,
    UsageError,
)

FORMATS = ("markdown", "json", "html", "csv", "page")

_PD_ID = re.compile(r"[A-Za-z0-9]{1,64}")


def incident_ref(value: str) -> str:
    """The incident as the pipeline takes it: a PagerDuty ID (letters and digits), an incident
    number (digits), ``#1234``, or a PagerDuty incident URL (``https://acme.pagerduty.com/
    incidents/Q1ABC23``). Raises UsageError for anything else, before any request is made."""
    text = value.strip()
    if "://" in text:
        parts = urlsplit(text)
        path = [p for p in parts.path.split("/") if p]
        if parts.scheme.lower() in ("http", "https") and "incidents" in path[:-1]:
            text = path[path.index("incidents") + 1]
    elif text.startswith("#") and text[1:].isdigit():
        text = text[1:]
    if not _PD_ID.fullmatch(text) or not text.isascii():
        raise UsageError(
            f"--incident {value!r} is not an incident: use a PagerDuty incident ID (letters and "
            "digits), a number (1234 or #1234) or the incident's PagerDuty URL"
        )
    return text


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file and a rename: never a half-written file.
    A new file follows the umask, an existing one keeps its mode (``reconstruct.outfile``)."""
    from reconstruct.outfile import write_shared

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:  # a folder on the way is a file: say that, not "File exists"
        raise NotADirectoryError(20, f"{exc.filename} is a file, not a folder") from exc
    write_shared(path, text.encode("utf-8"))


def timeout_seconds(ctx: click.Context, param: click.Parameter, value: object) -> float:
    """``--timeout``: seconds (``600``, ``90.5``) or a duration (``90s``, ``10m``, ``1h30m``),
    as seconds; 1 to ``MAX_DURATION`` (ten years). Anything else is click's usage error (exit 2)
    naming the option."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        text = str(value).strip()
        try:
            seconds = float(text)
        except ValueError:
            from reconstruct.timeutil import parse_duration

            try:
                seconds = parse_duration(text, least="1s").total_seconds()
            except ValueError as exc:
                raise click.BadParameter(str(exc), ctx, param) from exc
    from reconstruct.timeutil import MAX_DURATION, MAX_DURATION_TEXT

    if not math.isfinite(seconds) or not 1 <= seconds <= MAX_DURATION.total_seconds():
        raise click.BadParameter(
            f"{value!r}: use 1s to {MAX_DURATION_TEXT} (600, 90s, 10m, 1h30m)", ctx, param
        )
    return seconds


class _Commands(click.Group):
    """``reconstruct`` and its subcommands, ``watch`` and ``serve`` imported only when one is
    named or listed (``--help``): a draft run never loads the watcher's module."""

    LAZY: ClassVar[Mapping[str, str]] = {
        "watch": "reconstruct.watch.commands",
        "serve": "reconstruct.watch.commands",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY and cmd_name not in self.commands:
            import importlib

            module = importlib.import_module(self.LAZY[cmd_name])
            self.add_command(getattr(module, cmd_name))
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_Commands,
    name="reconstruct",
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--incident",
    "incident",
    metavar="ID",
    help='PagerDuty incident ID or number; "demo" renders the built-in demo.',
)
@click.option(
    "--bundle",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Render from a saved evidence bundle instead of the live APIs (without --incident: the "
    "bundle's own incident).",
)
@click.option(
    "--save-bundle",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Where a live run writes its evidence bundle.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Config file (default: ./reconstruct.toml, then the user config dir).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="markdown",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, readable=False),  # /dev/stdout is write-only
    metavar="FILE",
    help='Write here instead of stdout ("-" is stdout).',
)
@click.option(
    "--template",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    metavar="FILE",
    help="Your own Jinja2 template for the Markdown draft.",
)
@click.option("--timeline-only", is_flag=True, help="Only the Timeline table and its notes.")
@click.option("--why", is_flag=True, help="Add a column saying why each row is there.")
@click.option(
    "--expand",
    is_flag=True,
    help="Show every record of a collapsed series as its own row.",
)
@click.option(
    "--diagram/--no-diagram",
    default=None,
    help="A Mermaid diagram of the incident above the Timeline (default: [render] diagram).",
)
@click.option(
    "--into",
    "into",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="DRAFT.md",
    help="Replace only the Timeline table inside an existing draft.",
)
@click.option(
    "--slack-channel",
    metavar="CHANNEL",
    help="The incident's Slack channel (ID or #name), if not found otherwise.",
)
@click.option(
    "--slack-export",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    metavar="FILE.zip",
    help="Read Slack from a workspace export instead of the API.",
)
@click.option(
    "--timeout",
    callback=timeout_seconds,
    default="10m",
    show_default=True,
    metavar="DURATION",
    help="Deadline for collection (600, 90s, 10m, 1h30m); sources not done by then are reported "
    "as failed.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
@click.option("--debug", is_flag=True, hidden=True, help="Show tracebacks.")
@click.version_option(__version__, prog_name="reconstruct")
@click.pass_context
def cli(ctx: click.Context, /, **opts: object) -> None:
    """Rebuild an incident's post-mortem timeline from PagerDuty, Slack, GitHub and Grafana.

    \b
    reconstruct --incident demo               the built-in demo
    reconstruct --incident P1ABC23            collect live, save the evidence, print the draft
    reconstruct --incident P1ABC23 --bundle DIR   render again from saved evidence

    Exit codes: 0 complete, 1 error, 2 usage or config error, 3 partial (a source failed).
    """
    if ctx.invoked_subcommand is not None:
        return
    if not opts["incident"] and not opts["bundle"]:
        raise click.UsageError("missing --incident ID (try: reconstruct --incident demo)")
    ctx.exit(guarded(lambda: _reconstruct(**opts), bool(opts["debug"])))


def bundle_incident(path: Path) -> str:
    """The incident a saved bundle holds (its manifest's ``incident``), for ``--bundle DIR``
    without ``--incident``. A folder that is not a readable bundle raises the same one-line
    ``BundleError`` rendering it would."""
    from reconstruct.bundle import MANIFEST, Bundle

    try:
        incident = json.loads((path / MANIFEST).read_bytes()).get("incident")
    except (OSError, ValueError, AttributeError):
        incident = None
    if isinstance(incident, str | int) and not isinstance(incident, bool) and str(incident):
        return str(incident)
    Bundle.open(path)  # raises the BundleError naming what is wrong
    raise BundleError(f"{path / MANIFEST}: names no incident; pass --incident ID")


def _reconstruct(**opts: object) -> int:
    from reconstruct.config import load_config
    from reconstruct.pipeline import RunRequest, demo_bundle_path, draft, run
    from reconstruct.render import RenderOptions, insert_into
    from reconstruct.timeutil import now_utc

    bundle: Path | None = opts["bundle"]  # type: ignore[assignment]
    output: Path | None = opts["output"]  # type: ignore[assignment]
    if output == Path("-"):
        output = None  # stdout, as most tools read "-"
    if output is not None and output.is_dir():
        raise UsageError(
            f"--output {output}: is a directory; give a file name, e.g. {output / 'postmortem.md'}"
        )
    if opts["incident"]:
        incident = incident_ref(str(opts["incident"]))
    else:
        assert bundle is not None  # checked in cli()
        incident = bundle_incident(bundle)
    save: Path | None = opts["save_bundle"]  # type: ignore[assignment]
    shipped = bundle if bundle is not None else demo_bundle_path() if incident == "demo" else None
    if save is not None and shipped is not None and save.resolve() != shipped.resolve():
        if save.exists():  # checked before the draft is written, not after
            raise UsageError(f"--save-bundle {save}: already exists; give a new folder")
    from reconstruct.collectors import config_models

    config = load_config(opts["config_path"], source_tables=config_models())  # type: ignore[arg-type]
    from reconstruct.config import stray_variables

    for name in stray_variables():
        _err(
            f"reconstruct: warning: environment variable {name} names no config key and is "
            "ignored; write RECONSTRUCT_<TABLE>__<KEY>, e.g. RECONSTRUCT_RENDER__DIAGRAM=true"
        )
    if opts.get("expand"):
        expanded = config.collapse.model_copy(update={"expand": True})
        config = config.model_copy(update={"collapse": expanded})
    request = RunRequest(
        incident=incident,
        bundle=opts["bundle"],  # type: ignore[arg-type]
        save_bundle=opts["save_bundle"],  # type: ignore[arg-type]
        options={
            "slack_channel": opts["slack_channel"],
            "slack_export": opts["slack_export"],
            "quiet": bool(opts["quiet"]) or not sys.stderr.isatty(),
            "output": output,
            "timeout": opts["timeout"],
            "policy": _policy(),
        },
    )
    options = RenderOptions(
        fmt=str(opts["fmt"]),
        template=opts["template"],  # type: ignore[arg-type]
        timeline_only=bool(opts["timeline_only"]),
        why=bool(opts["why"]),
        diagram=config.render.diagram if opts["diagram"] is None else bool(opts["diagram"]),
    )
    into: Path | None = opts["into"]  # type: ignore[assignment]
    if into is None:
        text, result = draft(request, config, now_utc(), options)
    else:
        result = run(request, config, now_utc())
        if options.fmt != "markdown":
            raise UsageError("--into works with --format markdown only")
        try:
            existing = into.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{into}: cannot read the draft ({exc.strerror})") from exc
        try:
            text = insert_into(existing, result.timeline, options, config)
        except RenderError as exc:  # the draft given is not one we can fill: a usage error
            raise UsageError(f"--into {into}: {exc}") from exc
        output = into if opts["output"] is None else output
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            write_atomic(output, text)
        except OSError as exc:
            raise RenderError(
                f"{output}: cannot write the draft ({exc.strerror or exc}); "
                "check the path and its folder's permissions"
            ) from exc
        _err(f"reconstruct: wrote {output}")
    if result.collected_now:
        _err(f"reconstruct: evidence bundle saved in {result.bundle_path}")
    elif opts["save_bundle"] is not None:
        _save_shipped_bundle(result.bundle_path, opts["save_bundle"])  # type: ignore[arg-type]
    from reconstruct.redact import redact

    for warning in result.timeline.warnings:
        _err(f"reconstruct: warning: {redact(warning)}")  # as the draft shows it
    for hint in result.timeline.hints:
        _err(f"reconstruct: hint: {redact(hint)}")
    return EXIT_PARTIAL if result.timeline.failed_sources else EXIT_OK


def _save_shipped_bundle(source: Path, dest: Path) -> None:
    """``--save-bundle`` with evidence already on disk (the demo, ``--bundle``): copy it there,
    so the option never silently writes nothing. A ``dest`` already there is left alone."""
    import os
    import shutil

    if source.resolve() == dest.resolve():
        return
    if dest.exists():
        raise UsageError(f"--save-bundle {dest}: already exists; give a new folder")
    try:
        # owner-only like every bundle the tool writes (folders 0700, files 0600, whatever the
        # umask): the folder is made private first, so no copied file is ever readable by others
        for folder, _, files in os.walk(source):
            target = dest / Path(folder).relative_to(source)
            target.mkdir(mode=0o700)
            os.chmod(target, 0o700)  # the umask may have taken bits off, never added: exact
            for name in files:
                fd = os.open(target / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with open(os.path.join(folder, name), "rb") as src, os.fdopen(fd, "wb") as out:
                    shutil.copyfileobj(src, out)
    except OSError as exc:
        raise UsageError(f"--save-bundle {dest}: cannot copy the bundle ({exc})") from exc
    _err(f"reconstruct: evidence bundle copied to {dest}")


def _policy() -> object:
    """The retry policy handed in as click's context object (tests: shorter waits), else None:
    the default ``collectors._http.RetryPolicy``."""
    from reconstruct.collectors._http import RetryPolicy

    return click.get_current_context().find_object(RetryPolicy)


def main() -> None:
    try:
        cli.main(prog_name="reconstruct", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
        try:
            sys.stdout.flush()
        except BrokenPipeError:  # the reader of what is left in the buffer went away: quietly
            from reconstruct._guard import stdout_closed

            stdout_closed()
        exit_now(code)


__all__ = ["EXIT_USAGE", "cli", "main", "write_atomic"]
