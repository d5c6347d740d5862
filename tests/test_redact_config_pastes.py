"""Configuration files pasted whole: a value is a secret because of the key it sits under, or
because it is a private key encoded in base64, whatever it looks like.

A fresh tester's kubeconfig (``client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVkt...``, the
client certificate's private key as base64 of its PEM file) came out verbatim in every format
while the ``token:`` beside it was redacted. Inputs here are written the way the tools write
them: ``kubectl config view --raw`` / kubeadm's ``admin.conf`` (client-go
``tools/clientcmd/api/v1``), ``kubectl get secret -o yaml|json`` (keys sorted, so ``data``
before ``kind``), ``kubectl create secret docker-registry`` (``.dockerconfigjson``, compact
JSON), the Docker CLI's ``~/.docker/config.json`` (tab-indented, ``auths.<registry>.auth`` =
base64 of ``user:password``), ``.npmrc``, ``~/.aws/credentials``, container ``env`` lists, GNU
``base64`` (76 columns) and ``openssl base64`` (64 columns); each is also tried folded onto one
line, as a chat message with its line breaks collapsed shows it.
"""

from __future__ import annotations

import base64
import json
import string
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconstruct.cli import cli
from reconstruct.logredact import redact_record
from reconstruct.redact import redact
from reconstruct.redact.manifests import secret_spans
from reconstruct.render import FORMATS
from tests.test_note_echoes import note
from tests.test_rows import KIM, annotation, bundle, said, trigger


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _pem(label: str, body: str) -> str:
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


KEY_BODY = "MIIEowIBAAKCAQEAz3Kq9Vb7Xw2LpR8tN5mYcJ4hF6gD1sA0eU3iO7kQxWcTz8Qm3W" * 6
CERT_BODY = "MIIC/jCCAeagAwIBAgIBADANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwprdWJl" * 4
KEY_PEM = _pem("RSA PRIVATE KEY", KEY_BODY)
CERT_PEM = _pem("CERTIFICATE", CERT_BODY)
KEY_B64 = _b64(KEY_PEM)
CERT_B64 = _b64(CERT_PEM)
KEY_B64_BODY = KEY_B64[40:]
"""Past the header (``LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVkt`` is "-----BEGIN RSA PRIVATE KEY")."""

KUBECONFIG = f"""apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: {CERT_B64}
    server: https://10.0.0.10:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: kubernetes-admin
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
kind: Config
preferences: {{}}
users:
- name: kubernetes-admin
  user:
    client-certificate-data: {CERT_B64}
    client-key-data: {KEY_B64}
- name: breakglass
  user:
    token: 9b1e2c3d4f5a6b7c8d9e0f1a2b3c4d5e
    password: pl41nP4ssw0rd
    username: admin
- name: oidc
  user:
    auth-provider:
      config:
        access-token: ya29.a0AfB_byC3kX9mQ2vL7nR4tW8yZ1
        client-id: 32555940559.apps.googleusercontent.com
        client-secret: ZmssLNjJy2998hD4CTg2ejr2
        id-token: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMDk4In0.c2lnbmF0dXJlLXZhbHVl
        idp-issuer-url: https://accounts.google.com
        refresh-token: 1//0gQx7mZ3kL9vR2tW8yB4nC6pF
      name: oidc
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token, --cluster-name, prod]
      env:
      - name: AWS_PROFILE
        value: prod-admin
      - name: AWS_SESSION_TOKEN
        value: IQoJb3JpZ2luX2VjEHoaCXVzLWVhc3QtMSJHMEUCIQDx
"""
KUBECONFIG_SECRETS = (
    KEY_B64_BODY,
    "9b1e2c3d4f5a6b7c8d9e0f1a2b3c4d5e",
    "pl41nP4ssw0rd",
    "ya29.a0AfB_byC3kX9mQ2vL7nR4tW8yZ1",
    "ZmssLNjJy2998hD4CTg2ejr2",
    "eyJhbGciOiJSUzI1NiJ9",
    "1//0gQx7mZ3kL9vR2tW8yB4nC6pF",
    "IQoJb3JpZ2luX2VjEHoaCXVzLWVhc3QtMSJHMEUCIQDx",
)
KUBECONFIG_KEPT = (
    f"certificate-authority-data: {CERT_B64}",
    f"client-certificate-data: {CERT_B64}",
    "server: https://10.0.0.10:6443",
    "kubernetes-admin@kubernetes",
    "client-id: 32555940559.apps.googleusercontent.com",
    "idp-issuer-url: https://accounts.google.com",
    "username: admin",
    "value: prod-admin",
)

