"""Every message of a Slack export day file that holds the window is collected and ends in a row
or a named count: a ``ts`` Slack never writes (``"garbage"``, none at all) is counted under
``time not readable as UTC`` with the warning line every source gives; a message posted before
the window in that day file is counted "records before the incident window", as every source's
records before it are (one after it ``outside the collection window``).

The export is written the way Slack's exporter writes it: ``channels.json``, ``users.json`` and
``<channel>/<YYYY-MM-DD>.json`` day files holding arrays of messages
(https://slack.com/help/articles/220556107-How-to-read-Slack-data-exports).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from reconstruct.pipeline import parse_bundle
from tests.test_slack_export import INC, collect, msg


def test_unreadable_and_out_of_window_messages_of_a_day_file_are_counted(
    tmp_path: Path,
) -> None:
    day = [
        msg(-45, "U1", "deploy of 4f2c9e1 started"),  # 08:15, before the 09:00 window
        msg(5, "U1", "rolled back checkout, error rate recovering"),
        {"type": "message", "user": "U1", "ts": "garbage", "text": "ts unreadable"},
        {"type": "message", "user": "U1", "text": "no ts at all"},
    ]
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr("channels.json", json.dumps([{"id": INC, "name": "inc-1234"}]))
        zf.writestr("users.json", json.dumps([{"id": "U1", "name": "ana"}]))
        zf.writestr("inc-1234/2024-03-14.json", json.dumps(day))
    _, bundle, _ = collect(tmp_path, export, slack={"channels": []})
    parsed = parse_bundle(bundle)
    assert parsed.counts["slack"] == 4
    assert [e.summary for e in parsed.events] == ["rolled back checkout, error rate recovering"]
    assert parsed.left_out["slack"] == {
        "records before the incident window in slack:#inc-1234": 1,
        "time not readable as UTC in slack:#inc-1234": 2,
    }
    assert parsed.warnings == [
        "slack: 2 record(s) left out because their time has no UTC offset or is not a "
        "timestamp (first: 'garbage'); nothing was guessed"
    ]
