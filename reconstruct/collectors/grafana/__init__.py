"""The grafana source: its parser (``parse``) and live collection, behind ``SOURCE``."""

from reconstruct.collectors.grafana.parse import SOURCE

__all__ = ["SOURCE"]
