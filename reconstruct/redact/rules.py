"""The redaction rules: what a secret looks like, and the kind its marker names.

A ``Rule`` finds secrets with one regular expression. Its ``triggers`` are lower-case substrings of
which at least one must occur in a text for the rule to be tried at all (the cheap test that keeps
redaction near free on ordinary chat); ``None`` means the rule is always tried.

Three families, tried in this order (on overlap the earlier rule names the kind):

``BLOCKS``
    Multi-line secrets replaced whole, before anything else: PEM private-key blocks (RSA, EC, DSA,
    OpenSSH, PKCS#8, encrypted, PGP, PuTTY), with real or ``\\n``-escaped line breaks, to their END
    line (or the end of the text when it was cut), and JSON service-account keys (Google Cloud's
    ``"type": "service_account"`` object, from its ``{`` to its matching ``}``).
``OWN``
    Formats the catalogue (``catalogue.py``) lacks or matches only in part (vendor-prefixed
    tokens, after gitleaks' rule catalogue), basic auth in URLs, bearer and PagerDuty
    ``Token token=`` headers, private keys and Docker configs encoded in base64 (``PEM_BASE64``,
    ``DOCKER_CONFIG_BASE64``); then the keyword-anchored rules (``keywords.py``: a value assigned
    to ``password``, ``DB_PASS``, ``client_secret``, ``x-api-key``... or written after
    ``the token is``).
the catalogue
    detect-secrets' regex plugins (``catalogue.rules()``), a maintained list.

Where a match is only part of a token (a pattern that stops after the documented prefix length),
the redacted span grows to the whole run of token characters around it (``expand``), so no tail
of a secret is left behind.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconstruct.redact import credfiles


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str
    """What the marker names: ``[redacted: <kind>]``."""
    pattern: re.Pattern[str]
    triggers: tuple[str, ...] | None
    """Lower-case substrings, one of which must be in the text; None: always tried."""
    check: Callable[[str], bool] | None = None
    """A further test on the found secret (False: not a secret)."""
    expand: bool = True
    """Grow the span over the token characters around it."""
    exact: bool = False
    """``triggers`` are tested against the text as written, not lower-cased."""
    min_len: int = 0
    """The shortest text the pattern can match (a shorter text is not searched)."""
    run: int = 0
    """Every match holds this many token characters in a row (``TOKEN_RUN``; 0: not known)."""
    find: Callable[[str], list[tuple[int, int]]] | None = None
    """Finds the secrets itself, where what makes one is the shape around it (a ``.pgpass``
    line's five fields, a ``.netrc`` entry's tokens: ``credfiles``); ``pattern`` is then only
    what such a text must hold."""

    def wanted(self, text: str, lowered: str) -> bool:
        """Whether the rule can match: one of its triggers is in the text (always, without)."""
        if self.triggers is None:
            return True
        haystack = text if self.exact else lowered
        return any(t in haystack for t in self.triggers)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each secret in ``text``: the rule's groups that matched, else the
        whole match."""
        if self.find is not None:
            return self.find(text) if self.pattern.search(text) else []
        found: list[tuple[int, int]] = []
        for match in self.pattern.finditer(text):
            groups = [i for i in range(1, (self.pattern.groups or 0) + 1) if match.group(i)]
            parts = [match.span(i) for i in groups] if groups else [match.span()]
            for start, end in parts:
                start, end = _inner(text, start, end)
                if end <= start:
                    continue
                if self.check is not None and not self.check(text[start:end]):
                    continue
                found.append(expand(text, start, end) if self.expand else (start, end))
        return found


_SEPARATORS = frozenset(" \t\r\n=:\"'")


def _inner(text: str, start: int, end: int) -> tuple[int, int]:
    r"""A match without the separators it anchors on: detect-secrets' Artifactory patterns
    (``(?:\s|=|:|"|^)AP…(?:\s|"|$)``) match the space or quote around the value, and growing
    the match from that space would take the word before it ("api key AP…" -> "api …")."""
    while start < end and text[start] in _SEPARATORS:
        start += 1
    while end > start and text[end - 1] in _SEPARATORS and text[end - 1] != "=":
        end -= 1
    return start, end


_TOKEN_LEFT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+")
_TOKEN_RIGHT = _TOKEN_LEFT | frozenset("/=.~%")


