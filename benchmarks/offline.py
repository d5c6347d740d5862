"""Issue #13's offline figures: the whole ``reconstruct --bundle`` process on a large incident.

    .venv/bin/python benchmarks/offline.py            # 10k, 100k and 1M Slack messages
    .venv/bin/python benchmarks/offline.py --skip-1m --runs 3

For each size a bundle is written once (``offline_bundle`` from ``tests/fakes/offline_world.py``:
PagerDuty's sample incident and N messages in the incident channel in the shapes today's Web API
returns: people's messages with ``client_msg_id`` and the ``rich_text`` block mirroring their
text, mentions, links, edits, reactions, threads with their replies, an alerting bot's posts;
about 725 bytes a message in the bundle), then each process runs alone, measured from outside
(wall time, and peak RSS from ``os.wait4``: that process only), best time of ``--runs``:

- the floor: a fresh interpreter that reads every bundle file, checks its sha256 and decodes each
  response body in it, and exits: what any run must do with the evidence. It decodes with the
  run's own decoder, msgspec, the way the run does (``Bundle.stream``: a file split into its
  bodies, each decoded and dropped), so the ratio compares like with like; a floor decoding with
  ``json.loads`` would be slower than the run's own decoding and flatter the ratio;
- ``json.loads`` (shown for reference, not a target): the same with the standard library, each
  file decoded whole, as the tool did before it streamed pages (and as the issue's floor did);
- the run: ``python -m reconstruct --incident ID --bundle DIR --output FILE --quiet``.

Targets (issue #13): at 100k the run within 1.5x of the floor's time and under 200 MB; at 1M
under 1.5 GB. Each line says whether its targets are met.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fakes.offline_world import offline_bundle  # noqa: E402

FLOOR = """
import hashlib, json, sys
from pathlib import Path
import msgspec
split, body = msgspec.json.Decoder(list[msgspec.Raw]), msgspec.json.Decoder()
root = Path(sys.argv[1])
manifest = json.loads((root / "manifest.json").read_bytes())
for rel, digest in manifest["files"].items():
    data = (root / rel).read_bytes()
    assert hashlib.sha256(data).hexdigest() == digest
    for raw in split.decode(data):
        body.decode(raw)
"""

STDLIB_FLOOR = """
import hashlib, json, sys
from pathlib import Path
root = Path(sys.argv[1])
manifest = json.loads((root / "manifest.json").read_bytes())
for rel, digest in manifest["files"].items():
    data = (root / rel).read_bytes()
    assert hashlib.sha256(data).hexdigest() == digest
    json.loads(data)
"""


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) of that process alone, exit code."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - started
    if proc.stderr is not None:
        proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return took, usage.ru_maxrss / 1024, proc.returncode


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--skip-1m", action="store_true")
    parser.add_argument("--runs", type=int, default=3, help="best of this many, per process")
    parser.add_argument("--_write", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._write:
        incident, _ = offline_bundle(int(args._write[0]), Path(args._write[1]))
        print(incident)
        return 0
    sizes = [10_000, 100_000] + ([] if args.skip_1m else [1_000_000])
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECONSTRUCT_")}
    env["PYTHONPATH"] = str(ROOT)
    failed = False
    print(
        f"{'messages':>9} | {'bundle MB':>9} | {'floor s':>7} | {'run s':>6} | {'ratio':>5} | "
        f"{'floor MB':>8} | {'run MB':>6} | {'json.loads s/MB':>15} | targets"
    )
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="reconstruct-offline-") as tmp:
            # Written by a child: forked from a parent holding N messages, the measured
            # processes would start with its RSS (Linux counts it in their ru_maxrss).
            bundle = Path(tmp) / "bundle"
            made = subprocess.run(
                [sys.executable, __file__, "--_write", str(n), str(bundle)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
                timeout=1800,
            )
            incident = made.stdout.strip()
            out = Path(tmp) / "draft.md"
            size = sum(f.stat().st_size for f in bundle.rglob("*") if f.is_file()) / 2**20
            floor_cmd = [sys.executable, "-c", FLOOR, str(bundle)]
            stdlib_cmd = [sys.executable, "-c", STDLIB_FLOOR, str(bundle)]
            run_cmd = [
                sys.executable,
                "-m",
                "reconstruct",
                "--incident",
                incident,
                "--bundle",
                str(bundle),
                "--output",
                str(out),
                "--quiet",
                "--config",
                str(Path(tmp) / "none.toml"),
            ]
            (Path(tmp) / "none.toml").write_text("")
            runs = 1 if n >= 1_000_000 else args.runs
            floors, stdlib, results = [], [], []
            for _ in range(runs):  # interleaved: a burst of load on the VM hits all three
                floors.append(measure(floor_cmd, env))
                stdlib.append(measure(stdlib_cmd, env))
                results.append(measure(run_cmd, env))
        if any(code not in (0, 3) for *_, code in results):
            print(f"{n:>9,} | the run failed (exit {results[0][2]})")
            failed = True
            continue
        floor_s, floor_mb = min(f[0] for f in floors), max(f[1] for f in floors)
        run_s, run_mb = min(r[0] for r in results), max(r[1] for r in results)
        json_s, json_mb = min(f[0] for f in stdlib), max(f[1] for f in stdlib)
        ratio = run_s / floor_s
        if n == 100_000:
            fast, small = ratio <= 1.5, run_mb < 200
            target = f"<= 1.5x floor: {_met(fast)}; < 200 MB: {_met(small)}"
            ok = fast and small
        elif n == 1_000_000:
            ok = run_mb < 1536
            target = f"< 1.5 GB: {_met(ok)}"
        else:
            ok, target = True, "-"
        failed |= not ok
        print(
            f"{n:>9,} | {size:9.0f} | {floor_s:7.2f} | {run_s:6.2f} | {ratio:5.2f} | "
            f"{floor_mb:8.0f} | {run_mb:6.0f} | {json_s:7.2f} {json_mb:7.0f} | {target}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
