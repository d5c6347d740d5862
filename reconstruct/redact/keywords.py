"""Keyword-anchored secrets: a value assigned to a name that says it is a secret.

``keyword_spans(text)`` finds ``NAME <operator> VALUE`` where NAME is an identifier (snake, kebab,
dotted, camel or UPPER case; a CLI flag's ``--`` included) one of whose components is a secret
word, and returns the VALUE's span with the kind its marker names. The forms, as tools write them:

    password = "correct horse battery staple"     TOML, INI, Python (quoted: to the closing quote)
    DB_PASS: UGdfUGE1NXcwcmRf                     YAML, Kubernetes ``data:``
    "client_secret": "..."  /  {"auth":"..."}     JSON (Docker's ``config.json`` ``auths``)
    export API_TOKEN='...'  /  _authToken=npm_... env files, ``.npmrc``
    X-Api-Key: ...  /  Authorization: Token ...   HTTP headers (an auth scheme word is skipped)
    --password xyz  /  --client-secret=xyz        command-line flags
    Password=...;                                 connection strings
    <password>...</password>                      XML config
    - name: DB_PASSWORD  value: ...               Kubernetes ``env`` lists (``_name_values``)

and every value of a Kubernetes Secret's ``data`` / ``stringData`` map, whatever its key
(``manifests.secret_spans``), and, in prose, a free-standing value right after the words
(``the routing key is R0123...``), or after ``<credential setting> to`` (``set REDIS_AUTH to
Jd8F...``; ``_to_values``).
Any word before ``key`` in prose counts as its qualifier (``the eab hmac key is qW3e...``,
``eab key: qW3e...``, ``cloudflare key 9f8e...``; ``_prose_keys``), graded as ``<word>_key``.

How sure the name is decides what the value must look like (``_Level``):

``DIRECT``  the identifier's last component is a secret word (``password``, ``DB_PASS``, ``pwd``,
            ``passphrase``, ``client_secret``, ``token``, ``apiKey``, ``credentials``...) or it
            is a field that always holds one (``_FIELDS``: ``client-key-data``): any value of
            four characters or more that is not plainly a setting (``setting``).
``KEYED``   it ends in ``key`` after a qualifier (``DD_APP_KEY``, ``x-api-key``, ``signing_key``,
            ``AccountKey``), not a data-structure key (``cache_key``, ``dedup_key``,
            ``public_key``, ``sort_key``, ``incident_key``...), or it is a lone ``pass`` (``tests
            pass: green``): eight characters or more, letters and digits.
``AUTH``    it is ``auth`` alone (``"auth"``, ``.npmrc``'s ``_auth``, a log line's ``auth=ok``):
            as ``RELATED``, or a plain ``user:password`` (``_USER_PASSWORD``).
``NAMED_AUTH`` it ends in ``auth`` after a qualifier (``REDIS_AUTH``, ``BASIC_AUTH``,
            ``masterAuth``): as ``AUTH``, or a plain word of four characters or more that names
            no authentication method or outcome (``_auth_password``: ``REDIS_AUTH=letmein`` is
            found, ``SMTP_AUTH=login``, ``REGISTRY_AUTH=htpasswd``, ``ldap_auth: failed`` stay).
``RELATED`` a secret word is only part of the name (``token_ttl``, ``password_policy``,
            ``SECRET_KEY_BASE``), a plural (``max_tokens``) or ``auth``: only a value that looks
            generated (mixed case and digits, or a long base64/hex run) or is base64 of
            ``user:password`` (``basic_pair``: Docker's ``"auth"``, ``.npmrc``'s ``_auth``).

Never a secret, whatever the name: numbers (below eight digits), durations and sizes (``3600s``,
``512Mi``), booleans and null, placeholders (``${VAR}``, ``<token>``, ``***``), URLs and paths,
and the setting words of ``_SETTING_WORDS`` (``strict``, ``enabled``, ``rotated``...). A name
inside a hyphenated word (``secret-manager-7d9f8b6c5d-x2k9p``, ``token-service-v2``) is not
assigned anything, so it is never a keyword.

Shapes follow gitleaks' ``generic-api-key`` rule (MIT, https://github.com/gitleaks/gitleaks,
``cmd/generate/config/rules/generic.go``: keyword in an identifier, an assignment operator, a
quoted or bare value), written here for chat text rather than source files.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from enum import IntEnum

from reconstruct.redact import manifests

KEYWORD_TRIGGERS = ("secret", "pass", "pw", "token", "key", "auth", "cred", "opaque")
"""Lower-case substrings one of which a text must hold for the keyword rules to run."""


class _Level(IntEnum):
    DIRECT = 1
    KEYED = 2
    RELATED = 3
    AUTH = 4
    NAMED_AUTH = 5


_WORD_KIND = {
    "secret": "secret",
    "secrets": "secret",
    "password": "password",
    "passwords": "password",
    "passwd": "password",
    "pass": "password",
    "pwd": "password",
    "pw": "password",
    "passphrase": "password",
    "token": "token",
    "tokens": "token",
    "apikey": "api key",
    "secretkey": "secret key",
    "accesskey": "access key",
    "privatekey": "private key",
    "authtoken": "token",
    "accesstoken": "token",
    "credential": "credential",
    "credentials": "credential",
    "creds": "credential",
    "auth": "credential",
    "authorization": "credential",
}
_DIRECT_WORDS = frozenset(_WORD_KIND) - {"secrets", "passwords", "tokens", "auth"}
"""A last component that names the secret itself."""
_FIELDS = {("client", "key", "data"): "private key"}
"""Names that do not say "secret" but whose value always is one, whatever its shape: kubeconfig's
``client-key-data`` (client-go ``tools/clientcmd/api/v1/types.go``, ``AuthInfo.ClientKeyData``:
the client certificate's private key, PEM, base64; ``clientKeyData`` in camel case). Its
neighbours ``token``, ``password``, ``client-secret`` and the ``auth-provider`` ``config`` map's
``access-token``, ``refresh-token``, ``id-token`` already end in a secret word. detect-secrets'
``KeywordDetector`` lists ``client_?key`` (followed by any word characters) for the same reason
(``detect_secrets/plugins/keyword.py``, ``DENYLIST``)."""
_SUFFIXES = ("password", "passwd", "passphrase", "secret", "token", "apikey")
"""A component ending in one of these is that word (``dbpassword``, ``GITHUBTOKEN``)."""
_NOT_SECRET_KEYS = frozenset(
    "public primary foreign partition sort range hash cache dedup deduplication idempotency "
    "unique composite row object s3 lookup shard sharding group message msg map dict json yaml "
    "config env host index label metric event field column table cursor page next last first "
    "join natural candidate surrogate secondary the a this that which any each some "
    "incident alert grouping correlation trace request span bucket redis kafka record".split()
)
"""Words before ``key`` that make it a data-structure key, not a credential."""
_SETTING_WORDS = frozenset(
    "strict lax none null nil undefined empty blank unset set enabled disabled enable disable "
    "on off true false yes no required optional default auto automatic manual hidden masked "
    "redacted removed rotated rotating rotate expired expiring expires revoked invalid valid "
    "missing present changed change reset updated deleted unknown ok okay tbd todo same new "
    "old inherit inherited env environment vault file random generated weak strong medium low "
    "high never always sha256 sha512 bcrypt argon2 argon2id scrypt md5 plain plaintext hashed "
    "encrypted base64 jwt oauth oauth2 oidc saml basic bearer header cookie query kms static "
    "dynamic ephemeral temporary permanent local remote here there below above attached sent "
    "shared leaked compromised exposed ignored needed wrong correct fine broken works working "
    "failed failing success successful refreshed refresh renewed".split()
)
_SCHEMES = r"(?:bearer|basic|token|apikey|api-key|digest|key|sso-key|otoken|gentoken|splunk)"

_HIT = re.compile(r"(?i)secret|pass|pw|token|key|auth|cred")
_IDENT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_AFTER = re.compile(
    r"(?P<kq>[\"'`]?)[*~]{0,2}\]?"  # a quoted key's closing quote; Slack bold; INI ``]``
    r"(?:[ \t]*(?::=|=>|\+=|=(?!=))[ \t]*"  # = := => +=  (not ==)
    r"|[ \t]*:(?=[ \t\"'`*_~])[*_~]{0,2}[ \t]*"  # YAML/JSON/header colon (``*Password:* x``)
    r"|(?P<flag>[ \t]+))"  # --password VALUE (a flag only)
    r"(?i:(?P<scheme>" + _SCHEMES + r")[ \t]+(?=[^ \t]))?"
)
_BARE_END = re.compile(r"[\s\"'`;,<>|)\]}]|&(?=[\w.-]+=)")
"""Where a bare value ends: a space, a quote or a delimiter; ``&`` only before the next query
parameter (``?token=abc&x=1``), since a password may hold one."""
_SPLIT = re.compile(r"[_.\-]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

_NUMBER = re.compile(r"[+-]?\d{1,7}(?:[.,]\d+)?|\d{1,7}/\d{1,7}")
_UNITS = (
    r"ns|us|µs|ms|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?|y|years?"
    r"|b|kb|mb|gb|tb|kib|mib|gib|tib|ki|mi|gi|ti|k|g|%|rps|qps|rpm|x|req|reqs|tokens?|chars?"
)
_QUANTITY = re.compile(
    r"(?i)[+-]?\d+(?:[.,]\d+)?[ ]?(?:" + _UNITS + r")?(?:/(?:s|sec|m|min|h|hr|d|day))?"
    r"|(?:\d+(?:\.\d+)?(?:ns|us|ms|s|m|h|d|w))+"
)
"""``3600s``, ``1h30m``, ``250ms``, ``512Mi``, ``10MB``, ``5%``, ``5000rps``, ``30/min``."""
_PLACEHOLDER = re.compile(r"[$%]\{|\{\{|<[^>]*>$|\$\(|%\(|\$[A-Za-z_]\w*$|%[A-Za-z_]\w*%$")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_RESOURCE_NAME = re.compile(r"[a-z][a-z0-9]*(?:[-.][a-z0-9]+)+")
"""A lower-case dashed or dotted name (a Kubernetes resource, a service, a host)."""
_GENERATED = re.compile(r"[A-Za-z0-9+/=_-]{20,}")

MAX_VALUE = 500
"""The longest value read after a keyword (a quoted value without its closing quote ends there
or at the end of the line)."""


def components(identifier: str) -> list[str]:
    """``DD_APP_KEY`` -> ``[dd, app, key]``; ``SharedAccessKey`` -> ``[shared, access, key]``;
    ``--client-secret`` -> ``[client, secret]``; ``X-Api-Key`` -> ``[x, api, key]``."""
    return [c.lower() for c in _SPLIT.split(identifier.strip("-_.$@:")) if c]


def _word(component: str) -> str | None:
    """The secret word a component is (``dbpassword`` is ``password``), or None."""
    if component in _WORD_KIND:
        return component
    for suffix in _SUFFIXES:
        if component.endswith(suffix):
            return suffix
    return None


def classify(identifier: str) -> tuple[_Level, str] | None:
    """How sure ``identifier`` is to name a secret, and the kind; None when it names none."""
    parts = components(identifier)
    if not parts:
        return None
    for field, kind in _FIELDS.items():
        if tuple(parts[-len(field) :]) == field:
            return _Level.DIRECT, kind
    last = parts[-1]
    word = _word(last)
    if word == "pass" and len(parts) == 1:
        return _Level.KEYED, "password"  # ``pass: Hunter2...``, not ``tests pass: green``
    if word is not None and word in _DIRECT_WORDS:
        return _Level.DIRECT, _WORD_KIND[word]
    if word == "auth" and last == "auth":
        return (_Level.NAMED_AUTH if len(parts) >= 2 else _Level.AUTH), "credential"
    if last == "key" and len(parts) >= 2 and parts[-2] not in _NOT_SECRET_KEYS:
        qualifier = parts[-2]
        return _Level.KEYED, "api key" if qualifier == "api" else f"{qualifier} key"
    for part in reversed(parts):
        word = _word(part)
        if word is not None:
            return _Level.RELATED, _WORD_KIND[word]
    return None


def setting(value: str) -> bool:
    """True for a value that is plainly not a secret: a small number, a duration or size, a
    boolean, a placeholder, a URL or path, a setting word, a mask."""
    low = value.lower().strip()
    if not low or low.startswith("[redacted") or low in _SETTING_WORDS:
        return True
    if _NUMBER.fullmatch(low) or _QUANTITY.fullmatch(low):
        return True
    if _PLACEHOLDER.match(value) or set(low) <= set("*x.-_# "):
        return True
    if low.startswith(("http://", "https://", "/", "./", "../", "~/", "file:")):
        return True
    return False


def _entropy(value: str) -> float:
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _generated(value: str) -> bool:
    """Looks machine-made: no spaces and either upper, lower and digits (12 or more), or a run
    of 20+ base64/hex characters holding letters and digits that is not a UUID or a git SHA."""
    if any(c.isspace() for c in value) or _UUID.fullmatch(value) or _HEX_SHA.fullmatch(value):
        return False
    upper = any(c.isupper() for c in value)
    lower = any(c.islower() for c in value)
    digit = any(c.isdigit() for c in value)
    if upper and lower and digit and len(value) >= 12:
        return True
    return bool(
        _GENERATED.fullmatch(value)
        and digit
        and (upper or lower)
        and "-" not in value.strip("-")
        and _entropy(value) >= 3.0
    )


def secret_value(value: str, level: _Level) -> bool:
    """Whether ``value``, assigned to a name of ``level``, is the secret."""
    if setting(value):
        return False
    if level is _Level.DIRECT:
        return len(value.strip()) >= 4
    if level is _Level.KEYED:
        return (
            len(value) >= 8
            and not any(c.isspace() for c in value)
            and any(c.isdigit() for c in value)
            and any(c.isalpha() for c in value)
        )
    if level >= _Level.AUTH and _USER_PASSWORD.fullmatch(value):
        user, _, password = value.partition(":")
        return not password.isdigit() and user.lower() not in _SETTING_WORDS
    if level is _Level.NAMED_AUTH and _auth_password(value):
        return True
    return _generated(value) or basic_pair(value)


_AUTH_WORDS = frozenset(
    # HTTP authentication schemes (IANA registry)
    "basic bearer digest hoba mutual negotiate vapid dpop concealed privatetoken gnap "
    # SASL mechanisms (IANA registry), Kafka's security.protocol values
    "plain login cram-md5 digest-md5 gssapi gs2-krb5 external anonymous oauthbearer xoauth2 "
    "scram scram-sha-1 scram-sha-256 scram-sha-512 ntlm otp skey plaintext ssl sasl sasl_ssl "
    "sasl_plaintext "
    # PostgreSQL pg_hba.conf methods
    "trust reject md5 password gss sspi ident peer ldap radius cert pam bsd "
    # Docker registry REGISTRY_AUTH, Vault auth methods, common identity providers
    "htpasswd token silly approle kubernetes k8s userpass github gitlab aws gcp azure okta "
    "keycloak auth0 cognito dex google azuread entra oauth oauth2 oidc openid saml sso jwt "
    "kerberos krb5 spnego tls mtls x509 iam sigv4 hmac apikey api-key api_key session cookie "
    "header headers form native internal builtin proxy passthrough guest public anonymous "
    # outcomes a log line or a status says
    "success succeeded successful passed pass fail failure failed denied granted allowed "
    "rejected blocked forbidden unauthorized unauthenticated authenticated authorized error "
    "errors timeout skipped bypass bypassed down up degraded healthy unhealthy".split()
)
"""Values of a ``*_AUTH`` name that choose or report an authentication, not a password:
``SMTP_AUTH=login``, ``REGISTRY_AUTH=htpasswd``, ``KAFKA_AUTH=sasl_ssl``, ``ldap_auth: failed``."""


def _auth_password(value: str) -> bool:
    """A plain password after a ``*_AUTH`` name (``REDIS_AUTH=letmein``): one word of four
    characters or more that is no method or outcome word (``_AUTH_WORDS``) and no host name."""
    low = value.lower()
    return (
        len(value) >= 4
        and not any(c.isspace() for c in value)
        and low not in _AUTH_WORDS
        and not ("." in value and _RESOURCE_NAME.fullmatch(value))
    )


_USER_PASSWORD = re.compile(r"[\w.@+-]{1,64}:[^\s:]{4,}")
"""``user:password`` written plain after an ``auth`` name (``BASIC_AUTH=admin:hunter2``, an
``htpasswd`` line ``admin:$apr1$...``); a ``host:port`` (digits after the colon) or a
``scheme:provider`` (``oauth2:google``: a setting word first) is not one."""


_BASE64_STD = re.compile(r"(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def basic_pair(value: str) -> bool:
    """Whether ``value`` is base64 of ``user:password`` (printable, a ``:`` after a non-empty
    user), as HTTP Basic credentials are written (RFC 7617) and so Docker's ``config.json``
    ``auths.<registry>.auth`` (docker/cli ``cli/config/types/authconfig.go``: ``Auth`` is
    base64 of ``username:password``) and ``.npmrc``'s legacy ``_auth``: ``dXNlcjpwYXNz``."""
    if len(value) < 8 or not _BASE64_STD.fullmatch(value):
        return False
    try:
        decoded = base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, ValueError):
        return False
    return decoded.find(":") > 0 and decoded.isprintable()


