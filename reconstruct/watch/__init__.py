"""Unattended runs: ``reconstruct watch`` (poll PagerDuty) and ``reconstruct serve`` (webhooks).

    state.py      the SQLite state: checkpoint, incidents, leases, per-sink deliveries, webhooks
    poll.py       GET /incidents: incidents resolved since the checkpoint
    build.py      one incident -> evidence bundle -> Markdown draft (the CLI's path)
    runner.py     the watcher: queue, settle, claim, build, deliver to every sink exactly once
    webhook.py    PagerDuty v3 webhook signatures and the ASGI app (starlette)
    commands.py   the click commands ``watch`` and ``serve``

Nothing here is imported by ``reconstruct --help``: ``commands.py`` imports the rest lazily.
"""
