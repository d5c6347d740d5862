"""Issue #12's promise, checked over many values: no keyword rule leaves a prefix or a suffix of
the secret in the text (``api key ABCD1234EFGH5678`` once kept its ``A``: the filler word ``a``
of ``the routing key is a ...`` matched the value's first letter)."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconstruct.redact import redact

FORMS = [
    "api key {v}",
    "new api key {v} rotated",
    "confluent api key {v} for the cluster",
    "the api key is {v}.",
    "token {v}",
    "the token is {v}",
    "our token: {v}",
    "password {v}",
    "password: {v}",
    "the password is {v}",
    "secret {v}",
    "secret={v}",
    "API_KEY={v}",
    "x-api-key: {v}",
    "DD_APP_KEY: {v}",
    "routing key {v}",
    "access key to {v}",
    "credentials {v}",
]
"""Each keyword form, ``{v}`` the value; the text either side must come out unchanged."""

_MARKER = re.compile(r"\[redacted: [a-z ]+\]")
_TAIL = "BCD1234EFGH5678"


def _check(form: str, value: str) -> None:
    before, after = form.split("{v}")
    out = redact(form.format(v=value))
    assert out.startswith(before) and out.endswith(after), out
    assert _MARKER.fullmatch(out[len(before) : len(out) - len(after)]), out


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("first", list(string.ascii_letters + string.digits))
def test_no_form_keeps_the_first_character(form: str, first: str) -> None:
    _check(form, first + _TAIL)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("word", ["a", "A", "is", "IS", "the", "To", "new", "our", "set", "my"])
def test_a_value_starting_with_a_filler_word_is_redacted_whole(form: str, word: str) -> None:
    _check(form, word + "9" + _TAIL)


_VALUES = st.text(alphabet=string.ascii_letters + string.digits, min_size=12, max_size=40).filter(
    lambda v: (
        any(c.isdigit() for c in v) and any(c.isupper() for c in v) and any(c.islower() for c in v)
    )
)


@settings(max_examples=300, deadline=None)
@given(form=st.sampled_from(FORMS), value=_VALUES)
def test_any_generated_value_is_redacted_whole(form: str, value: str) -> None:
    _check(form, value)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("ghp_" + "a" * 4 + "B1c2D3e4F5g6H7i8J9k0L1m2N3o4P5q6R7s8", "x"),
        ("xghp_" + "a1B2" * 9, ""),
    ],
)
def test_a_pattern_inside_a_word_takes_the_whole_word(text: str, kept: str) -> None:
    out = redact(f"{kept}{text} done")
    assert out.endswith(" done") and not re.search(r"[A-Za-z0-9]\[redacted", out), out