def _identifier_start(text: str, pos: int) -> int:
    while pos > 0 and text[pos - 1] in _IDENT:
        pos -= 1
    return pos


def _identifier_end(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] in _IDENT:
        pos += 1
    return pos


def _value(text: str, start: int) -> tuple[int, int]:
    """The value's span at ``start``: inside its quotes (single, double, backtick; ``\\``
    escapes; to the end of the line when unclosed), else up to a space or a delimiter."""
    n = len(text)
    if start >= n:
        return start, start
    quote = text[start]
    if quote in "\"'`":
        i = start + 1
        limit = min(n, i + MAX_VALUE)
        while i < limit:
            ch = text[i]
            if ch == "\\":
                i += 2
                continue
            if ch == quote or ch == "\n":
                break
            i += 1
        return start + 1, min(i, n)
    match = _BARE_END.search(text, start, min(n, start + MAX_VALUE))
    end = match.start() if match else min(n, start + MAX_VALUE)
    while end > start + 1 and text[end - 1] in ".,":
        end -= 1  # a sentence's full stop
    return start, end


def _assignments(text: str) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    pos = 0
    while True:
        hit = _HIT.search(text, pos)
        if hit is None:
            return found
        begin = _identifier_start(text, hit.start())
        end = _identifier_end(text, hit.end())
        pos = max(end, hit.end())
        identifier = text[begin:end].rstrip(".")
        end = begin + len(identifier)
        if begin > 0 and text[begin - 1] in "-" and identifier[:1].isalpha():
            continue  # inside a hyphenated word
        after = _AFTER.match(text, end)
        if after is None or (after.group("flag") and not identifier.startswith("-")):
            continue
        if after.group("kq") and begin > 0 and text[begin - 1] not in "\"'`":
            continue  # a closing quote with no opening one: prose, not a key
        level_kind = classify(identifier)
        if level_kind is None:
            continue
        level, kind = level_kind
        start, stop = _value(text, after.end())
        value = text[start:stop]
        inner = value.split("=", 1)[0] if "=" in value.rstrip("=") else ""
        if inner and _IDENT.issuperset(inner) and classify(inner) is not None:
            continue  # ``Token token=VALUE``: the inner assignment is the one to redact
        if stop > start and secret_value(value, level):
            found.append((start, stop, kind))
            pos = max(pos, stop)
    return found