def expand(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` grown over the token characters around it: letters, digits, ``_ - +``
    to the left (not ``= : /``, which end a key name or a URL part), and also ``/ = . ~ %``
    to the right (base64 padding, a URL path the secret is part of)."""
    while start > 0 and text[start - 1] in _TOKEN_LEFT:
        start -= 1
    n = len(text)
    while end < n and text[end] in _TOKEN_RIGHT:
        end += 1
    while end > start + 1 and text[end - 1] in ".":
        end -= 1  # a sentence's full stop is not part of the token
    return start, end


def _has_digit_and_letter(value: str) -> bool:
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def _aws_secret(value: str) -> bool:
    return (
        any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() for c in value)
    )


def _rule(
    kind: str,
    pattern: str,
    triggers: tuple[str, ...] | None,
    check: Callable[[str], bool] | None = None,
    *,
    expand: bool = True,
    exact: bool = False,
    find: Callable[[str], list[tuple[int, int]]] | None = None,
) -> Rule:
    compiled = re.compile(pattern)
    return Rule(
        kind,
        compiled,
        triggers,
        check,
        expand,
        exact,
        min_width(compiled),
        token_run(compiled),
        find,
    )


RUN = 16
TOKEN_RUN = re.compile(f"[A-Za-z0-9_-]{{{RUN}}}")
"""A run of ``RUN`` token characters: what a rule with ``run >= RUN`` needs in a text."""
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def token_run(pattern: re.Pattern[str]) -> int:
    """The longest run of token characters (letters, digits, ``_``, ``-``) every match of
    ``pattern`` holds: the largest minimum count of a top-level repeat over a set of such
    characters (``[A-Za-z0-9]{36}`` -> 36); 0 when there is none or the pattern cannot be read.
    Case-insensitive patterns count too (case folding keeps ASCII letters letters)."""
    try:
        parser: Any = importlib.import_module("re._parser")
        items = list(parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - a private module: no bound
        return 0
    best = 0
    for op, arg in items:
        if op in (parser.MAX_REPEAT, parser.MIN_REPEAT) and len(arg[2]) == 1:
            item_op, item_arg = arg[2][0]
            if item_op is parser.IN and _token_set(item_arg, parser):
                best = max(best, int(arg[0]))
    return best


def _token_set(items: Any, parser: Any) -> bool:
    """Whether a character set holds only token characters (ASCII letters, digits, ``_ -``)."""
    for op, arg in items:
        if op is parser.LITERAL:
            if chr(arg) not in _TOKEN_CHARS:
                return False
        elif op is parser.RANGE:
            low, high = arg
            if not all(chr(c) in _TOKEN_CHARS for c in range(low, high + 1)):
                return False
        else:
            return False  # \d, \w and negations reach beyond ASCII
    return True


def min_width(pattern: re.Pattern[str]) -> int:
    """The fewest characters a match of ``pattern`` has (0 when it cannot be read)."""
    try:
        parser: Any = importlib.import_module("re._parser")
        return int(parser.parse(pattern.pattern, pattern.flags).getwidth()[0])
    except Exception:  # noqa: BLE001 - a private module: no bound
        return 0


BLOCK_PEM = re.compile(
    r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----.*?"
    r"(?:-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|\Z)"
    r"|PuTTY-User-Key-File-\d+:.*?(?:Private-MAC:\s*[0-9a-fA-F]+|\Z)",
    re.DOTALL,
)
BLOCK_SERVICE_ACCOUNT = re.compile(r"[\"']type[\"']\s*:\s*[\"']service_account[\"']")


def service_account_span(text: str, match: re.Match[str]) -> tuple[int, int]:
    """The JSON object around a ``"type": "service_account"`` match: from the nearest ``{``
    before it to its matching ``}`` (strings skipped), or to the end when the text was cut."""
    start = text.rfind("{", 0, match.start())
    if start < 0:
        start = match.start()
    depth = 0
    in_string = False
    i = start
    n = len(text)
    while i < n:
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return start, i + 1
        i += 1
    return start, n


PEM_BASE64 = "LS0tLS1CRUdJTi"
"""Base64 of ``-----BEGIN`` (and the first bits of the space after it), as a PEM file encoded
whole starts: kubeconfig's ``client-key-data`` (client-go ``clientcmd/api/v1`` ``AuthInfo``:
``ClientKeyData []byte`` written as base64), a Kubernetes Secret's ``tls.key``, a Helm value."""
_B64 = "[A-Za-z0-9+/]"
_WRAP = r"(?:\r?\n|[ \t])"
PEM_BASE64_PATTERN = (
    rf"{PEM_BASE64}(?:"
    rf"{_B64}{{62}}{_WRAP}(?:{_B64}{{76}}{_WRAP})*{_B64}{{1,76}}={{0,2}}(?!{_B64})"
    rf"|{_B64}{{50}}{_WRAP}(?:{_B64}{{64}}{_WRAP})*{_B64}{{1,64}}={{0,2}}(?!{_B64})"
    rf"|{_B64}*={{0,2}})"
)
"""A base64-encoded PEM file: on one line (kubeconfig, ``base64 -w0``, macOS ``base64``), or
wrapped as ``base64`` writes it (GNU coreutils: 76 columns by default) or ``openssl base64``
(64 columns), each full line followed by the next, also after the line breaks were folded to
spaces (a chat message shown on one line)."""
PUBLIC_PEM = frozenset(
    {
        "CERTIFICATE",
        "TRUSTED CERTIFICATE",
        "X509 CRL",
        "CERTIFICATE REQUEST",
        "NEW CERTIFICATE REQUEST",
        "PUBLIC KEY",
        "RSA PUBLIC KEY",
        "PKCS7",
        "CMS",
    }
)
"""PEM labels of public material (RFC 7468 section 4; OpenSSL's ``pem.h``): certificates, CRLs,
requests and public keys. kubeconfig's ``certificate-authority-data`` and
``client-certificate-data`` hold these: they are kept, a reader can tell which cluster it was."""
_PEM_LABEL = re.compile(r"-----BEGIN ([A-Z0-9 ]{1,40})-----")


def _encoded_private_pem(value: str) -> bool:
    """Whether a base64-encoded PEM file may hold a secret: anything but blocks that are all
    public (``PUBLIC_PEM``), so a key, an unknown label, a cut-off label or a text that does not
    decode is redacted; a CA certificate is kept."""
    raw = "".join(value.split()).rstrip("=")
    raw = raw[: len(raw) - len(raw) % 4]
    try:
        decoded = base64.b64decode(raw, validate=True).decode("latin-1")
    except (binascii.Error, ValueError):
        return True
    labels = _PEM_LABEL.findall(decoded)
    return not labels or "PRIVATE" in decoded or any(label not in PUBLIC_PEM for label in labels)


DOCKER_CONFIG_BASE64 = r"\b(?:eyJhdXRocyI6|ewoJImF1dGhzIjog)[A-Za-z0-9+/]*={0,2}"
"""A Docker ``config.json`` encoded whole, as a ``kubernetes.io/dockerconfigjson`` Secret holds
it (``.dockerconfigjson``): base64 of ``{"auths":`` (``kubectl create secret docker-registry``
writes it compact) or of ``{\\n\\t"auths": `` (the Docker CLI indents ``config.json`` with tabs)."""

_ARG = r"(?:\"([^\"\n]+)\"|'([^'\n]+)'|([^\s\"']+))"
"""A command-line argument: double-quoted, single-quoted or bare (one group each)."""

OWN: tuple[Rule, ...] = (
    _rule(
        "slack webhook",
        r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/\S+",
        ("hooks.slack",),
        expand=False,
    ),
    _rule(
        "discord webhook",
        r"https?://(?:\w+\.)?discord(?:app)?\.com/api/webhooks/\S+",
        ("discord",),
        expand=False,
    ),
    _rule("slack token", r"\bxox[abeoprs]-[A-Za-z0-9-]{5,}", ("xox",)),
    _rule("slack token", r"\bxapp-\d-[A-Za-z0-9-]{5,}", ("xapp-",)),
    _rule(
        "github token",
        r"\bgh[pousr]_[A-Za-z0-9]{20,}",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    ),
    _rule("github token", r"\bgithub_pat_[A-Za-z0-9_]{20,}", ("github_pat_",)),
    _rule(
        "gitlab token",
        r"\bgl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-[A-Za-z0-9_-]{20,}",
        (
            "glpat-",
            "gldt-",
            "glft-",
            "glsoat-",
            "glrt-",
            "glcbt-",
            "glimt-",
            "glptt-",
            "glagent-",
            "gloas-",
        ),
    ),
    _rule("gitlab token", r"\bglffct-[A-Za-z0-9_-]{20,}", ("glffct-",)),
    _rule("gitlab token", r"\bGR1348941[\w-]{20,}", ("GR1348941",), exact=True),
    _rule("grafana token", r"\bglsa_[A-Za-z0-9_]{20,}", ("glsa_",)),
    _rule("grafana token", r"\bglc_[A-Za-z0-9+/=_-]{20,}", ("glc_",)),
    _rule(
        "aws access key",
        r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b",
        ("akia", "asia", "abia", "acca", "a3t"),
    ),
    _rule(
        "aws secret key",
        r"(?i)(?:secret|aws|\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b)[^\n]{0,40}?"
        r"(?<![A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        ("secret", "aws", "akia", "asia", "abia", "acca", "a3t"),
        _aws_secret,
    ),
    _rule(
        "stripe key",
        r"\b(?:sk|rk|pk)_(?:live|test|prod)_[A-Za-z0-9]{10,}",
        ("_live_", "_test_", "_prod_"),
    ),
    _rule("stripe webhook secret", r"\bwhsec_[A-Za-z0-9+/=]{20,}", ("whsec_",)),
    _rule("npm token", r"\bnpm_[A-Za-z0-9]{36}\b", ("npm_",)),
    _rule("pypi token", r"\bpypi-[A-Za-z0-9_-]{50,}", ("pypi-",)),
    _rule("google api key", r"\bAIza[0-9A-Za-z_-]{35}", ("aiza",)),
    _rule("google oauth token", r"\bya29\.[0-9A-Za-z_-]{20,}", ("ya29.",)),
    _rule("openai key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}", ("sk-",)),
    _rule("anthropic key", r"\bsk-ant-[a-z0-9]+-[A-Za-z0-9_-]{20,}", ("sk-ant-",)),
    _rule("vault token", r"\bhv[sbr]\.[A-Za-z0-9_-]{24,}", ("hvs.", "hvb.", "hvr.")),
    _rule("digitalocean token", r"\bdo[por]_v1_[a-f0-9]{64}", ("_v1_",)),
    _rule("new relic key", r"\bNR(?:AK|II|JS)-[A-Za-z0-9]{20,}", ("nrak-", "nrii-", "nrjs-")),
    _rule("sendgrid key", r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}", ("sg.",)),
    _rule("twilio key", r"\b(?:AC|SK)[0-9a-f]{32}\b", ("AC", "SK"), exact=True),
    _rule("shopify token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}", ("shp",)),
    _rule("azure client secret", r"(?<![\w~.-])[\w~.-]{3}\dQ~[\w~.-]{31,34}", ("q~",)),
    _rule("azure sas signature", r"(?i)[?&;]sig=([A-Za-z0-9%+/=]{16,})", ("sig=",)),
    _rule(
        "json web token", r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.?[A-Za-z0-9_-]*", ("eyj",)
    ),
    _rule(
        "password in url",
        r"://[^\s/:@]*:([^\s/?]+)@",  # to the authority's last ``@`` (``p@ss``, ``p#ss`` unencoded)
        ("@",),
        expand=False,
    ),
    _rule(
        "bearer token",
        r"(?i)\bbearer\s+([A-Za-z0-9\-._~+/]{8,}=*)",
        ("bearer",),
        _has_digit_and_letter,
    ),
    _rule(
        "basic auth",
        r"(?i)\bauthorization[\"']?\s*[:=]\s*[\"']?basic\s+([A-Za-z0-9+/]{8,}=*)",
        ("basic",),
    ),
    _rule(
        "private key",
        PEM_BASE64_PATTERN,
        (PEM_BASE64,),
        _encoded_private_pem,
        expand=False,
        exact=True,
    ),
    _rule("docker config", DOCKER_CONFIG_BASE64, ("eyJhdXRocyI6", "ewoJImF1dGhzIjog"), exact=True),
    _rule("pagerduty token", r"(?i)\btoken\s+token=[\"']?([^\s\"',;]+)", ("token=",), expand=False),
    _rule(
        "password",
        r"(?i)\bcurl\b[^\n]{0,200}?\s(?:-u|--user)(?:[ \t]+|=)?[\"']?[^\s\"':]*:([^\s\"']+)",
        ("curl",),
        expand=False,
    ),
    _rule(
        "password",
        r"\b(?i:redis|valkey|keydb)-cli\b[^\n]{0,200}?\s(?:-a|--pass)[ \t]+" + _ARG,
        ("-cli",),
        expand=False,
    ),
    _rule(
        "password",
        r"\b(?i:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b[^\n]{0,200}?\s-p([^\s\"']+)",
        ("mysql", "mariadb"),
        expand=False,
    ),
    _rule(
        "password",
        r"\b(?i:docker|podman|nerdctl|buildah|skopeo|oc|helm[ \t]+registry)[ \t]+login\b"
        r"[^\n]{0,200}?\s(?:-p|--password)(?:[ \t]+|=)" + _ARG,
        ("login",),
        expand=False,
    ),
    _rule(
        "password",
        r"\bsshpass\s+-p[ \t]*(?:\"([^\"\n]+)\"|'([^'\n]+)'|([^\s\"']+))",
        ("sshpass",),
        expand=False,
    ),
    _rule(
        credfiles.KIND,
        credfiles.REDIS_DIRECTIVE,
        ("requirepass", "masterauth"),
        expand=False,
        find=credfiles.directive_spans,
    ),
    _rule(credfiles.KIND, credfiles.REDIS_SENTINEL, ("auth-pass",), expand=False),
    _rule(credfiles.KIND, credfiles.REDIS_CONFIG_GET, ("requirepass", "masterauth"), expand=False),
    _rule(credfiles.KIND, credfiles.REDIS_AUTH, ("auth",), expand=False),
    _rule(
        credfiles.KIND,
        r"(?<![\w.-])(?:machine|default)\s",
        ("machine", "default"),
        find=credfiles.netrc_spans,
    ),
    _rule(
        credfiles.KIND,
        credfiles.PGPASS_QUICK,
        credfiles.PGPASS_TRIGGERS,
        find=credfiles.pgpass_spans,
    ),
    _rule(credfiles.KIND, credfiles.PG_MD5, ("md5",), expand=False),
    _rule(credfiles.KIND, credfiles.PG_SCRAM, ("SCRAM-SHA-256$",), expand=False, exact=True),
    _rule(
        credfiles.KIND,
        credfiles.USERLIST_QUICK,
        credfiles.USERLIST_WORDS,
        find=credfiles.userlist_spans,
    ),
)
"""Formats the catalogue lacks or only half matches (and ``curl -u user:PASSWORD``, after
gitleaks' ``curl-auth-user``; the password arguments of database and SSH clients, as their
manuals define them: ``redis-cli -a PASSWORD`` / ``--pass`` (redis.io/docs/latest/develop/tools/
cli), ``mysql -pPASSWORD``, no space, a bare ``-p`` prompts (dev.mysql.com/doc/refman/8.0/en/
connection-options.html; ``-P`` is the port), ``sshpass -p PASSWORD`` (sshpass(1)), a registry
login's ``-p`` / ``--password`` (``docker login``, podman, nerdctl, buildah, skopeo, ``oc login``,
``helm registry login``: their CLI references)) (its
Stripe pattern stops at 24 characters, its JWT one before the signature, its npm one needs
``.npmrc`` context; it has no Grafana, Google, OpenAI-style ``sk-``, Vault, DigitalOcean, New
Relic, Shopify or Azure AD rule); and credentials in their own files' and consoles' shapes
(``credfiles``: Redis's ``requirepass``, ``masterauth``, ``sentinel auth-pass``, ``CONFIG GET``
output and ``AUTH`` at the prompt; ``.netrc`` entries; ``.pgpass`` lines)."""

_UUID_BODY = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
"""A UUID's lower-case hex body: LaunchDarkly's keys are a prefix and a UUID (docs.launchdarkly.com
"Keys": a server-side SDK key ``sdk-<uuid>``, a mobile key ``mob-<uuid>``, an API access token
``api-<uuid>``); its client-side ID (24 hex characters) is public and a bare UUID is an ID."""

# Vendor-prefixed tokens, written from gitleaks' rule catalogue (MIT,
# https://github.com/gitleaks/gitleaks, cmd/generate/config/rules/*.go at b58d3f1, 2026-07): the
# formats whose prefix alone identifies them. Each pattern is our own: the documented prefix and a
# body in the vendor's alphabet, sometimes shorter than gitleaks asks (a token cut off in a chat
# message is still found); the span then grows over the rest of the token (``expand``).
VENDOR: tuple[Rule, ...] = (
    _rule("heroku api key", r"\bHRKU-[A-Za-z0-9_-]{20,}", ("HRKU-",), exact=True),
    _rule("linear api key", r"\blin_(?:api|oauth)_[A-Za-z0-9]{32,}", ("lin_api_", "lin_oauth_")),
    _rule("doppler token", r"\bdp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}", ("dp.",)),
    _rule(
        "atlassian api token",
        r"\bAT(?:ATT|CTT)3[A-Za-z0-9_=-]{40,}|\bATBB[A-Za-z0-9]{28,}",
        ("ATATT", "ATCTT", "ATBB"),
        exact=True,
    ),
    _rule("postman api key", r"\bPMAK-[A-Fa-f0-9]{24}-[A-Fa-f0-9]{34}", ("pmak-",)),
    _rule("grafana api key", r"\beyJrIjoi[A-Za-z0-9]{40,}={0,3}", ("eyJrIjoi",), exact=True),
    _rule("pulumi token", r"\bpul-[a-f0-9]{40}", ("pul-",)),
    _rule(
        "terraform cloud token",
        r"\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,}",
        (".atlasv1.",),
    ),
    _rule("databricks token", r"\bdapi[a-f0-9]{32}(?:-\d)?", ("dapi",)),
    _rule("hugging face token", r"\b(?:hf|api_org)_[A-Za-z]{34}\b", ("hf_", "api_org_")),
    _rule("age secret key", r"AGE-SECRET-KEY-1[0-9A-Z]{58}", ("age-secret-key-1",)),
    _rule("1password token", r"\bops_eyJ[A-Za-z0-9+/]{100,}={0,3}", ("ops_eyj",)),
    _rule(
        "1password secret key",
        r"\bA3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}\b",
        ("A3-",),
        exact=True,
    ),
    _rule("adobe client secret", r"\bp8e-[A-Za-z0-9]{32}", ("p8e-",)),
    _rule("airtable token", r"\bpat[A-Za-z0-9]{14}\.[a-f0-9]{64}", ("pat",)),
    _rule("alibaba access key", r"\bLTAI[A-Za-z0-9]{20}\b", ("LTAI",), exact=True),
    _rule("aws bedrock api key", r"\bABSK[A-Za-z0-9+/]{109,}={0,2}", ("ABSK",), exact=True),
    _rule("clojars token", r"(?i)\bCLOJARS_[a-z0-9]{60}", ("clojars_",)),
    _rule("cloudflare origin ca key", r"\bv1\.0-[a-f0-9]{24}-[a-f0-9]{146}", ("v1.0-",)),
    _rule("duffel token", r"\bduffel_(?:test|live)_[A-Za-z0-9_=-]{43}", ("duffel_",)),
    _rule("dynatrace token", r"\bdt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}", ("dt0c01.",)),
    _rule("easypost key", r"\bEZ[AT]K[A-Za-z0-9]{54}", ("EZAK", "EZTK"), exact=True),
    _rule("facebook token", r"\bEAA[MC][A-Za-z0-9]{100,}", ("EAAM", "EAAC"), exact=True),
    _rule("flutterwave key", r"\bFLW(?:SECK|PUBK)_TEST-[A-Za-z0-9]{12,}", ("flwseck_", "flwpubk_")),
    _rule(
        "fly.io token",
        r"\b(?:fo1_[\w-]{43}|fm1[ar]_[A-Za-z0-9+/]{100,}={0,3}|fm2_[A-Za-z0-9+/]{100,}={0,3})",
        ("fo1_", "fm1a_", "fm1r_", "fm2_"),
    ),
    _rule("frame.io token", r"\bfio-u-[A-Za-z0-9_=-]{64}", ("fio-u-",)),
    _rule("google oauth client secret", r"\bGOCSPX-[A-Za-z0-9_-]{28}", ("gocspx-",)),
    _rule(
        "harness token",
        r"\b(?:pat|sat)\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}",
        ("pat.", "sat."),
    ),
    _rule("infracost token", r"\bico-[A-Za-z0-9]{32}", ("ico-",)),
    _rule("intra42 secret", r"\bs-s4t2(?:ud|af)-[a-f0-9]{64}", ("s-s4t2",)),
    _rule("maxmind license key", r"\b[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk\b", ("_mmk",)),
    _rule(
        "microsoft teams webhook",
        r"https://[A-Za-z0-9-]+\.webhook\.office\.com/webhookb2/\S+",
        ("webhook.office.com",),
        expand=False,
    ),
    _rule("notion token", r"\bntn_[0-9]{11}[A-Za-z0-9]{35}", ("ntn_",)),
    _rule("octopus deploy key", r"\bAPI-[A-Z0-9]{26}\b", ("API-",), exact=True),
    _rule("openshift token", r"\bsha256~[\w-]{43}", ("sha256~",)),
    _rule("perplexity key", r"\bpplx-[A-Za-z0-9]{48}", ("pplx-",)),
    _rule("planetscale token", r"\bpscale_(?:tkn|pw|oauth)_[\w=.-]{32,}", ("pscale_",)),
    _rule("prefect token", r"\bpnu_[A-Za-z0-9]{36}", ("pnu_",)),
    _rule("readme token", r"\brdme_[a-z0-9]{70}", ("rdme_",)),
    _rule("rubygems token", r"\brubygems_[a-f0-9]{48}", ("rubygems_",)),
    _rule("scalingo token", r"\btk-us-[\w-]{48}", ("tk-us-",)),
    _rule("brevo key", r"\bxkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}", ("xkeysib-",)),
    _rule("sentry token", r"\bsntry[su]_[A-Za-z0-9+/=_]{40,}", ("sntrys_", "sntryu_")),
    _rule("settlemint token", r"\bsm_[aps]at_[A-Za-z0-9]{16}", ("sm_aat_", "sm_pat_", "sm_sat_")),
    _rule("shippo token", r"\bshippo_(?:live|test)_[a-fA-F0-9]{40}", ("shippo_",)),
    _rule("sourcegraph token", r"\bsgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}", ("sgp_",)),
    _rule("square token", r"\bEAAA[\w-]{22,60}", ("EAAA",), exact=True),
    _rule("typeform token", r"\btfp_[A-Za-z0-9_.=-]{59}", ("tfp_",)),
    _rule("yandex token", r"\bAQVN[A-Za-z0-9_-]{35,38}", ("AQVN",), exact=True),
    _rule("groq key", r"\bgsk_[A-Za-z0-9]{52}", ("gsk_",)),
    _rule("xai key", r"\bxai-[A-Za-z0-9]{80}", ("xai-",)),
    _rule("docker hub token", r"\bdckr_(?:pat|oat)_[A-Za-z0-9_-]{20,}", ("dckr_",)),
    _rule(
        "supabase key", r"\bsbp_[a-f0-9]{40}|\bsb_secret_[A-Za-z0-9_-]{20,}", ("sbp_", "sb_secret_")
    ),
    _rule("tailscale key", r"\btskey-[a-z]+-[A-Za-z0-9]+-[A-Za-z0-9]{10,}", ("tskey-",)),
    _rule("langsmith key", r"\blsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}", ("lsv2_",)),
    _rule("mapbox secret token", r"\bsk\.eyJ[A-Za-z0-9_-]{40,}\.[A-Za-z0-9_-]{20,}", ("sk.eyj",)),
    _rule("gitlab session cookie", r"_gitlab_session=([0-9a-z]{32})", ("_gitlab_session=",)),
    _rule("launchdarkly sdk key", r"(?<![\w.-])sdk-" + _UUID_BODY + r"(?![\w-])", ("sdk-",)),
    _rule("launchdarkly mobile key", r"(?<![\w.-])mob-" + _UUID_BODY + r"(?![\w-])", ("mob-",)),
    _rule("launchdarkly api token", r"(?<![\w.-])api-" + _UUID_BODY + r"(?![\w-])", ("api-",)),
)
"""Prefixed formats from gitleaks' catalogue that neither detect-secrets nor the rules above
have (kinds named after the vendor)."""

ALL: tuple[Rule, ...] = (*OWN, *VENDOR)
"""Our rules in the order they are tried (before the keyword rules and the catalogue)."""
