"""A secret found in one row is hidden in every other row and member that repeats it without the
words that gave it away (``Redactor.learn``): people paste the same credential twice, first as
``CONFLUENT_API_SECRET=<secret>`` and then bare on a command line (``confluent api-key store
<key> <secret>``; Confluent CLI reference: ``confluent api-key store <api-key> <secret>``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from reconstruct.config import Config
from reconstruct.model import Kind, Link
from reconstruct.redact import Redactor
from reconstruct.render import FORMATS, RenderOptions, render
from tests.test_render_fixture import ev, timeline

KEY = "ZQ7XK4M2PLR5TNWB"  # a Confluent Cloud API key: 16 upper-case letters and digits
SECRET = "pJ3kVb8xQ1wZr5TyHn0cLm7sDf2gA9eKu4Ro6Wi+XqYtBz/NvCs8MhLpGj1Ea3Fe"  # 64, base64-ish


def _rows(*texts: str) -> str:
    base = timeline()
    start = base.incident.started_at
    rows = tuple(
        ev(
            start + timedelta(minutes=i),
            Kind.UPDATE,
            text,
            (Link("chat", f"https://chat.example/p{i}", "chat"),),
            f"c:{i}",
        )
        for i, text in enumerate(texts)
    )
    return replace(base, events=(*base.events, *rows))  # type: ignore[return-value]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_secret_found_in_one_row_is_hidden_where_another_repeats_it_bare(fmt: str) -> None:
    tl = _rows(
        "confluent api-key store " + KEY + " " + SECRET + " --resource lkc-9x2mq",  # first: bare
        f"or use the confluent key: CONFLUENT_API_KEY={KEY} CONFLUENT_API_SECRET={SECRET}",
    )
    out = render(tl, RenderOptions(fmt=fmt), Config())  # type: ignore[arg-type]
    assert SECRET not in out and SECRET[:20] not in out
    assert KEY not in out
    assert "lkc-9x2mq" in out, "the text around the secret stays"


def test_an_ordinary_word_found_as_a_value_is_not_carried_to_other_texts() -> None:
    redactor = Redactor()
    redactor.learn(["password=correcthorsebattery", "we need a correcthorsebattery of tests"])
    assert "correcthorsebattery" not in redactor("password=correcthorsebattery")
    assert redactor("we need a correcthorsebattery of tests").endswith("battery of tests")