VALUE_SYMBOLS = "!#$%&*@^"
"""The symbols a password may hold and end in (``Hunter2-Pr1cing!``), beyond a token's
characters; a sentence may end in them too (the redactor's ``_fitted`` reads them there)."""
_VALUE_CHARS = r"[A-Za-z0-9+/_.=~" + VALUE_SYMBOLS + "-]"
"""What a bare value written in prose may hold: a token's characters and ``VALUE_SYMBOLS``; a
sentence's full stop at its end is dropped (``_bare``)."""
_NEAR_WORDS = (
    r"secret|password|passwd|passphrase|pwd?|token|api[_ -]?key|apikey|access[_ -]?key"
    r"|private[_ -]?key|routing[_ -]?key|integration[_ -]?key|credentials?"
)
_NEAR = re.compile(
    r"(?i)(?<![\w.-])(?P<key>" + _NEAR_WORDS + r")s?(?![\w-])"
    r"(?:\s+(?:for|of|on)\s+(?:(?:the|our|my|your)\s+)?[\w.-]{1,40}(?:\s+[\w.-]{1,40})?"
    r"(?=\s*(?:[:=]|is\b|was\b)))?"  # what it is for, before an operator: ``pw for the exporter:``
    r"(?:\s+(?:is|was|are|of|for|to|the|a|new|our|my|your|here|now|set)(?=\s))*"
    r"\s*[:=]?\s*[\"'`]?(?<![\w.+/=~-])(?P<value>" + _VALUE_CHARS + r"{8,})"
)
_NEAR_QUOTED = re.compile(
    r"(?i)(?<![\w.-])(?P<key>" + _NEAR_WORDS + r")(?![\w-])"
    r"(?:\s+(?:is|was|of|for|to|the|a|new|our|my|your|here|now|set)(?=\s))*"
    r"\s*[:=]?\s*(?=[\"'`])"
    r"(?!'s\b)"  # ``the token's scopes``: a possessive, not a quoted value
)
"""``the password is "correct horse battery staple"``: a quoted value after the words."""
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_RECIPIENT = re.compile(r"@[\w.-]+|[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
"""A mention or an e-mail address."""
_NEXT_PARAM = re.compile(r"&(?=[\w.-]+=)")


def _bare(value: str) -> str:
    """A bare value read in prose without what follows it: the next query parameter
    (``abc&x=1``) and a sentence's full stop."""
    return _NEXT_PARAM.split(value, 1)[0].rstrip(".")


_TO = re.compile(r"[ \t]+to[ \t]+[\"'`]?(?P<value>" + _VALUE_CHARS + r"{8,})")
_TO_NAMES = {"requirepass": "password", "masterauth": "password"}
"""Redis's password directives (``credfiles``), which ``classify`` does not read as names."""


def _to_values(text: str) -> list[tuple[int, int, str]]:
    """``changed requirepass to VALUE``, ``set REDIS_AUTH to VALUE``, ``rotated the db password
    to VALUE``: a value of letters and digits (8+, symbols allowed) right after ``<name> to``,
    where the name is a credential setting (``DIRECT``, ``KEYED`` or ``NAMED_AUTH``, or a Redis
    password directive). A word between them (``requirepass handling to match``) or a value of
    words (``to the vault path``) is prose."""
    found: list[tuple[int, int, str]] = []
    for match in _TO.finditer(text):
        end = match.start()
        begin = _identifier_start(text, end)
        name = text[begin:end]
        if not name or (begin > 0 and text[begin - 1] == "-" and name[:1].isalpha()):
            continue
        kind = _TO_NAMES.get(name.lower())
        if kind is None:
            graded = classify(name)
            if graded is None or graded[0] not in (_Level.DIRECT, _Level.KEYED, _Level.NAMED_AUTH):
                continue
            kind = graded[1]
        value = _bare(match.group("value"))
        if (
            len(value) < 8
            or setting(value)
            or _SHA.fullmatch(value)
            or _RESOURCE_NAME.fullmatch(value)
            or _RECIPIENT.fullmatch(value)
            or "=" in value.rstrip("=")
            or not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value))
        ):
            continue  # ``sent the token to ana2@acme.example``: where it went, not what it is
        start = match.start("value")
        found.append((start, start + len(value), kind))
    return found


