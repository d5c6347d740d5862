"""Credentials written the way their own files and consoles write them, with no ``=`` or ``:``
after a secret word to anchor on: Redis's password directives, ``.netrc`` entries, ``.pgpass``
lines. Each is recognised by its shape, so a value is found whatever it looks like (``foo``,
``p``), and the same words in prose are not.

Redis (redis.io ``redis.conf``, "SECURITY" and "REPLICATION"; ``CONFIG SET``; ``AUTH``)::

    requirepass foobared                 the server's password (also ``CONFIG SET requirepass x``)
    masterauth <master-password>         a replica's password for its master
    sentinel auth-pass mymaster <pw>     Sentinel's password for a monitored master
    1) "requirepass"  2) "foobared"      ``CONFIG GET requirepass`` as redis-cli prints it
    127.0.0.1:6379> auth foobared        the ``AUTH [username] password`` command at redis-cli's
                                         ``host:port>`` prompt

(directive names are case-insensitive, a value may be quoted). After ``requirepass`` or
``masterauth`` a value that is a word of prose or a setting is not one (``requirepass is set``,
``masterauth rotated``: ``PROSE``, ``keywords.setting``).

``.netrc`` (netrc(5), BSD ftp; also curl, git, pip, Heroku, GitHub's ``gh``): tokens separated by
spaces, tabs or newlines, ``machine <name>`` (or ``default``) followed by ``login <name>``,
``password <string>``, ``account <string>`` (an additional password) in any order, up to the
next ``machine``, ``default`` or ``macdef``. An entry is read only while its tokens are those
pairs and it names a ``login`` (prose that says "machine" stops at its first other word); the
``password`` and ``account`` values are secrets.

``.pgpass`` (PostgreSQL libpq "The Password File"; also ``PGPASSFILE``):
``hostname:port:database:username:password``, each of the first four a literal or ``*``, ``\\:``
and ``\\\\`` escaped; libpq takes the rest of the line after the fourth field's colon as the
password. A line is read as one only when it is a whole token (or line) of exactly that shape,
its port ``*`` or a number, and something says PostgreSQL: a host that is ``*``, ``localhost``,
an IP address or a dotted name; a port of ``*``, 5432-5439 or 6432 (PgBouncer); a ``*`` in
database or user; or the text naming ``pgpass``. So ``host:5432:*:*`` (four fields) and a cache
key ``session:4242:user:data:abc`` (no host, no PostgreSQL port) are not.

PostgreSQL password verifiers (``PG_MD5``, ``PG_SCRAM``) anywhere, and PgBouncer's ``auth_file``
(``userlist.txt``; PgBouncer "Authentication file format"): ``"username" "password"`` per line,
whose second field is read as a password when the text names ``userlist``, ``auth_file`` or
``pgbouncer`` (``userlist_spans``).
"""

from __future__ import annotations

import re

from reconstruct.redact.keywords import setting

KIND = "password"

PROSE = frozenset(
    "is was are were be been being to in on of for from with and or but the a an this that it "
    "its has have had not no now yet too also then only still just will would can could should "
    "must may might set unset directive option setting parameter value config configuration "
    "file line command needs need needed requires required did does do isn't wasn't aren't "
    "doesn't didn't won't here there so as at by again yesterday today tomorrow everywhere".split()
)
"""Words that follow a directive's name in a sentence, not its value."""

_ARG = r"(?:\"([^\"\n]+)\"|'([^'\n]+)'|([^\s\"']+))"
REDIS_DIRECTIVE = r"(?i)(?<![\w-])(?:requirepass|masterauth)[ \t]+" + _ARG
REDIS_SENTINEL = r"(?i)\bsentinel[ \t]+auth-pass[ \t]+[^\s\"']+[ \t]+" + _ARG
REDIS_CONFIG_GET = r"(?i)[\"'](?:requirepass|masterauth)[\"']\s+2\)[ \t]*" + _ARG
REDIS_AUTH = r"(?i):\d{1,5}(?:\[\d+\])?>[ \t]*auth[ \t]+" + _ARG + r"(?:[ \t]+" + _ARG + r")?"
"""``AUTH`` after redis-cli's ``host:port>`` (or ``host:port[db]>``) prompt, not a quote's ``>``."""


