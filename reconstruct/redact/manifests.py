"""Kubernetes Secret manifests: every value of a Secret's ``data`` and ``stringData`` maps.

A Secret (Kubernetes API reference, core/v1 ``Secret``) holds its values in ``data`` (a map of
key to base64 of arbitrary bytes: ``username: YWRtaW4=``) and ``stringData`` (key to plain
string, write-only). Whatever a key is named (``username``, ``host``, ``DB_URL``, ``api.conf``,
``.dockerconfigjson``), its value is what the Secret exists to hide, and base64 hides nothing;
so in a text that holds a Secret (``kind: Secret``, in YAML or JSON, anywhere: ``kubectl get -o
json`` sorts ``data`` before ``kind``), ``secret_spans`` returns the span of every value of
those maps, in the three shapes a paste arrives in:

    data:                     YAML block map (``kubectl get secret -o yaml``, a manifest file):
      username: YWRtaW4=      each entry more indented than ``data:``; a block scalar
      config.yaml: |          (``|``, ``>``) runs over the lines indented below its key
        password: hunter2
    "data": {"a": "..."}      JSON or a YAML flow map (``kubectl get secret -o json``)
    data: username: YWRtaW4= host: ZGI=   the YAML with its line breaks folded to spaces
                              (how a chat message shows on one line): ``key: value`` pairs
                              while the values are base64 (``data``) or up to the next
                              ``key:`` (``stringData``)

A Secret pasted without its ``kind: Secret`` line (the paste started below it, or at
``metadata:``) is read as one when nothing names another kind, it holds ``metadata:``, and its
``type`` is a Secret type (``Opaque``, ``kubernetes.io/tls``, ``kubernetes.io/basic-auth``...:
core/v1 ``SecretType``) or its ``metadata.name`` says secret (``secret``, ``cred``, ``pass``,
``token``, ``key``, ``auth``, ``tls``, ``cert``); then its ``stringData`` values go (only a
Secret has that map) and its ``data`` values when every one is base64 padded to four characters
(Go's ``base64.StdEncoding``, as the API server writes them) and one decodes to printable text.
A ConfigMap's ``data`` (plain strings: ``PORT: "8080"``, ``enabled``) is not that.

gitleaks has a ``kubernetes-secret`` rule (MIT, https://github.com/gitleaks/gitleaks,
``cmd/generate/config/rules/kubernetes.go``) that flags the ``kind: Secret`` line of a ``.yaml``
file; detect-secrets has none. Neither finds the values, which is what redaction needs.
"""

from __future__ import annotations

import base64
import binascii
import re

KIND = "kubernetes secret"
_KIND = re.compile(r"""["']?\bkind["']?[ \t]*:[ \t]*["']?Secret\b(?!-)""")
_MAP = re.compile(r"""(?<![\w.\]-])(?P<q>["']?)(?P<name>data|stringData)(?P=q)[ \t]*:""")
TOP_LEVEL = frozenset({"apiVersion", "kind", "metadata", "type", "immutable", "data", "stringData"})
"""A Secret's own fields (they end a folded map: ``data: a: YQ== type: Opaque``, ``_folded``)."""
_KEY = r"""(?:[-._A-Za-z0-9]+|"[^"\n]*"|'[^'\n]*')"""
_ENTRY = re.compile(rf"[ \t]*(?P<key>{_KEY})[ \t]*:(?:[ \t]+|$)", re.MULTILINE)
_FOLDED_ENTRY = re.compile(rf"\s*(?P<key>{_KEY}):\s+")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}(?![^\s,}\]])")
_BLOCK_SCALAR = re.compile(r"[|>][-+0-9]*[ \t]*(?:#[^\n]*)?$")
_NEXT_KEY = re.compile(rf"\s+{_KEY}:\s|```|\Z")
MAX_VALUE = 4000
"""The most characters one folded ``stringData`` value runs over (to its next key)."""


