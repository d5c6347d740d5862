"""Credentials pasted in their own files' and consoles' shapes, where no ``=`` or ``:`` follows
a secret word: Redis's ``requirepass`` / ``masterauth`` (redis.io ``redis.conf``, ``CONFIG
SET``/``GET`` as redis-cli prints them, ``AUTH`` at the prompt), ``.netrc`` entries (netrc(5)),
``.pgpass`` lines (PostgreSQL libpq "The Password File"), a plain password after a ``*_AUTH``
name (``REDIS_AUTH=letmein``), and a Kubernetes Secret pasted without its ``kind: Secret``
line. Each is also tried folded onto one line, as a chat message with its line breaks collapsed
shows it; and the prose and settings that say the same words stay as written.
"""

from __future__ import annotations

import base64

import pytest

from reconstruct.redact import Redactor, redact

PW = "[redacted: password]"
CRED = "[redacted: credential]"
K8S = "[redacted: kubernetes secret]"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


REDIS_CONF = """\
bind 10.0.4.17
port 6379
# requirepass foobared
requirepass Xk2-checkout-cache
masterauth "pr1mary pass"
maxmemory 2gb
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("requirepass foo", f"requirepass {PW}"),
        ("CONFIG SET requirepass foo", f"CONFIG SET requirepass {PW}"),
        (
            '10.0.4.17:6379> config set requirepass "n3w pass"',
            f'10.0.4.17:6379> config set requirepass "{PW}"',
        ),
        ("REQUIREPASS letmein", f"REQUIREPASS {PW}"),
        ("masterauth s3cret", f"masterauth {PW}"),
        ("sentinel auth-pass mymaster s3cret-Sentinel", f"sentinel auth-pass mymaster {PW}"),
        # CONFIG GET as redis-cli prints it, on its lines or folded
        ('1) "requirepass"\n2) "myRedis"', f'1) "requirepass"\n2) "{PW}"'),
        ('127.0.0.1:6379> config get masterauth 1) "masterauth" 2) "x"', None),
        ("127.0.0.1:6379> auth test123", f"127.0.0.1:6379> auth {PW}"),
        ("127.0.0.1:6379> AUTH default s3cr3t", f"127.0.0.1:6379> AUTH {PW} {PW}"),
        ("cache-1:6379[2]> auth letmein", f"cache-1:6379[2]> auth {PW}"),
    ],
)
def test_redis_passwords_in_its_config_and_console(text: str, expected: str | None) -> None:
    out = redact(text)
    if expected is not None:
        assert out == expected
    else:
        assert out.endswith(f'2) "{PW}"')


def test_a_pasted_redis_conf_keeps_everything_but_its_passwords() -> None:
    out = redact(REDIS_CONF)
    assert "Xk2-checkout-cache" not in out and "pr1mary" not in out
    assert f"requirepass {PW}\n" in out and f'masterauth "{PW}"' in out
    assert "bind 10.0.4.17\nport 6379\n" in out and "maxmemory 2gb" in out
    folded = redact(REDIS_CONF.replace("\n", " "))
    assert "Xk2-checkout-cache" not in folded and "pr1mary" not in folded
    assert "maxmemory 2gb" in folded


@pytest.mark.parametrize(
    "text",
    [
        "requirepass is set on the replica now",
        "requirepass was rotated at 09:40",
        "requirepass <your-password>",
        'requirepass ""',
        "masterauth rotated; replicas resynced",
        "we use auth on every redis",
        "> auth is flapping again",  # a quote, not redis-cli's prompt
        "10.0.4.17:6379> config get maxmemory",
        "config get maxmemory",
    ],
)
def test_redis_prose_and_placeholders_stay(text: str) -> None:
    assert redact(text) == text


NETRC = """\
machine api.heroku.com
  login ana@acme.example
  password 01234567-89ab-cdef-0123-456789abcdef
