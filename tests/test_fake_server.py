"""The fake server itself: TLS with the test CA, routing, faults, request counts."""

from __future__ import annotations

import ssl

import httpx
import pytest

from tests.fakes.server import Response


def test_tls_route_and_count(make_server, ca_bundle) -> None:
    server = make_server()
    server.route("GET", r"/things/(?P<id>\d+)", lambda req, m: Response(200, {"id": m["id"]}))
    with httpx.Client(
        base_url=server.base_url, verify=ssl.create_default_context(cafile=str(ca_bundle))
    ) as client:
        assert client.get("/things/7").json() == {"id": "7"}
        assert client.get("/nope").status_code == 404
    assert server.count("GET", r"/things/\d+") == 1
    assert server.count() == 2


def test_untrusted_without_ca(make_server) -> None:
    server = make_server()
    with httpx.Client(base_url=server.base_url) as client, pytest.raises(httpx.ConnectError):
        client.get("/")


def test_faults_come_first_then_handler(make_server, ca_bundle) -> None:
    server = make_server()
    server.route("GET", r"/x", lambda req, m: Response(200, {"ok": True}))
    server.fail_next("GET", r"/x", Response(429, {"error": "slow down"}, {"Retry-After": "0"}))
    with httpx.Client(
        base_url=server.base_url, verify=ssl.create_default_context(cafile=str(ca_bundle))
    ) as client:
        first = client.get("/x")
        second = client.get("/x")
    assert (first.status_code, first.headers["retry-after"]) == (429, "0")
    assert second.json() == {"ok": True}


def test_form_and_query_params(make_server) -> None:
    server = make_server(tls=False)
    server.route("POST", r"/api/echo", lambda req, m: Response(200, {"c": req.param("channel")}))
    with httpx.Client(base_url=server.base_url) as client:
        assert client.post("/api/echo", data={"channel": "C1"}).json() == {"c": "C1"}
        assert client.post("/api/echo?channel=C2").json() == {"c": "C2"}
