"""reconstruct: rebuild an incident's post-mortem timeline from the tools that saw it."""

__version__ = "0.1.0"