def directive_value(value: str) -> bool:
    """Whether the word after ``requirepass`` / ``masterauth`` is its value, not prose."""
    word = value.rstrip(".,;:!?)")  # a sentence's punctuation
    return word.lower() not in PROSE and not setting(word)


_DIRECTIVE = re.compile(REDIS_DIRECTIVE)
_NEXT_WORD = re.compile(r"[ \t]+([A-Za-z']+)")


def directive_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each ``requirepass`` / ``masterauth`` value (``directive_value``). A bare
    lower-case word followed by a word of prose is the sentence's own noun, not a value:
    ``changed requirepass handling to match upstream``; ``requirepass foobared`` (alone, or
    followed by the next directive of a folded ``redis.conf``) is one."""
    found: list[tuple[int, int]] = []
    for match in _DIRECTIVE.finditer(text):
        group = next(i for i in (1, 2, 3) if match.group(i) is not None)
        value = match.group(group)
        if not directive_value(value):
            continue
        if group == 3 and value.isalpha() and value.islower():
            after = _NEXT_WORD.match(text, match.end())
            if after is not None and after.group(1).lower() in PROSE:
                continue
        found.append(match.span(group))
    return found


_NETRC_START = re.compile(r"(?<![\w.-])(?:machine[ \t\r\n]+\S+|default)(?=[ \t\r\n])")
_NETRC_TOKEN = re.compile(r"[ \t\r\n]+(\"(?:[^\"\\\n]|\\.)*\"|\S+)")
_NETRC_KEYS = frozenset({"login", "password", "account", "port"})
"""The tokens of an entry that take a value (``port``: curl's and Python's ``netrc`` accept it)."""
_NETRC_SECRET = frozenset({"password", "account"})


def netrc_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each ``password`` / ``account`` value of a ``.netrc`` entry that names a
    ``login``."""
    found: list[tuple[int, int]] = []
    pos = 0
    while (start := _NETRC_START.search(text, pos)) is not None:
        pos = start.end()
        login = False
        secrets: list[tuple[int, int]] = []
        while (key := _NETRC_TOKEN.match(text, pos)) is not None:
            word = key.group(1)
            if word not in _NETRC_KEYS:
                break  # another entry, a macro, or prose: the entry ends here
            value = _NETRC_TOKEN.match(text, key.end())
            if value is None:
                break
            pos = value.end()
            login = login or word == "login"
            if word in _NETRC_SECRET and not setting(value.group(1)):
                begin, end = value.span(1)
                if value.group(1).startswith('"') and end - begin >= 2:
                    begin, end = begin + 1, end - 1
                secrets.append((begin, end))
        if login:
            found.extend(secrets)
    return found


_FIELD = r"(?:[^\s:\\`'\"]|\\.)+"
_PGPASS = re.compile(
    rf"(?<![^\s`'\"(>])(?P<host>{_FIELD}):(?P<port>\*|[1-9][0-9]{{0,4}}):(?P<db>{_FIELD})"
    rf":(?P<user>{_FIELD}):(?P<password>(?:[^\s\\`'\"]|\\.)+)(?=[\s`'\")]|$)"
)
PGPASS_QUICK = r":(?:\*|[1-9][0-9]{0,4}):[^\s:]+:[^\s:]+:\S"
"""What a text holding a ``.pgpass`` line must hold (the rule's trigger pattern)."""
PGPASS_TRIGGERS = (":*", *(f":{d}" for d in "123456789"))
"""The port field's start: one of these is in every ``.pgpass`` line (a URL's ``://`` is not)."""
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_PG_PORTS = frozenset({"*", "6432", *(str(p) for p in range(5432, 5440))})