def _near(text: str) -> list[tuple[int, int, str]]:
    """``the routing key is R0123...``: a value of letters and digits (8+) right after the
    words, not a SHA, a URL or an assignment of its own."""
    found: list[tuple[int, int, str]] = []
    for match in _NEAR.finditer(text):
        value = _bare(match.group("value"))
        if value.startswith(("http", "[redacted")) or _SHA.fullmatch(value):
            continue
        if _RESOURCE_NAME.fullmatch(value) or _RECIPIENT.fullmatch(value):
            continue  # ``kubectl describe secret checkout-db-v2``: a name, not a value
        if "=" in value.rstrip("=") or not (
            any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
        ):
            continue
        start = match.start("value")
        words = components(match.group("key").replace(" ", "_"))
        kind = classify("_".join(words))
        found.append((start, start + len(value), kind[1] if kind else "secret"))
    for match in _NEAR_QUOTED.finditer(text):
        start, stop = _value(text, match.end())
        if stop > start and secret_value(text[start:stop], _Level.DIRECT):
            kind = classify("_".join(components(match.group("key").replace(" ", "_"))))
            found.append((start, stop, kind[1] if kind else "secret"))
    return found


_PROSE_KEY = re.compile(
    r"(?i)(?<![\w.-])(?P<qual>[a-z][a-z0-9]*)[ \t]+key(?![\w-])"
    r"(?:(?P<op>[ \t]+(?:is|was)[ \t]+|[ \t]*[:=][ \t]*)|[ \t]+)"
    r"[\"'`]?(?<![\w.+/=~-])(?P<value>" + _VALUE_CHARS + r"{8,})"
)
"""``the eab hmac key is qW3e...``, ``eab key: qW3e...``, ``cloudflare key 9f8e...``: any word
before ``key`` in prose (the word next to ``key`` graded as ``classify`` grades ``<word>_key``,
so ``cache key``, ``primary key``, ``the key`` are data-structure keys or plain prose)."""