DOCKER_AUTH = _b64("deploy:s3cr3tR3gistry")
SECRET_YAML = f"""apiVersion: v1
data:
  DB_HOST: ZGItMS5wcm9kLmludGVybmFs
  DB_URL: cG9zdGdyZXM6Ly9hcHA6czNjcjN0QGRiLTE6NTQzMi9vcmRlcnM=
  tls.crt: {CERT_B64}
  tls.key: {KEY_B64}
  username: YWRtaW4=
kind: Secret
metadata:
  creationTimestamp: "2026-11-18T14:02:11Z"
  name: checkout-db
  namespace: prod
  resourceVersion: "918273"
  uid: 6f1c2e0a-9b7d-4c3e-8a5f-2d1e0c9b8a7f
type: Opaque
"""
STRING_DATA_YAML = """apiVersion: v1
kind: Secret
metadata:
  name: app-config
type: Opaque
stringData:
  config.yaml: |
    apiUrl: "https://checkout.internal/api/v1"
    username: svc-checkout
    signing: Zq7mP2xW9vL4qR8s
  region: eu-west-1-internal
"""
DOCKERCONFIGJSON = _b64(
    json.dumps({"auths": {"ghcr.io": {"auth": DOCKER_AUTH}}}, separators=(",", ":"))
)
SECRET_JSON = json.dumps(
    {
        "apiVersion": "v1",
        "data": {".dockerconfigjson": DOCKERCONFIGJSON, "registry": "Z2hjci5pby9ub3J0aHdpbmQ="},
        "kind": "Secret",
        "metadata": {"name": "regcred", "namespace": "prod"},
        "type": "kubernetes.io/dockerconfigjson",
    },
    indent=4,
)
SERVICE_BINDING = """apiVersion: v1
kind: Secret
metadata:
  name: orders-db-binding
type: servicebinding.io/postgresql
data:
  type: cG9zdGdyZXNxbA==
  provider: Ymlnc3Fs
  host: b3JkZXJzLWRiLnByb2Q=
  password: UGdCMW5kMW5nUGFzcw==
"""
"""The Service Binding spec's Secret (servicebinding.io, "Workload Projection"): its keys
``type`` and ``provider`` are named like a Secret's own fields."""
SECRET_SECRETS = (
    "ZGItMS5wcm9kLmludGVybmFs",
    "cG9zdGdyZXM6Ly9hcHA6czNjcjN0QGRiLTE6NTQzMi9vcmRlcnM=",
    KEY_B64_BODY,
    CERT_B64,  # a Secret's every value goes, its certificate too
    "YWRtaW4=",
    "svc-checkout",
    "Zq7mP2xW9vL4qR8s",
    "eu-west-1-internal",
    DOCKERCONFIGJSON[:40],
    "Z2hjci5pby9ub3J0aHdpbmQ=",
)
SECRET_KEPT = (
    "name: checkout-db",
    "namespace: prod",
    "type: Opaque",
    "name: app-config",
    "regcred",
)

