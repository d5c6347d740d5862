"""The github source: its parser (``parse``) and live collection, behind ``SOURCE``."""

from reconstruct.collectors.github.parse import SOURCE

__all__ = ["SOURCE"]