def _prose_keys(text: str) -> list[tuple[int, int, str]]:
    """A value after ``<word> key is|was|:|=`` that passes the ``KEYED`` check; after a bare
    ``<word> key`` (no operator: ``cloudflare key 9f8e...``) only a value that looks generated."""
    found: list[tuple[int, int, str]] = []
    for match in _PROSE_KEY.finditer(text):
        graded = classify(f"{match.group('qual')}_key")
        if graded is None or graded[0] is not _Level.KEYED:
            continue
        value = _bare(match.group("value"))
        if value.lower().startswith(("http", "[redacted")) or _SHA.fullmatch(value):
            continue
        if _RESOURCE_NAME.fullmatch(value) or "=" in value.rstrip("="):
            continue  # ``the kms key is checkout-db-v2``: a name, not a value
        ok = secret_value(value, _Level.KEYED) if match.group("op") else _generated(value)
        if ok:
            start = match.start("value")
            found.append((start, start + len(value), graded[1]))
    return found


_ELEMENT = re.compile(r"<([A-Za-z_][\w.-]{0,60})>([^<\n]{1,500})</\1>")
"""``<password>VALUE</password>`` (XML config: Maven ``settings.xml``, Tomcat, .NET)."""


def _elements(text: str) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    for match in _ELEMENT.finditer(text):
        graded = classify(match.group(1))
        if graded is not None and secret_value(match.group(2), graded[0]):
            found.append((*match.span(2), graded[1]))
    return found