DOCKER_CONFIG = (
    '{\n\t"auths": {\n\t\t"https://index.docker.io/v1/": {\n\t\t\t"auth": "'
    + _b64("omar:hunter2")
    + '"\n\t\t},\n\t\t"ghcr.io": {\n\t\t\t"auth": "'
    + DOCKER_AUTH
    + '",\n\t\t\t"identitytoken": "4e7f2a9c-1b3d-4c5e-8f6a-7b9c0d1e2f3a"\n\t\t}\n\t},'
    '\n\t"credsStore": "desktop"\n}'
)
NPMRC = (
    "registry=https://registry.npmjs.org/\n"
    "//npm.pkg.github.com/:_authToken=6c1b3f7e-1d0a-4f2b-9c8e-5a4d3b2c1e0f\n"
    "_auth=" + _b64("ci:npmPa55") + "\nalways-auth=true\n"
)
AWS_CREDENTIALS = (
    "[default]\naws_access_key_id = AKIAZ7XR2M4KZ9PL3WTC\n"
    "aws_secret_access_key = Yq8vT2pL9mN4xR7kW1zY5bC3dF6gJ0sA2uE8iO4z\n"
    "aws_session_token = IQoJb3JpZ2luX2VjEHoaCXVzLWVhc3QtMSJGMEQCIFm\n"
    "region = eu-west-1\n"
)
OTHER_PASTES = (
    "DATABASE_URL=postgres://orders:p@ssW0rd@db-1.prod:5432/orders?sslmode=require\n"
    "curl -H 'Authorization: Basic " + _b64("ops:Wint3r") + "' https://api.internal/health\n"
    "Authorization: Bearer 8f3kQ9zLm2Xp7RtY4vWb6NcJ\n"
)
FILE_SECRETS = (
    _b64("omar:hunter2"),
    DOCKER_AUTH,
    "4e7f2a9c-1b3d-4c5e-8f6a-7b9c0d1e2f3a",
    "6c1b3f7e-1d0a-4f2b-9c8e-5a4d3b2c1e0f",
    _b64("ci:npmPa55"),
    "AKIAZ7XR2M4KZ9PL3WTC",
    "Yq8vT2pL9mN4xR7kW1zY5bC3dF6gJ0sA2uE8iO4z",
    "IQoJb3JpZ2luX2VjEHoaCXVzLWVhc3QtMSJGMEQCIFm",
    "p@ssW0rd",
    "ssW0rd",
    _b64("ops:Wint3r"),
    "8f3kQ9zLm2Xp7RtY4vWb6NcJ",
)
FILE_KEPT = (
    '"credsStore": "desktop"',
    "registry=https://registry.npmjs.org/",
    "always-auth=true",
    "region = eu-west-1",
    "@db-1.prod:5432/orders?sslmode=require",
    "https://api.internal/health",
)

PASTES = {
    "kubeconfig": (KUBECONFIG, KUBECONFIG_SECRETS, KUBECONFIG_KEPT),
    "secret yaml": (SECRET_YAML + "---\n" + STRING_DATA_YAML, SECRET_SECRETS[:8], SECRET_KEPT[:4]),
    "secret json": (SECRET_JSON, SECRET_SECRETS[8:], SECRET_KEPT[4:]),
    "service binding secret": (
        SERVICE_BINDING,
        ("cG9zdGdyZXNxbA==", "Ymlnc3Fs", "b3JkZXJzLWRiLnByb2Q=", "UGdCMW5kMW5nUGFzcw=="),
        ("name: orders-db-binding", "type: servicebinding.io/postgresql"),
    ),
    "docker config.json": (DOCKER_CONFIG, FILE_SECRETS[:3], FILE_KEPT[:1]),
    ".npmrc": (NPMRC, FILE_SECRETS[3:5], FILE_KEPT[1:3]),
    "aws credentials": (AWS_CREDENTIALS, FILE_SECRETS[5:8], FILE_KEPT[3:4]),
    "urls and headers": (OTHER_PASTES, FILE_SECRETS[8:], FILE_KEPT[4:]),
    ".env": (
        "BASIC_AUTH=admin:hunter2x\nREDIS_URL=redis://:s3cretpw@cache:6379/0\nLOG_LEVEL=debug\n",
        ("admin:hunter2x", "hunter2x", "s3cretpw"),
        ("LOG_LEVEL=debug", "@cache:6379/0"),
    ),
}


def folded(text: str) -> str:
    """``text`` on one line, its line breaks and indentation collapsed to single spaces."""
    return " ".join(text.split())


@pytest.mark.parametrize("fold", [False, True], ids=["as pasted", "folded"])
@pytest.mark.parametrize("name", list(PASTES))
def test_every_secret_of_a_pasted_file_is_redacted(name: str, fold: bool) -> None:
    text, secrets, kept = PASTES[name]
    out = redact(folded(text) if fold else text)
    assert [s for s in secrets if s in out] == []
    assert "[redacted: " in out
    for part in kept:
        assert (folded(part) if fold else part) in out


def test_each_value_is_named_by_what_it_is() -> None:
    out = redact(KUBECONFIG + SECRET_YAML + SECRET_JSON)
    assert "client-key-data: [redacted: private key]" in out
    assert "tls.key: [redacted: private key]" in out  # the format names it before the map
    assert "DB_HOST: [redacted: kubernetes secret]" in out
    assert '".dockerconfigjson": "[redacted: docker config]"' in out
    assert redact('"auth": "' + DOCKER_AUTH + '"') == '"auth": "[redacted: credential]"'


@pytest.mark.parametrize("key", ["client-key-data", '"client-key-data"', "clientKeyData"])
@pytest.mark.parametrize(
    "value", ["c2hvcnQta2V5LWRhdGE=", "not-base64-at-all", "MIIEowIBAAKCAQEAz3Kq"]
)
def test_client_key_data_is_a_secret_whatever_its_value_looks_like(key: str, value: str) -> None:
    out = redact(f"{key}: {value}")
    assert value not in out and "[redacted: private key]" in out


