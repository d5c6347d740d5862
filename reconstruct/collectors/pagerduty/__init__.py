"""The pagerduty source: its parser (``parse``) and live collection, behind ``SOURCE``."""

from reconstruct.collectors.pagerduty.parse import SOURCE

__all__ = ["SOURCE"]
