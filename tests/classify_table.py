"""One table helper for the ``[classify]`` tests: each message's kind under the default words.

``cases(kind, texts)`` turns a table of people's messages into pytest parameters (the text as
the id), so a test file holds its tables and one parametrised test asserting ``kind_of(text) is
kind`` (or ``is_impact(text) is impact``) for all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from reconstruct.config import ClassifyConfig
from reconstruct.model import Kind
from reconstruct.normalize.classify import compile_classifier

CLASSIFIER = compile_classifier(ClassifyConfig())


def kind_of(text: str) -> Kind | None:
    """The kind a person's plain message with this text gets (None: no kind)."""
    found = CLASSIFIER.human_text(text)
    return found[0] if found is not None else None


def is_impact(text: str) -> bool:
    """Whether a person's plain message with this text is a candidate impact start (an
    ``impact`` pattern its clause states: tag ``impact``)."""
    return CLASSIFIER.impact_words(text) is not None


def cases(kind: Kind | None, texts: Iterable[str]) -> list[Any]:
    """``(text, kind)`` parameters, one a text, each named by its text."""
    return [pytest.param(text, kind, id=text[:70]) for text in texts]