_NAME_VALUE = re.compile(
    r"""(?i)(?<![\w.-])(?P<q>["']?)name(?P=q)[ \t]*[:=][ \t]*"""
    r"""(?P<v>["']?)(?P<name>[A-Za-z_][\w.-]{0,80})"""
    r"""(?P=v)[ \t]*,?\s*(?:-[ \t]+)?(?P<r>["']?)value(?P=r)[ \t]*[:=][ \t]*"""
)
"""A variable given as a ``name`` / ``value`` pair, as Kubernetes writes a container's and a
kubeconfig ``exec`` plugin's environment (core/v1 ``EnvVar``; client-go ``ExecEnvVar``:
``- name: DB_PASSWORD`` then ``value: ...``), in YAML, JSON or folded onto one line; also a
CloudFormation or ECS ``{"Name": ..., "Value": ...}``."""


def _name_values(text: str) -> list[tuple[int, int, str]]:
    """The value of each ``name: <secret name>`` / ``value: ...`` pair (graded by the name)."""
    found: list[tuple[int, int, str]] = []
    for match in _NAME_VALUE.finditer(text):
        graded = classify(match.group("name"))
        if graded is None:
            continue
        start, stop = _value(text, match.end())
        if stop > start and secret_value(text[start:stop], graded[0]):
            found.append((start, stop, graded[1]))
    return found


_MARKER = re.compile(r"\[redacted: [^\]\n]{1,60}\]")
"""``redact.MARKER`` (not imported: the package imports this module)."""


def keyword_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every value assigned to, or written right after, a secret name.
    A marker an earlier pass wrote is read as the opaque value it replaced (``xxx...``), so
    that its words (``[redacted: credential]``) name nothing and a second pass finds no more."""
    if "[redacted: " in text:
        text = _MARKER.sub(lambda m: "x" * len(m.group()), text)
    found = _assignments(text) + _near(text) + _prose_keys(text)
    if " to" in text:
        found += _to_values(text)
    if "</" in text:
        found += _elements(text)
    if "alue" in text:  # value, Value
        found += _name_values(text)
    if "Secret" in text or "metadata" in text:
        found += manifests.secret_spans(text)
    return found


__all__ = ["KEYWORD_TRIGGERS", "classify", "components", "keyword_spans", "secret_value", "setting"]
