"""The dir sink: one Markdown file per incident (never its raw evidence), idempotent, and never over
a file a person has edited since."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

import reconstruct.collectors.pagerduty.parse as pd
from reconstruct.config import Config, DeliverConfig
from reconstruct.deliver import dir_sink
from reconstruct.deliver.base import Draft
from reconstruct.deliver.dir_sink import DirSink
from reconstruct.errors import DeliveryError
from reconstruct.pipeline import demo_bundle_path
from tests.fakes.demo_world import demo_bundle

NAME = "2026-03-14-checkout-returning-5xx-for-most-requests.md"


@pytest.fixture
def draft() -> Draft:
    return Draft(pd.parse_incident(demo_bundle()), "# Draft one\n", demo_bundle_path())


def mds(root: Path) -> list[str]:
    return sorted(p.name for p in root.glob("*.md"))


def test_writes_the_draft_and_never_the_raw_evidence(tmp_path: Path, draft: Draft) -> None:
    """The shared folder gets the (redacted) draft only: the bundle holds every secret people
    pasted, so it stays where it was collected, untouched."""
    bundle = tmp_path / "private" / "bundle"
    shutil.copytree(demo_bundle_path(), bundle)
    where = DirSink(tmp_path / "out").deliver(dataclasses.replace(draft, bundle_path=bundle))
    target = tmp_path / "out" / NAME
    assert where == str(target)
    assert target.read_text() == "# Draft one\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".reconstruct", NAME]
    assert (bundle / "manifest.json").read_bytes() == (
        demo_bundle_path() / "manifest.json"
    ).read_bytes()


def test_delivering_the_same_draft_again_writes_nothing_new(tmp_path: Path, draft: Draft) -> None:
    sink = DirSink(tmp_path)
    sink.deliver(draft)
    where = sink.deliver(draft)
    assert where == f"{tmp_path / NAME} (already delivered)"
    assert mds(tmp_path) == [NAME]


def test_a_new_version_replaces_a_file_nobody_edited(tmp_path: Path, draft: Draft) -> None:
    sink = DirSink(tmp_path)
    sink.deliver(draft)
    sink.deliver(dataclasses.replace(draft, markdown="# Draft two\n"))
    assert mds(tmp_path) == [NAME]
    assert (tmp_path / NAME).read_text() == "# Draft two\n"


def test_an_edited_file_is_never_overwritten(tmp_path: Path, draft: Draft) -> None:
    sink = DirSink(tmp_path)
    sink.deliver(draft)
    (tmp_path / NAME).write_text("# Draft one\n\nRoot cause: written by a person.\n")
    where = sink.deliver(dataclasses.replace(draft, markdown="# Draft two\n"))
    beside = tmp_path / NAME.replace(".md", "-2.md")
    assert where == f"{beside} ({NAME} edited since it was written, left as is)"
    assert (tmp_path / NAME).read_text().endswith("written by a person.\n")
    assert beside.read_text() == "# Draft two\n"
    assert not (tmp_path / NAME.replace(".md", "-2.evidence")).exists()
    assert sink.deliver(dataclasses.replace(draft, markdown="# Draft two\n")).endswith(
        "already delivered)"
    )
    assert mds(tmp_path) == sorted([NAME, beside.name])


def test_a_file_of_the_same_name_not_written_by_us_is_left_alone(
    tmp_path: Path, draft: Draft
) -> None:
    (tmp_path / NAME).write_text("someone else's notes\n")
    where = DirSink(tmp_path).deliver(draft)
    assert where.endswith(f"({NAME} holds another file, left as is)")
    assert (tmp_path / NAME).read_text() == "someone else's notes\n"


def test_unwritable_directory_is_a_delivery_error(tmp_path: Path, draft: Draft) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DeliveryError, match=r"^dir: cannot write into .*\[deliver\] dir"):
        DirSink(blocker / "out").deliver(draft)


def test_make_reads_deliver_dir(tmp_path: Path) -> None:
    assert dir_sink.make(Config()) is None
    sink = dir_sink.make(Config(deliver=DeliverConfig(dir=tmp_path)))
    assert sink is not None and sink.name == "dir" and sink.root == tmp_path
