"""Loopback fakes of the tools' APIs, speaking each API's documented wire format."""
