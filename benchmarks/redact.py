"""What redaction costs (issue #12): a script to run by hand, not a test.

    .venv/bin/python benchmarks/redact.py            # 100k synthetic events (default)
    .venv/bin/python benchmarks/redact.py 10000 1000000

Times are CPU seconds of this process, best of several runs (a shared machine's wall time varies
too much to compare).

1. Per text, best of 5: the ``Redactor`` on ordinary chat (words only), chat with digits and
   punctuation, evidence link URLs, and texts that hold a secret (each of them redacted).
2. Per size: normalize the synthetic incident of ``benchmarks/normalize_bench.py`` (untimed),
   then time ``prepare.scrub`` on the kept rows with the real Redactor and with one that redacts
   nothing, and the whole Markdown render; the difference is what redaction adds, shown as a
   share of the render. Redaction runs only on rendered text, so the 100k messages collected cost
   nothing beyond the rows kept.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "benchmarks"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from normalize_bench import START, synthetic  # noqa: E402

from reconstruct.config import Config  # noqa: E402
from reconstruct.model import Incident, Timeline, Window  # noqa: E402
from reconstruct.normalize import normalize  # noqa: E402
from reconstruct.redact import Redactor  # noqa: E402
from reconstruct.render import (  # noqa: E402
    RenderOptions,
    prepare,
    render,
)

TEXTS = {
    "chat, words only": "checkout latency cache pool error rate looking at graphs restart pods",
    "chat, digits and punctuation": "p99 1.2s since 09:42; rolled back 4f2c9e1 (v2.3.1), 5xx down",
    "link URL": "https://acme.slack.com/archives/C024BE91L/p1773481900000300",
    "holds a secret": "pasted password=Sup3rS3cret! and ghp_R8sT2vX5zB7nM4qW1eY6uI9oP3aS0dF2gH4j",
    "keywords, no secret": "token_ttl: 3600s, max_tokens: 4096; restarted secret-manager-7d9f8b",
    "config line, quoted": 'db: {host: "db-1", password: "correct horse battery", port: 5432}',
    "kubeconfig, folded": (
        "users: - name: admin user: client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"
        "Ck1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwK "
        "client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVBN3Zid3pR"
    ),
    "secret manifest, folded": (
        "apiVersion: v1 kind: Secret metadata: name: checkout-db type: Opaque "
        "data: username: YWRtaW4= host: ZGItMS5wcm9kLmludGVybmFs"
    ),
    "secret manifest, no kind": (
        "metadata: name: checkout-db-credentials type: Opaque "
        "data: username: YWRtaW4= host: ZGItMS5wcm9kLmludGVybmFs"
    ),
    "redis.conf, folded": "bind 10.0.4.17 port 6379 requirepass foobared maxmemory 2gb",
    "netrc entry": "machine api.heroku.com login ana@acme.example password hunter2",
    "pgpass line": "db.internal:5432:app:app_user:Sup3rS3cret",
    "chat, auth words": "auth is down again, author ana says the password reset page fails",
}


def best(fn: Callable[[], object], repeat: int = 5) -> float:
    """The least CPU time of ``repeat`` runs (steadier than wall time on a shared machine)."""
    times = []
    for _ in range(repeat):
        began = time.process_time()
        fn()
        times.append(time.process_time() - began)
    return min(times)


def per_text() -> None:
    redactor = Redactor()
    n = 20_000
    print(f"{'text':<32} {'us/text':>9}  redacted")
    for name, text in TEXTS.items():
        took = best(lambda text=text: [redactor(text) for _ in range(n)])
        print(f"{name:<32} {took / n * 1e6:>9.2f}  {redactor(text) != text}")


def worst_case() -> None:
    """A keyword then a long run of spaces: detect-secrets' IBM Cloud pattern is cubic on it,
    so the Redactor searches the stretches between long runs (``redact.LONG_SPACE``)."""
    redactor = Redactor()
    for spaces in (10_000, 100_000):
        text = "token" + " " * spaces + "!"
        took = best(lambda text=text: redactor(text), 3)
        print(f"keyword + {spaces:,} spaces: {took * 1e3:.1f} ms")


def per_size(n: int) -> None:
    incident = Incident("PABC123", 1234, "Checkout errors", "P1", ("checkout",), START, None, None)
    window = Window(START, START + timedelta(hours=4), START - timedelta(days=14))
    config = Config()
    result = normalize(synthetic(n), incident, window, config)
    timeline = Timeline(incident, window, result.events, result.omitted, {"slack": n}, ())
    with_redaction = best(lambda: prepare.scrub(timeline, config))
    real = prepare.Redactor
    try:
        prepare.Redactor = _Nothing  # type: ignore[misc,assignment]
        without = best(lambda: prepare.scrub(timeline, config))
    finally:
        prepare.Redactor = real  # type: ignore[misc]
    whole = best(lambda: render(timeline, RenderOptions(), config), 3)
    added = with_redaction - without
    print(
        f"{n:>9,} events, {len(result.events):>7,} rows rendered: scrub {with_redaction:.3f} s "
        f"(without redaction {without:.3f} s; redaction adds {added:.3f} s = "
        f"{added / whole:.0%} of the {whole:.3f} s Markdown render)"
    )


class _Nothing:
    """A Redactor that redacts nothing (the baseline)."""

    @classmethod
    def from_config(cls, config: object) -> _Nothing:
        return cls()

    def learn(self, texts: object) -> None:
        pass

    def __call__(self, text: str) -> str:
        return text


def main(sizes: list[int]) -> None:
    Redactor()("warm the catalogue")  # imports detect-secrets once (about 0.2 s), as a render does
    per_text()
    print()
    worst_case()
    print()
    for n in sizes:
        per_size(n)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000])
