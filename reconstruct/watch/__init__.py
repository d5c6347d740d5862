"""Unattended runs: ``reconstruct watch`` (poll PagerDuty) and ``reconstruct serve`` (webhooks).

    state.py      the SQLite state: checkpoint, incidents, leases, per-sink deliveries, webhooks
    poll.py       GET /incidents: incidents resolved since the checkpoint, PagerDuty's Date
    build.py      one incident -> evidence bundle -> Markdown draft (the CLI's path)
    runner.py     the watcher: queue, settle, claim, build, deliver to every sink exactly once;
                  failures backed off and parked; PagerDuty's clock
    webhook.py    PagerDuty v3 webhook signatures, limits, /healthz and the ASGI app (starlette)
    worker.py     serve's worker thread, reporting to /healthz
    listen.py     serve's listening socket (a port in use is its own exit code)
    logline.py    log lines with the incident and sink; text or JSON
    status.py     ``watch status`` as text or JSON
    commands.py   the click commands ``watch`` (status, retry, forget) and ``serve``

Nothing here is imported by ``reconstruct --help``: ``commands.py`` imports the rest lazily.
"""