@pytest.mark.parametrize(
    "wrap",
    [
        lambda b: "\n".join(b[i : i + 76] for i in range(0, len(b), 76)),  # GNU base64
        lambda b: "\n".join(b[i : i + 64] for i in range(0, len(b), 64)),  # openssl base64
        lambda b: "\r\n".join(b[i : i + 76] for i in range(0, len(b), 76)),
        lambda b: " ".join(b[i : i + 76] for i in range(0, len(b), 76)),  # folded
    ],
    ids=["76 columns", "64 columns", "crlf", "folded"],
)
def test_a_wrapped_base64_private_key_is_redacted_to_its_last_line(wrap: Any) -> None:
    wrapped = wrap(KEY_B64)
    lines = wrapped.split()
    out = redact(f"here is the key:\n{wrapped}\nthanks, rotating it now")
    assert [line for line in lines if line in out] == []
    assert out == "here is the key:\n[redacted: private key]\nthanks, rotating it now"


def test_a_base64_bundle_of_a_certificate_and_its_key_is_redacted() -> None:
    both = _b64(CERT_PEM + KEY_PEM)
    assert redact(f"tls: {both}") == "tls: [redacted: private key]"
    for label in ("EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "PRIVATE KEY"):
        encoded = _b64(_pem(label, KEY_BODY))
        assert encoded[40:80] not in redact(f"value {encoded} end")


@pytest.mark.parametrize(
    "text",
    [
        f"certificate-authority-data: {CERT_B64}",  # public: which cluster it was
        f"client-certificate-data: {CERT_B64}",
        f"ca.crt: {_b64(_pem('CERTIFICATE', CERT_BODY))}",
        f"pubkey {_b64(_pem('PUBLIC KEY', CERT_BODY))}",
        "thread 1795013920.730647 replied to 1795013877.874055",  # Slack ts
        "deployed 4f2c9e1b7a3d5e6f8091a2b3c4d5e6f708192a3b to prod",  # a commit SHA
        "request Zm9vYmFyYmF6cXV4cXV1eA== failed twice",  # base64 in prose
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  LOG_LEVEL: debug\n  REGION: eu-west-1\n",
        "kind: ConfigMap data: LOG_LEVEL: debug REGION: eu-west-1",
        "the Secret data: looks stale after the rotation",
        "kind: Secret was recreated; data: unchanged",
        "auth: enabled",
        "auth: ldap",
        "auth: dGVzdA==",  # base64 of "test": no user:password
        "client-key: /home/omar/.minikube/profiles/prod/client.key",  # a path, not the key
        "client-key-data: ${CLIENT_KEY_DATA}",  # a placeholder
        "auth: ldap.internal:389",  # host:port
        "auth: oauth2:google",
        "auth: 10:30",
        "env: - name: LOG_LEVEL value: debug - name: token_ttl value: 3600s",
        "postgres://db-1.prod:5432/orders?sslmode=require",
        "user kubernetes-admin@kubernetes on https://10.0.0.10:6443",
    ],
)
def test_public_and_ordinary_values_are_kept(text: str) -> None:
    assert redact(text) == text


def _run_cli(bundle_dir: Path, fmt: str) -> str:
    result = CliRunner().invoke(
        cli, ["--bundle", str(bundle_dir), "--format", fmt, "-q"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    return result.stdout


SLACK_TEXT = (
    "scaled out pool-b to 18 nodes; break-glass kubeconfig if you need it:\n```"
    + KUBECONFIG
    + "```"
)
NOTE_TEXT = "Rotating the DB creds. Current secret:\n" + SECRET_YAML
ANNOTATION_TEXT = "registry login for the rollback: " + folded(DOCKER_CONFIG)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every format of a bundle holding the kubeconfig in a Slack message, the Secret in a
    PagerDuty note and the docker config in a Grafana annotation, rendered by the command."""
    tmp = tmp_path_factory.mktemp("pastes")
    bundle(
        tmp,
        [trigger(0), note(12, NOTE_TEXT)],
        [said("U03KIM", 10, SLACK_TEXT)],
        [KIM],
        [annotation(14, ANNOTATION_TEXT, "kim", "kim@acme.example")],
    )
    return {fmt: _run_cli(tmp / "bundle", fmt) for fmt in FORMATS}


CLI_SECRETS = (
    *KUBECONFIG_SECRETS,
    *SECRET_SECRETS[:3],  # not the Secret's certificate: the kubeconfig's CA is the same one
    SECRET_SECRETS[4],
    *FILE_SECRETS[:3],
    "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVkt",
)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_command_shows_the_rows_without_their_secrets(
    outputs: dict[str, str], fmt: str
) -> None:
    out = outputs[fmt]
    assert [s[:24] for s in CLI_SECRETS if s[:24] in out] == []
    for shown in ("break-glass kubeconfig", "Rotating the DB creds", "registry login"):
        assert shown in out, shown
    assert "redacted: private key" in out and "redacted: kubernetes secret" in out
    # The kubeconfig's CA certificate is kept where it is pasted alone (the kubeconfig tests
    # above); here the Secret in the note holds the same certificate as ``tls.crt``, a value
    # hidden there, so every row that repeats it hides it too (``Redactor.learn``).
    assert CERT_B64[:60] not in out and "certificate-authority-data" in out


def test_a_log_line_holding_a_kubeconfig_is_redacted() -> None:
    import logging

    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "loaded %s", (KUBECONFIG,), None)
    message = redact_record(record).getMessage()
    assert [s for s in KUBECONFIG_SECRETS if s in message] == []
    assert "[redacted: private key]" in message


def _manifest(layout: str, data: dict[str, str], string_data: dict[str, str]) -> str:
    """A Secret as ``kubectl get secret -o yaml`` / ``-o json`` writes it (keys sorted), or
    the YAML folded onto one line."""
    if layout == "json":
        doc: dict[str, Any] = {"apiVersion": "v1", "data": data, "kind": "Secret"}
        doc |= {"metadata": {"name": "checkout-db"}, "stringData": string_data, "type": "Opaque"}
        return json.dumps(doc, indent=4)
    lines = ["apiVersion: v1", "data:", *(f"  {k}: {v}" for k, v in data.items())]
    lines += ["kind: Secret", "metadata:", "  name: checkout-db", "stringData:"]
    lines += [f"  {k}: {json.dumps(v)}" for k, v in string_data.items()]
    text = "\n".join([*lines, "type: Opaque"]) + "\n"
    return folded(text) if layout == "folded" else text


def test_every_value_of_any_secret_manifest_is_redacted_and_a_second_pass_is_a_no_op() -> None:
    """Whatever its keys (``[-._a-zA-Z0-9]+``, a Secret's rule: ``type`` and ``kind`` too) and
    values (base64 of any bytes; any string), in each layout."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    keys = st.from_regex(r"[A-Za-z0-9][-._A-Za-z0-9]{0,15}", fullmatch=True)
    encoded = st.binary(min_size=1, max_size=48).map(lambda b: base64.b64encode(b).decode())
    plain = st.text(string.ascii_letters + string.digits + " -_./@:", min_size=1, max_size=30)

    @settings(max_examples=150, deadline=None)
    @given(
        st.sampled_from(["yaml", "json", "folded"]),
        st.dictionaries(keys, encoded, min_size=1, max_size=5),
        st.dictionaries(keys, plain, max_size=3),
    )
    def check(layout: str, data: dict[str, str], string_data: dict[str, str]) -> None:
        text = _manifest(layout, data, string_data)
        out = redact(text)
        values = [*data.values(), *(v.strip() for v in string_data.values())]
        assert [v for v in values if len(v) >= 8 and v in out] == [], out
        assert "checkout-db" in out
        assert redact(out) == out

    check()


def test_any_mix_of_manifest_pieces_is_read_without_error() -> None:
    """Unclosed maps, stray quotes, cut block scalars: the scan always ends."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
    def check(text: str) -> None:
        for start, end, kind in secret_spans(text):
            assert 0 <= start <= end <= len(text) and kind == "kubernetes secret"
        assert isinstance(redact(text), str)

    check()


_PIECES = [
    "kind: Secret",
    '"kind": "Secret"',
    "data:",
    "stringData:",
    '"data": {',
    "{",
    "}",
    '"',
    "'",
    ": ",
    ",",
    "\n",
    "  ",
    " ",
    "key",
    "YWRtaW4=",
    "|",
    "- ",
    "name: DB_PASSWORD",
    "value: ",
    "LS0tLS1CRUdJTi",
    "auth: ",
    "```",
    "client-key-data: ",
    "type: Opaque",
]
