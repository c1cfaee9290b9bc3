"""What a `rate_limit_url` says: which Redis topology, where, and how to talk to it.

The one reader of the store's URL: `make_client`, the CLI's `--rate-limit-url` and
`CLOSE_RATE_LIMIT_URL` all come here, and every message about a URL is written here, so
none of them can quote its password. The forms, as the `limits` library and redis-py
write them:

    redis://[[user]:password@]host[:port][/db]          one server
    rediss://...?ssl_ca_certs=/etc/ca.pem               the same over TLS
    unix://[[user]:password@]/path/to/socket[?db=N]      a local socket
    redis+sentinel://[[user]:password@]host:port[,host:port...]/service_name[?db=N]
    redis+cluster://[[user]:password@]host:port[,host:port...]

`rediss+sentinel://` and `rediss+cluster://` are the last two over TLS. The URL's password
authenticates to the Redis servers; Sentinel's own, where it has one, is the query option
`sentinel_password`. The other query options are redis-py's connection options:
`socket_timeout`, `socket_connect_timeout`, `health_check_interval`, `client_name`, and
with TLS `ssl_cert_reqs` (`none`, `optional`, `required`), `ssl_ca_certs`, `ssl_certfile`,
`ssl_keyfile` and `ssl_check_hostname`.

    >>> parse_store_url("redis+cluster://:pw@10.0.0.1:7000,10.0.0.2:7000").where
    'cluster 10.0.0.1:7000,10.0.0.2:7000'
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

__all__ = ["StoreUrl", "parse_store_url"]

Topology = Literal["standalone", "sentinel", "cluster"]

# scheme: (topology, TLS)
_SCHEMES: dict[str, tuple[Topology, bool]] = {
    "redis": ("standalone", False),
    "rediss": ("standalone", True),
    "unix": ("standalone", False),
    "redis+sentinel": ("sentinel", False),
    "rediss+sentinel": ("sentinel", True),
    "redis+cluster": ("cluster", False),
    "rediss+cluster": ("cluster", True),
}
_DEFAULT_PORT = {"standalone": 6379, "sentinel": 26379, "cluster": 6379}
_EXPECTED = (
    "expected redis://[[user]:password@]host[:port][/db], rediss://..., unix://path, "
    "redis+sentinel://host:port[,host:port...]/service_name or "
    "redis+cluster://host:port[,host:port...]"
)
_CERT_REQS = ("none", "optional", "required")
_HOST = re.compile(
    r"^(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9_.-]+))(?::(?P<port>.*))?$"
)


class _Refused(ValueError):
    """A problem with the URL, in words that quote no part of it but option names."""


def _seconds(value: str) -> float:
    seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError
    return seconds


def _interval(value: str) -> float:
    return 0.0 if float(value) == 0 else _seconds(value)


def _flag(value: str) -> bool:
    if value.lower() not in ("true", "false", "yes", "no", "1", "0"):
        raise ValueError
    return value.lower() in ("true", "yes", "1")


def _cert_reqs(value: str) -> str:
    if value.lower() not in _CERT_REQS:
        raise ValueError
    return value.lower()


_OPTIONS: dict[str, Callable[[str], Any]] = {
    "socket_timeout": _seconds,
    "socket_connect_timeout": _seconds,
    "health_check_interval": _interval,
    "client_name": str,
}
_TLS_OPTIONS: dict[str, Callable[[str], Any]] = {
    "ssl_cert_reqs": _cert_reqs,
    "ssl_ca_certs": str,
    "ssl_certfile": str,
    "ssl_keyfile": str,
    "ssl_check_hostname": _flag,
}


@attrs.frozen
class StoreUrl:
    """A parsed `rate_limit_url`. Its repr shows no credential.

    `hosts` are the server (standalone), the Sentinels, or the cluster's seed nodes;
    `path` a unix socket's. `options` are redis-py connection options from the query.
    """

    topology: Topology
    tls: bool
    hosts: tuple[tuple[str, int], ...]
    path: str | None = None
    db: int = 0
    service: str | None = None
    username: str | None = attrs.field(default=None, repr=False)
    password: str | None = attrs.field(default=None, repr=False)
    sentinel_password: str | None = attrs.field(default=None, repr=False)
    options: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def where(self) -> str:
        """The store for log lines: its topology, hosts or socket, never a credential."""
        if self.path is not None:
            return self.path
        hosts = ",".join(f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h, p in self.hosts)
        if self.topology == "sentinel":
            return f"sentinel {hosts} ({self.service})"
        return f"cluster {hosts}" if self.topology == "cluster" else hosts


def parse_store_url(url: str, name: str = "rate_limit_url") -> StoreUrl:
    """Read a store URL, or raise `ValueError` naming `name` and the problem.

    The message never quotes the URL (it may hold a password), only option names.

    >>> parse_store_url("redis://localhost:6379/2").db
    2
    >>> parse_store_url("redis+sentinel://h:26379")
    Traceback (most recent call last):
    ...
    ValueError: rate_limit_url is not a Redis URL: a Sentinel URL names its service ...
    """
    if not isinstance(url, str):
        raise TypeError(f"{name} must be a str, got {type(url).__name__}")
    try:
        return _parse(url)
    except _Refused as exc:
        problem = str(exc)
    password = _password_of(url)
    if password and password in problem:  # an option named like the password, say
        problem = "it is malformed"
    raise ValueError(f"{name} is not a Redis URL: {problem}; {_EXPECTED}") from None


def _parse(url: str) -> StoreUrl:
    try:
        parts = urlsplit(url)
    except ValueError:
        raise _Refused("it is malformed") from None
    if parts.scheme.lower() not in _SCHEMES:
        raise _Refused("its scheme is not one of " + ", ".join(f"{s}://" for s in _SCHEMES))
    scheme = parts.scheme.lower()
    topology, tls = _SCHEMES[scheme]
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    options = _query(parts.query, tls=tls, topology=topology)
    db = options.pop("db", 0)
    sentinel_password = options.pop("sentinel_password", None)
    fields: dict[str, Any] = {
        "topology": topology,
        "tls": tls,
        "username": unquote(username) or None,
        "password": unquote(password) or None,
        "sentinel_password": sentinel_password,
        "options": options,
    }
    if scheme == "unix":
        if not parts.path:
            raise _Refused("it names no socket path")
        return StoreUrl(hosts=(), path=unquote(parts.path), db=db, **fields)
    hosts = _hosts(hostinfo, _DEFAULT_PORT[topology], many=topology != "standalone")
    path = unquote(parts.path).strip("/")
    if topology == "sentinel":
        if not path:
            raise _Refused("a Sentinel URL names its service (.../service_name)")
        return StoreUrl(hosts=hosts, db=db, service=path, **fields)
    if topology == "cluster":
        if path not in ("", "0") or db != 0:
            raise _Refused("a cluster has only database 0")
        return StoreUrl(hosts=hosts, **fields)
    if path:
        if not path.isdigit():
            raise _Refused("its database (the path) is not a number")
        db = int(path)
    return StoreUrl(hosts=hosts, db=db, **fields)


def _hosts(hostinfo: str, default_port: int, *, many: bool) -> tuple[tuple[str, int], ...]:
    entries = hostinfo.split(",") if many else [hostinfo]
    if not all(entries):
        raise _Refused("it names no host")
    hosts = []
    for entry in entries:
        match = _HOST.match(entry)
        if match is None:
            raise _Refused("a host name is malformed")
        port = match["port"]
        if port is not None and not (port.isdigit() and 0 < int(port) < 65536):
            raise _Refused("a port is not a number from 1 to 65535")
        hosts.append((match["ipv6"] or match["name"], int(port) if port else default_port))
    return tuple(hosts)


def _query(query: str, *, tls: bool, topology: Topology) -> dict[str, Any]:
    known = dict(_OPTIONS)
    if tls:
        known |= _TLS_OPTIONS
    if topology != "cluster":
        known["db"] = int
    if topology == "sentinel":
        known["sentinel_password"] = str
    options: dict[str, Any] = {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise _Refused("its query is malformed") from None
    for key, value in pairs:
        if key not in known:
            where = "with rediss:// only" if key in _TLS_OPTIONS else "not an option here"
            raise _Refused(f"query option {key!r} is {where} (known: {', '.join(known)})")
        if key in options:
            raise _Refused(f"query option {key!r} is given twice")
        try:
            options[key] = known[key](value)
        except ValueError:
            allowed = f" (one of {', '.join(_CERT_REQS)})" if key == "ssl_cert_reqs" else ""
            raise _Refused(f"query option {key!r} has a bad value{allowed}") from None
        if key == "db" and options[key] < 0:
            raise _Refused("query option 'db' has a bad value")
    return options


def _password_of(url: str) -> str:
    """The password in `url`, as far as it can be told, to keep it out of messages."""
    userinfo = url.partition("://")[2].partition("/")[0].rpartition("@")[0]
    return unquote(userinfo.partition(":")[2])