machine github.com login ana-bot password p
default login anonymous password guest@acme.example
"""


def test_netrc_entries_lose_their_passwords_and_keep_their_logins() -> None:
    out = redact(NETRC)
    assert "01234567-89ab" not in out and "guest@acme" not in out
    assert "machine github.com login ana-bot password [redacted: password]" in out
    assert "login ana@acme.example" in out and "login anonymous" in out
    assert redact("machine h login u password p") == f"machine h login u password {PW}"
    assert redact("machine h login u account acct1 password p") == (
        f"machine h login u account {PW} password {PW}"
    )
    folded = redact(NETRC.replace("\n", " "))
    assert "01234567-89ab" not in folded and "guest@acme" not in folded
    quoted = redact('machine h login u password "two words"')
    assert quoted == f'machine h login u password "{PW}"'


@pytest.mark.parametrize(
    "text",
    [
        "the machine web-1 password is rotated",  # no login: prose about a machine
        "machine web-1 login failed, password expired",  # a setting word after password
        "default password policy is strict",
        "restarted the machine db-7, login works again",
    ],
)
def test_netrc_words_in_prose_stay(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "db.internal:5432:app:app_user:Sup3rS3cret",
            f"db.internal:5432:app:app_user:{PW}",
        ),
        ("*:*:*:postgres:hunter2", f"*:*:*:postgres:{PW}"),
        ("localhost:*:*:replicator:p", f"localhost:*:*:replicator:{PW}"),
        ("10.0.3.9:6432:pgbouncer:stats:st4ts", f"10.0.3.9:6432:pgbouncer:stats:{PW}"),
        ("db:5432:orders:svc_orders:pa\\:ss", f"db:5432:orders:svc_orders:{PW}"),
        # libpq takes the rest of the line: an unescaped colon or a space stays in the password
        ("pg-primary:5433:*:app:pa:ss word", f"pg-primary:5433:*:app:{PW}"),
        ("`db.internal:5432:app:app:pw1`", f"`db.internal:5432:app:app:{PW}`"),
        ("added db.internal:25060:defaultdb:doadmin:AVNS_x1 to it", None),
    ],
)
def test_pgpass_lines_lose_their_password(text: str, expected: str | None) -> None:
    out = redact(text)
    if expected is None:
        assert "AVNS_x1" not in out
    else:
        assert out == expected


def test_a_pasted_pgpass_file() -> None:
    pgpass = (
        "# hostname:port:database:username:password\n"
        "db.internal:5432:app:app_user:Sup3rS3cret\n"
        "*:*:*:postgres:hunter2\n"
    )
    out = redact(pgpass)
    assert out.startswith("# hostname:port:database:username:password\n")
    assert "Sup3rS3cret" not in out and "hunter2" not in out
    assert redact("cat ~/.pgpass: pg:9999:app:u:pw-in-file") == (
        f"cat ~/.pgpass: pg:9999:app:u:{PW}"
    )


@pytest.mark.parametrize(
    "text",
    [
        "host:5432:*:*",  # four fields: not a pgpass line
        "matched host:5432:*:* in pg_hba",
        "session:4242:user:data:abc",  # a cache key: no host, no PostgreSQL port
        "cart:98765:items:sku:123",
        "mac 00:1a:2b:3c:4d:5e flapped",
        "at 10:42:13 p99 was 1.2s",
        "postgres://app@db.internal:5432/app",
    ],
)
def test_colon_separated_text_that_is_no_pgpass_line_stays(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("REDIS_AUTH=letmein", f"REDIS_AUTH={CRED}"),
        ("export REDIS_AUTH='letmein'", f"export REDIS_AUTH='{CRED}'"),
        ("redis_auth: letmein", f"redis_auth: {CRED}"),
        ('"masterAuth": "hunter22"', f'"masterAuth": "{CRED}"'),
        ("X-Auth: s3cr3tvalue", f"X-Auth: {CRED}"),
        ("BASIC_AUTH=admin:hunter2x", f"BASIC_AUTH={CRED}"),
    ],
)
def test_a_plain_password_after_a_named_auth_is_found(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "auth=ok",
        "status=401 auth=failed user=ana",
        "auth=letmein",  # a bare ``auth`` is a log field or flag as often as not
        "SMTP_AUTH=login",
        "REGISTRY_AUTH=htpasswd",
        "KAFKA_AUTH=SASL_SSL",
        "ldap_auth: failed",
        "NGINX_AUTH=basic",
        "REQUIRE_AUTH=yes, MONGO_AUTH=true, always-auth=true",
        "PROXY_AUTH=proxy.internal",
        "DB_AUTH=scram-sha-256",
    ],
)
def test_auth_flags_methods_and_outcomes_stay(text: str) -> None:
    assert redact(text) == text


NO_KIND = """\
apiVersion: v1
metadata:
  name: checkout-db-credentials
  namespace: prod
data:
  username: {user}
  host: {host}
type: Opaque
""".format(user=_b64("admin"), host=_b64("db-1.prod.internal"))


def test_a_secret_manifest_without_its_kind_line() -> None:
    out = redact(NO_KIND)
    assert _b64("admin") not in out and _b64("db-1.prod.internal") not in out
    assert f"username: {K8S}\n  host: {K8S}" in out
    assert "name: checkout-db-credentials" in out and "type: Opaque" in out
    folded = redact(NO_KIND.replace("\n", " "))
    assert _b64("admin") not in folded and _b64("db-1.prod.internal") not in folded
    # pasted from metadata down, no type: the name says secret
    tail = NO_KIND[NO_KIND.index("metadata:") : NO_KIND.index("type:")]
    out = redact(tail.replace("checkout-db-credentials", "payments-api-secrets"))
    assert _b64("admin") not in out and _b64("db-1.prod.internal") not in out
    # kubectl get -o json sorts data and metadata first; a type says Secret, the name does not
    js = (
        '{"apiVersion": "v1", "data": {"host": "' + _b64("db-1") + '", "user": "'
        + _b64("admin") + '"}, "metadata": {"creationTimestamp": "2026-03-14T09:00:00Z", '
        '"name": "checkout-db"}, "type": "Opaque"}'
    )  # fmt: skip
    assert _b64("db-1") not in redact(js) and _b64("admin") not in redact(js)


@pytest.mark.parametrize(
    "text",
    [
        # a ConfigMap: its data are plain strings
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: auth-config\ndata:\n"
        '  PORT: "8080"\n  upstream: auth.internal\n',
        # the same without its kind line: values that are no base64 text
        'metadata:\n  name: auth-config\ndata:\n  PORT: "8080"\n  mode: "true"\n',
        # base64-looking values that decode to nothing printable
        "metadata:\n  name: tls-settings\ndata:\n  mode: true\n  level: high\n",
        # a data block under a name that says nothing secret, no Secret type
        "metadata:\n  name: checkout-flags\ndata:\n  flag: " + _b64("on") + "\n",
    ],
)
def test_a_data_block_that_is_no_secret_stays(text: str) -> None:
    assert redact(text) == text


def test_the_new_shapes_go_through_a_configured_redactor_too() -> None:
    redactor = Redactor(allow=["AKIAIOSFODNN7EXAMPLE"])
    assert redactor("requirepass foo") == f"requirepass {PW}"
    assert redactor("machine h login u password p") == f"machine h login u password {PW}"
