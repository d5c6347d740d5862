"""The contract every source keeps (``reconstruct.collectors.base``, docs/design.md).

One suite, parametrized over every source in ``reconstruct.collectors.REGISTRY`` plus the
test-only example source (``tests/example_source``, registered with one line as a new source
would be):

- the registry: ``get_source(name)`` is the registered module's ``SOURCE`` and carries the
  registered name; ``collect`` is callable or None; its traits and token variable are declared;
- an empty bundle (only a manifest, the source marked ``ok``) parses to nothing, without error;
- on the built-in demo bundle (skipped while it does not exist): every event has a tz-aware UTC
  time, a ``Kind``, at least one http(s) evidence link, a non-empty key unique within the
  source's records, ``sources == (name,)``, a non-empty scope, a one-line summary and
  lower-case typed refs; parsing twice gives equal events.
"""

from __future__ import annotations

import importlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from reconstruct import collectors
from reconstruct.bundle import Bundle, BundleWriter
from reconstruct.collectors import BUILTIN, Role, get_source
from reconstruct.model import Event, Kind, Window

_REF = re.compile(r"^(?:sha|pr|pd|alert_key|rule|deploy|url):\S|^pd#\d+$")
T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
WINDOW = Window(
    start=T0 - timedelta(hours=1),
    end=T0 + timedelta(hours=2),
    leadup_start=T0 - timedelta(days=15),
)


NAMES = tuple(dict.fromkeys((*BUILTIN, *collectors.names(), "example")))
"""Every registered source (one added to ``REGISTRY``'s literal too) and the example."""


@pytest.fixture(autouse=True)
def _example_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(collectors.REGISTRY, "example", "tests.example_source")


def demo_bundle() -> Bundle:
    try:
        from reconstruct.pipeline import demo_bundle_path

        path = demo_bundle_path()
    except (ImportError, AttributeError, TypeError, ModuleNotFoundError) as exc:
        pytest.skip(f"no demo bundle yet ({exc})")
    if not (path / "manifest.json").is_file():
        pytest.skip(f"no demo bundle yet at {path}")
    return Bundle.open(path)


def demo_events(name: str) -> tuple[Bundle, list[Event]]:
    bundle = demo_bundle()
    status = bundle.source(name)
    if status is None or status.status == "skipped":
        pytest.skip(f"the demo bundle does not include {name}")
    return bundle, list(get_source(name).parse(bundle))


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@pytest.mark.parametrize("name", NAMES)
def test_registry_entry(name: str) -> None:
    module = importlib.import_module(collectors.REGISTRY[name])
    source = get_source(name)
    assert source is module.SOURCE
    assert source.name == name
    assert callable(source.parse)
    assert source.collect is None or callable(source.collect)
    assert source.token_env is None or source.token_env.isupper()
    assert isinstance(source.traits.role, Role)
    assert all(source.traits.noun)


@pytest.mark.parametrize("name", NAMES)
def test_empty_bundle_parses_to_nothing(name: str, tmp_path: Path) -> None:
    with BundleWriter(tmp_path / "empty", "PEMPTY1") as writer:
        writer.set_source(name, "ok")
        writer.finish(WINDOW, WINDOW.end)
    bundle = Bundle.open(tmp_path / "empty")
    assert bundle.files() == []
    assert list(get_source(name).parse(bundle)) == []


@pytest.mark.parametrize("name", BUILTIN)
def test_demo_events_keep_the_contract(name: str) -> None:
    bundle, events = demo_events(name)
    if bundle.files(f"{name}/"):
        assert events, f"{name}: the demo bundle holds {name}/ files but parse() found nothing"
    keys: set[str] = set()
    for event in events:
        where = f"{name}: {event.key or event.summary!r}"
        assert isinstance(event, Event), where
        assert event.time.tzinfo is not None, f"{where}: naive time"
        assert event.time.utcoffset() == timedelta(0), f"{where}: time not in UTC"
        assert isinstance(event.kind, Kind), f"{where}: kind {event.kind!r}"
        assert event.links, f"{where}: no evidence link"
        assert any(_is_http(link.url) for link in event.links), f"{where}: no http(s) link"
        assert event.key.strip(), f"{where}: empty key"
        assert event.key not in keys, f"{where}: key repeated"
        keys.add(event.key)
        assert event.sources == (name,), f"{where}: sources {event.sources}"
        assert event.scope.strip(), f"{where}: empty scope"
        assert event.summary.strip(), f"{where}: empty summary"
        assert "\n" not in event.summary, f"{where}: summary is not one line"
        for ref in event.refs:
            assert ref == ref.lower() and _REF.match(ref), f"{where}: bad ref {ref!r}"


@pytest.mark.parametrize("name", BUILTIN)
def test_demo_parse_is_deterministic(name: str) -> None:
    bundle, first = demo_events(name)
    again = list(get_source(name).parse(bundle))
    fresh = list(get_source(name).parse(Bundle.open(bundle.root)))
    assert first == again == fresh


# -- docs/design.md: "a new source without a case fails the suite" ---------------------------------
def fault_matrix_gap(name: str) -> str | None:
    """Why source ``name`` misses its fault matrix (``tests/test_faults_<name>.py`` with one
    ``CASES`` entry per fault of ``tests/faults.py``), or None when it has it."""
    from tests.faults import FAULTS

    if not Path(__file__).with_name(f"test_faults_{name}.py").is_file():
        return (
            f"source {name!r} has no fault matrix: add tests/test_faults_{name}.py with a CASES "
            "entry for every fault of tests/faults.py"
        )
    cases = getattr(importlib.import_module(f"tests.test_faults_{name}"), "CASES", None)
    missing = sorted(set(FAULTS) - set(cases or ()))
    return f"source {name!r} has no case for {', '.join(missing)}" if missing else None


@pytest.mark.parametrize("name", collectors.REGISTRY.copy())
def test_every_registered_source_has_its_fault_matrix(name: str) -> None:
    # over the registry as the package ships it (and as a new source's one line extends it)
    assert fault_matrix_gap(name) is None, fault_matrix_gap(name)


def test_a_source_without_a_fault_matrix_is_named() -> None:
    # the test-only example source has no fault matrix: the check names it and what to add
    assert fault_matrix_gap("example") == (
        "source 'example' has no fault matrix: add tests/test_faults_example.py with a CASES "
        "entry for every fault of tests/faults.py"
    )