def _postgres(match: re.Match[str], text: str) -> bool:
    host, port, db, user = match.group("host", "port", "db", "user")
    if port != "*" and int(port) > 65535:
        return False
    return (
        host in ("*", "localhost")
        or "." in host.strip(".")
        or bool(_IPV4.fullmatch(host))
        or port in _PG_PORTS
        or "*" in (db, user)
        or "pgpass" in text.lower()
    )


def pgpass_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the password of each ``.pgpass`` line; a line that is one whole entry
    keeps its password to the line's end (libpq reads it so: spaces and all)."""
    found: list[tuple[int, int]] = []
    for match in _PGPASS.finditer(text):
        if not _postgres(match, text):
            continue
        start, end = match.span("password")
        line_start = text.rfind("\n", 0, match.start()) + 1
        if not text[line_start : match.start()].strip(" \t`"):
            line_end = text.find("\n", end)
            rest = text[end : line_end if line_end != -1 else len(text)]
            end += len(rest.rstrip().rstrip("`").rstrip())
        found.append((start, end))
    return found


PG_MD5 = r"(?<![\w$])md5[0-9a-f]{32}(?![0-9A-Za-z_])"
"""A PostgreSQL md5 password verifier: ``md5`` glued to 32 hex digits, md5 of the password and
the user name (PostgreSQL "Password Authentication"; ``pg_authid.rolpassword``; PgBouncer's
``auth_file``). Whoever holds it can log in as the user over md5 authentication, so it is a
password. A file's checksum (``md5sum`` prints the hex alone) has no ``md5`` glued to it."""
PG_SCRAM = r"SCRAM-SHA-256\$\d{1,7}:[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}:[A-Za-z0-9+/]+={0,2}"
"""A SCRAM-SHA-256 verifier as PostgreSQL stores it and PgBouncer's ``auth_file`` holds it:
``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`` (base64 parts; RFC 5803's shape)."""

USERLIST_WORDS = ("userlist", "auth_file", "pgbouncer")
"""A text naming one of these is about PgBouncer's ``auth_file`` (``userlist.txt``)."""
_USERLIST = re.compile(
    r'(?:^|(?<=[:`>])|(?<=[:`>][ \t]))[ \t]*"(?:[^"\s]|"")+"[ \t]+"((?:[^"\n]|"")+)"'
    r'(?=[ \t]*(?:$|[\s`]|"))',
    re.MULTILINE,
)
USERLIST_QUICK = r"(?i)userlist|auth_file|pgbouncer"
"""What a text holding an ``auth_file`` line must hold to be read as one (the rule's pattern)."""


def userlist_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the password field of each PgBouncer ``auth_file`` line in a text that
    names ``userlist``, ``auth_file`` or ``pgbouncer`` (PgBouncer "Authentication file format":
    ``"username" "password"`` per line, each field in double quotes, a ``"`` written ``""``,
    fields after the second ignored; the password plain, ``md5...`` or ``SCRAM-SHA-256$...``).
    A line is one only at its start or after a ``:``, backtick or ``>`` (a paste), so a quoted
    pair in the middle of a sentence is not."""
    low = text.lower()
    if not any(word in low for word in USERLIST_WORDS):
        return []
    return [match.span(1) for match in _USERLIST.finditer(text)]


__all__ = [
    "KIND",
    "PGPASS_QUICK",
    "PGPASS_TRIGGERS",
    "PG_MD5",
    "PG_SCRAM",
    "REDIS_AUTH",
    "REDIS_CONFIG_GET",
    "REDIS_DIRECTIVE",
    "REDIS_SENTINEL",
    "USERLIST_QUICK",
    "USERLIST_WORDS",
    "directive_spans",
    "directive_value",
    "netrc_spans",
    "pgpass_spans",
    "userlist_spans",
]