_OTHER_KIND = re.compile(r"""["']?\bkind["']?[ \t]*:[ \t]*["']?(?!Secret\b)[A-Z]\w*""")
_METADATA = re.compile(r"""(?<![\w.-])["']?metadata["']?[ \t]*:""")
_SECRET_TYPE = re.compile(
    r"""(?<![\w.-])["']?type["']?[ \t]*:[ \t]*["']?(?:Opaque|kubernetes\.io/"""
    r"""(?:service-account-token|dockercfg|dockerconfigjson|basic-auth|ssh-auth|tls)"""
    r"""|bootstrap\.kubernetes\.io/token)\b"""
)
"""core/v1 ``SecretType``: the types only a Secret has."""
_NAME = re.compile(r"""["']?\bname["']?[ \t]*:[ \t]*["']?([\w.-]+)""")
_SECRET_NAME = re.compile(r"(?i)secret|cred|pass|token|key|auth|tls|cert")
_PADDED = re.compile(
    r"(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?|[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}="
)
METADATA_SPAN = 2000
"""How far after ``metadata:`` its ``name`` is looked for (``kubectl -o json`` sorts the
annotations and the creation time before it)."""


def secret_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, ``KIND``) of every ``data`` / ``stringData`` value in ``text``; empty when
    it holds no Secret (``kind: Secret``, or a Secret without that line: ``_unlabelled``)."""
    if "Secret" in text and _KIND.search(text) is not None:
        labelled = True
    elif "metadata" in text and _unlabelled(text):
        labelled = False
    else:
        return []
    found: list[tuple[int, int, str]] = []
    for match in _MAP.finditer(text):
        pos = match.end()
        line_end = text.find("\n", pos)
        rest = text[pos : line_end if line_end != -1 else len(text)]
        stripped = rest.lstrip(" \t")
        if stripped.startswith("{"):
            spans = _flow(text, pos + len(rest) - len(stripped))
        elif not stripped or stripped.startswith("#"):
            spans = _block(text, match.start())
        else:
            spans = _folded(text, pos, match.group("name") == "data")
        if not labelled and match.group("name") == "data" and not _encoded(text, spans):
            continue
        found.extend((start, end, KIND) for start, end in spans)
    return found


def _unlabelled(text: str) -> bool:
    """A Secret pasted without its ``kind`` line: no other kind named, a ``metadata`` map, and a
    Secret type or a name that says secret."""
    metadata = _METADATA.search(text)
    if metadata is None or _OTHER_KIND.search(text) is not None:
        return False
    if _SECRET_TYPE.search(text) is not None:
        return True
    name = _NAME.search(text, metadata.end(), metadata.end() + METADATA_SPAN)
    return name is not None and _SECRET_NAME.search(name.group(1)) is not None


def _encoded(text: str, spans: list[tuple[int, int]]) -> bool:
    """Every value is base64 padded to four characters and one decodes to printable text."""
    printable = False
    for start, end in spans:
        value = text[start:end]
        if not _PADDED.fullmatch(value):
            return False
        if not printable:
            try:
                printable = base64.b64decode(value, validate=True).decode("utf-8").isprintable()
            except (binascii.Error, ValueError):
                pass
    return printable


def _flow(text: str, brace: int) -> list[tuple[int, int]]:
    """Values of the flow map (JSON object) whose ``{`` is at ``brace``."""
    spans: list[tuple[int, int]] = []
    pos = brace + 1
    n = len(text)
    while pos < n:
        pos = _skip_space(text, pos)
        if pos >= n or text[pos] == "}":
            break
        key_end = _scalar_end(text, pos, ":")
        pos = _skip_space(text, key_end)
        if pos >= n or text[pos] != ":":
            break
        start = _skip_space(text, pos + 1)
        end = _scalar_end(text, start, ",}")
        if start < n and text[start] in "\"'":
            if end - 1 > start + 1:
                spans.append((start + 1, end - 1))
        elif end > start:
            spans.append((start, end))
        pos = _skip_space(text, end)
        if pos < n and text[pos] == ",":
            pos += 1
    return spans


def _skip_space(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos].isspace():
        pos += 1
    return pos


def _scalar_end(text: str, pos: int, stops: str) -> int:
    """Where the quoted string (``\\`` escapes) or bare scalar at ``pos`` ends (after its
    closing quote; a bare one at a character of ``stops`` or a line break, trailing spaces
    left out)."""
    n = len(text)
    if pos < n and text[pos] in "\"'":
        quote = text[pos]
        i = pos + 1
        while i < n and text[i] != quote:
            i += 2 if text[i] == "\\" else 1
        return min(i + 1, n)
    i = pos
    while i < n and text[i] not in stops and text[i] != "\n":
        i += 1
    while i > pos and text[i - 1] in " \t":
        i -= 1
    return i


def _indent(text: str, line_start: int) -> int:
    i = line_start
    while i < len(text) and text[i] in " \t":
        i += 1
    return i - line_start


def _block(text: str, key_start: int) -> list[tuple[int, int]]:
    """Values of the block map under the ``data:`` key at ``key_start``: the lines after it
    more indented than it (a quoted key's quote counts as its start)."""
    line_start = text.rfind("\n", 0, key_start) + 1
    base = _indent(text, line_start)
    spans: list[tuple[int, int]] = []
    pos = text.find("\n", key_start)
    entry_indent = -1
    scalar_indent = -1  # inside a block scalar: its lines are more indented than its key
    while pos != -1:
        start = pos + 1
        end = text.find("\n", start)
        stop = len(text) if end == -1 else end
        line = text[start:stop]
        if line.strip():
            indent = _indent(text, start)
            if indent <= base:
                break
            content = start + indent, stop - (len(line) - len(line.rstrip()))
            if scalar_indent >= 0 and indent > scalar_indent:
                spans.append(content)
            else:
                scalar_indent = -1
                entry = _ENTRY.match(text, start, stop)
                if entry is not None and (entry_indent < 0 or indent == entry_indent):
                    entry_indent = indent
                    value_start = entry.end()
                    if _BLOCK_SCALAR.match(text, value_start, stop):
                        scalar_indent = indent
                    elif value_start < content[1]:
                        spans.append(_unquoted(text, value_start, content[1]))
                elif indent > max(entry_indent, base):
                    spans.append(content)  # a plain scalar continued on the next line
        pos = end
    return spans


def _unquoted(text: str, start: int, end: int) -> tuple[int, int]:
    if end - start >= 2 and text[start] in "\"'" and text[end - 1] == text[start]:
        return start + 1, end - 1
    return start, end


def _folded(text: str, pos: int, base64_only: bool) -> list[tuple[int, int]]:
    """Values of a map whose line breaks were folded to spaces: ``key: value`` pairs from
    ``pos`` while the value is base64 (``data``) or the key is not a Secret field. A ``data``
    key may be named like one (the Service Binding spec's ``type``); its value is base64 padded
    to four characters (Go's ``base64.StdEncoding``), which ``Secret``, ``Opaque`` and ``v1``
    are not."""
    spans: list[tuple[int, int]] = []
    n = len(text)
    while pos < n:
        entry = _FOLDED_ENTRY.match(text, pos)
        if entry is None:
            break
        field = entry.group("key").strip("\"'") in TOP_LEVEL
        start = entry.end()
        if start < n and text[start] in "\"'":
            if field:
                break
            end = _scalar_end(text, start, "")
            spans.append((start + 1, max(start + 1, end - 1)))
        elif base64_only:
            value = _BASE64.match(text, start)
            if value is None or (field and len(value.group()) % 4):
                break
            end = value.end()
            spans.append((start, end))
        elif field:
            break
        else:
            nxt = _NEXT_KEY.search(text, start, min(n, start + MAX_VALUE))
            end = nxt.start() if nxt is not None else min(n, start + MAX_VALUE)
            if end > start:
                spans.append((start, end))
        pos = end
    return spans


__all__ = ["KIND", "secret_spans"]
