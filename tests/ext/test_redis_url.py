"""`rate_limit_url`: every topology's URL read by one parser, every bad one refused clearly.

A refused URL is a `ValueError` that names `rate_limit_url` and the problem and never
quotes the password; the same messages reach the CLI (`--rate-limit-url`) and
`CLOSE_RATE_LIMIT_URL`.
"""

from __future__ import annotations

import doctest

import pytest

from close_seq_ext import _redis_url, make_client
from close_seq_ext._redis_connect import _build
from close_seq_ext._redis_url import parse_store_url
from tests.ext.fakes import API_KEY

SECRET = "hunter2"


def test_a_plain_url_names_one_server_its_database_and_credentials() -> None:
    url = parse_store_url(f"redis://app:{SECRET}@cache.internal:6380/3")
    assert (url.topology, url.tls, url.hosts, url.db) == (
        "standalone",
        False,
        (("cache.internal", 6380),),
        3,
    )
    assert (url.username, url.password) == ("app", SECRET)


def test_rediss_is_tls_with_redis_pys_ssl_options() -> None:
    url = parse_store_url("rediss://cache:6379/0?ssl_cert_reqs=required&ssl_ca_certs=/etc/ca.pem")
    assert url.tls
    assert url.options == {"ssl_cert_reqs": "required", "ssl_ca_certs": "/etc/ca.pem"}


def test_a_unix_url_names_its_socket_and_database() -> None:
    url = parse_store_url(f"unix://:{SECRET}@/run/valkey.sock?db=2")
    assert (url.path, url.db, url.password, url.hosts) == ("/run/valkey.sock", 2, SECRET, ())


def test_a_sentinel_url_names_its_sentinels_service_and_both_passwords() -> None:
    url = parse_store_url(
        f"redis+sentinel://:{SECRET}@s1:26379,s2,[::1]:26380/mymaster?db=1&sentinel_password=s3"
    )
    assert url.topology == "sentinel"
    assert url.hosts == (("s1", 26379), ("s2", 26379), ("::1", 26380))
    assert (url.service, url.db, url.password, url.sentinel_password) == (
        "mymaster",
        1,
        SECRET,
        "s3",
    )


def test_a_cluster_url_names_its_seed_nodes() -> None:
    url = parse_store_url("rediss+cluster://10.0.0.1:7000,10.0.0.2:7001?socket_timeout=0.2")
    assert (url.topology, url.tls) == ("cluster", True)
    assert url.hosts == (("10.0.0.1", 7000), ("10.0.0.2", 7001))
    assert url.options == {"socket_timeout": 0.2}


def test_where_and_repr_name_the_store_without_its_passwords() -> None:
    url = parse_store_url(f"redis+sentinel://u:{SECRET}@s1:1,s2:2/svc?sentinel_password={SECRET}x")
    assert url.where == "sentinel s1:1,s2:2 (svc)"
    assert SECRET not in repr(url)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (f"http://:{SECRET}@cache:6379/0", "scheme"),
        (f"{SECRET}:{SECRET}@cache", "scheme"),
        (SECRET, "scheme"),
        ("", "scheme"),
        (f"redis://:{SECRET}@/0", "no host"),
        (f"redis+cluster://:{SECRET}@a:1,,b:2", "no host"),
        (f"redis://:{SECRET}@cache:port/0", "port"),
        (f"redis://:{SECRET}@cache:70000/0", "port"),
        (f"redis+cluster://:{SECRET}@a:1,b:x", "port"),
        (f"redis+sentinel://:{SECRET}@s1:26379,s2:26379", "service"),
        (f"redis+sentinel://:{SECRET}@s1:26379/", "service"),
        (f"redis://:{SECRET}@cache/zero", "database"),
        (f"redis+cluster://:{SECRET}@a:1/2", "only database 0"),
        (f"rediss://:{SECRET}@cache?ssl_cert_reqs=maybe", "ssl_cert_reqs"),
        (f"redis://:{SECRET}@cache?ssl_ca_certs=/ca.pem", "rediss://"),
        (f"redis://:{SECRET}@cache?socket_timeout=inf", "socket_timeout"),
        (f"redis://:{SECRET}@cache?socket_timeout=0", "socket_timeout"),
        (f"redis://:{SECRET}@cache?retry_forever=1", "retry_forever"),
        (f"redis://:{SECRET}@cache?db=1&db=2", "twice"),
        (f"redis://:{SECRET}@cache?sentinel_password=x", "sentinel_password"),
        (f"unix://:{SECRET}@", "socket path"),
    ],
)
def test_a_bad_url_is_a_value_error_naming_the_problem_not_the_password(
    url: str, problem: str
) -> None:
    with pytest.raises(ValueError, match="rate_limit_url is not a Redis URL") as caught:
        make_client(API_KEY, rate_limit_url=url)
    assert problem in str(caught.value)
    assert SECRET not in str(caught.value)
    assert caught.value.__cause__ is None


def test_an_option_named_like_the_password_is_not_quoted() -> None:
    with pytest.raises(ValueError, match="rate_limit_url") as caught:
        parse_store_url(f"redis://:{SECRET}@cache?{SECRET}=1")
    assert SECRET not in str(caught.value)


def test_the_message_names_the_setting_it_was_given_as() -> None:
    with pytest.raises(ValueError, match="--rate-limit-url is not a Redis URL"):
        parse_store_url("redis+sentinel://s1", "--rate-limit-url")


def test_a_url_that_is_not_text_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="rate_limit_url must be a str"):
        parse_store_url(b"redis://cache")  # type: ignore[arg-type]


def test_the_examples_in_the_parsers_docstrings_hold() -> None:
    result = doctest.testmod(_redis_url, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_tls_reaches_the_servers_and_the_sentinels_of_rediss_sentinel() -> None:
    # No TLS-enabled Valkey here to run it against: what the URL asks must reach redis-py.
    url = parse_store_url("rediss+sentinel://:pw@127.0.0.1:1/svc?ssl_ca_certs=/ca.pem")
    master, (sentinel,) = _build(url, 0.05, asynchronous=True)
    assert master.connection_pool.connection_class.__name__ == "SentinelManagedSSLConnection"
    assert master.connection_pool.connection_kwargs["ssl_ca_certs"] == "/ca.pem"
    assert sentinel.connection_pool.connection_class.__name__ == "SSLConnection"


def test_tls_reaches_every_node_of_rediss_cluster() -> None:
    url = parse_store_url("rediss+cluster://127.0.0.1:1,127.0.0.1:2?ssl_cert_reqs=none")
    cluster, _ = _build(url, 0.05, asynchronous=True)  # the async client connects lazily
    assert cluster.connection_kwargs["connection_class"].__name__ == "SSLConnection"
    assert cluster.connection_kwargs["ssl_cert_reqs"] == "none"
