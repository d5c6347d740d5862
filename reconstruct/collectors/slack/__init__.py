"""The slack source: its parser (``parse``) and live collection, behind ``SOURCE``."""

from reconstruct.collectors.slack.parse import SOURCE

__all__ = ["SOURCE"]
