"""make_client: credentials, timeouts, User-Agent, safety checks, and the secret kept secret."""

from __future__ import annotations

import base64
import logging

import httpx
import pytest

import close_seq_ext
from close_seq_ext import MissingCredentialsError, NotFoundError, make_client
from close_sequences import Client
from close_sequences.api.sequences import get_sequence
from tests.ext.fakes import API_KEY, scripted_client, sequence_json

OK = httpx.Response(200, json=sequence_json())


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLOSE_API_KEY", raising=False)
    monkeypatch.delenv("CLOSE_OAUTH_TOKEN", raising=False)
    monkeypatch.delenv("CLOSE_BASE_URL", raising=False)


def sent_authorization(client: Client, script_requests: list[httpx.Request]) -> str:
    get_sequence.sync("seq_1", client=client)
    return script_requests[-1].headers["Authorization"]


def env_client(requests: list[httpx.Request]) -> Client:
    return make_client(transport=httpx.MockTransport(lambda r: requests.append(r) or OK))


def test_it_returns_the_generated_client() -> None:
    assert isinstance(make_client(API_KEY), Client)


def test_an_api_key_is_sent_as_the_basic_auth_username_with_an_empty_password() -> None:
    client, script = scripted_client(OK)
    header = sent_authorization(client, script.requests)
    assert header == "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()


def test_an_oauth_token_is_sent_as_a_bearer_token() -> None:
    script_requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        script_requests.append(request)
        return OK

    client = make_client(oauth_token="tok_abc", transport=httpx.MockTransport(handler))
    assert sent_authorization(client, script_requests) == "Bearer tok_abc"


def test_close_api_key_is_read_when_no_credential_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLOSE_API_KEY", "env_key")
    requests: list[httpx.Request] = []
    expected = "Basic " + base64.b64encode(b"env_key:").decode()
    assert sent_authorization(env_client(requests), requests) == expected


def test_close_oauth_token_is_read_when_no_credential_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLOSE_OAUTH_TOKEN", "env_token")
    requests: list[httpx.Request] = []
    assert sent_authorization(env_client(requests), requests) == "Bearer env_token"


def test_with_both_variables_set_the_oauth_token_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOSE_API_KEY", "env_key")
    monkeypatch.setenv("CLOSE_OAUTH_TOKEN", "env_token")
    requests: list[httpx.Request] = []
    assert sent_authorization(env_client(requests), requests) == "Bearer env_token"


def test_a_given_key_wins_over_close_oauth_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOSE_OAUTH_TOKEN", "env_token")
    client, script = scripted_client(OK)
    assert sent_authorization(client, script.requests).startswith("Basic ")


def test_a_malformed_close_oauth_token_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLOSE_OAUTH_TOKEN", "tok en\n")
    with pytest.raises(ValueError, match="CLOSE_OAUTH_TOKEN contains whitespace"):
        make_client()


def test_no_credential_at_all_is_a_clear_error_naming_both_variables() -> None:
    with pytest.raises(MissingCredentialsError, match="CLOSE_API_KEY or CLOSE_OAUTH_TOKEN"):
        make_client()


def test_the_missing_credentials_error_is_a_close_error_and_a_value_error() -> None:
    assert issubclass(MissingCredentialsError, close_seq_ext.CloseError)
    assert issubclass(MissingCredentialsError, ValueError)


def test_both_a_key_and_a_token_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        make_client("k", oauth_token="t")


@pytest.mark.parametrize("key", ["", "   ", "s3cr3t\n", "s3cr3t\r\nX-Evil: 1", " s3cr3t"])
def test_an_empty_or_malformed_key_is_refused_without_echoing_it(key: str) -> None:
    with pytest.raises(ValueError, match="api_key") as caught:
        make_client(key)
    if key.strip():
        assert key.strip() not in str(caught.value)


def test_an_empty_close_api_key_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOSE_API_KEY", "")
    with pytest.raises(MissingCredentialsError, match="CLOSE_API_KEY"):
        make_client()


def test_a_malformed_key_in_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLOSE_API_KEY", " s3cr3t")
    with pytest.raises(ValueError, match="CLOSE_API_KEY contains whitespace") as caught:
        make_client()
    assert "s3cr3t" not in str(caught.value)


def test_the_base_url_is_close_by_default() -> None:
    assert make_client(API_KEY).get_async_httpx_client().base_url == "https://api.close.com"


def test_close_base_url_points_the_client_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOSE_BASE_URL", "http://127.0.0.1:8000")
    assert make_client(API_KEY).get_httpx_client().base_url == "http://127.0.0.1:8000"


def test_an_explicit_base_url_wins_over_close_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOSE_BASE_URL", "http://127.0.0.1:8000")
    client = make_client(API_KEY, base_url="https://close.example")
    assert client.get_httpx_client().base_url == "https://close.example"


def test_the_timeout_is_explicit_by_default() -> None:
    timeout = make_client(API_KEY).get_async_httpx_client().timeout
    assert timeout.read == 30.0
    assert timeout.connect == 10.0


def test_a_number_sets_every_timeout() -> None:
    timeout = make_client(API_KEY, timeout=5).get_httpx_client().timeout
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (5, 5, 5, 5)


def test_the_user_agent_names_the_package_and_version() -> None:
    client, script = scripted_client(OK)
    get_sequence.sync("seq_1", client=client)
    assert (
        script.requests[0]
        .headers["User-Agent"]
        .startswith(f"close-sequences/{close_seq_ext.__version__} ")
    )


@pytest.mark.anyio
async def test_async_with_closes_the_async_connections() -> None:
    client, _ = scripted_client(OK)
    async with client:
        await get_sequence.asyncio("seq_1", client=client)
    assert client.get_async_httpx_client().is_closed


def test_with_closes_the_sync_connections() -> None:
    client, _ = scripted_client(OK)
    with client:
        get_sequence.sync("seq_1", client=client)
    assert client.get_httpx_client().is_closed


@pytest.mark.parametrize(
    "base_url", ["http://api.close.com", "http://10.0.0.5:8000", "http://example.test"]
)
def test_plain_http_to_another_host_is_refused(base_url: str) -> None:
    with pytest.raises(ValueError, match="plain http"):
        make_client(API_KEY, base_url=base_url)


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:8000", "http://localhost:1234", "http://[::1]:80"]
)
def test_plain_http_to_this_machine_is_allowed(base_url: str) -> None:
    make_client(API_KEY, base_url=base_url)


def test_plain_http_elsewhere_is_allowed_when_asked_for() -> None:
    make_client(API_KEY, base_url="http://proxy.internal", allow_insecure_http=True)


def test_credentials_in_the_base_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(ValueError, match="must not carry credentials") as caught:
        make_client(API_KEY, base_url="https://secretkey:@api.close.com")
    assert "secretkey" not in str(caught.value)


@pytest.mark.parametrize("base_url", ["https:evil.com", "https://", "http:/127.0.0.1"])
def test_a_base_url_without_a_host_is_refused_before_any_request(base_url: str) -> None:
    with pytest.raises(ValueError, match=r"^base_url has no host; write it as https://host$"):
        make_client(API_KEY, base_url=base_url)


@pytest.mark.parametrize("base_url", ["ftp://api.close.com", "api.close.com"])
def test_a_base_url_that_is_not_http_is_refused(base_url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        make_client(API_KEY, base_url=base_url)


@pytest.mark.parametrize(
    ("path_id", "expected_path"),
    [
        ("../../user/me", "/api/v1/sequence/..%2F..%2Fuser%2Fme/"),
        ("seq_1?_fields=x", "/api/v1/sequence/seq_1%3F_fields%3Dx/"),
        ("a/b", "/api/v1/sequence/a%2Fb/"),
    ],
)
def test_a_path_id_is_percent_encoded_never_another_endpoint(
    path_id: str, expected_path: str
) -> None:
    client, script = scripted_client(OK)
    get_sequence.sync(path_id, client=client)
    assert script.requests[0].url.raw_path.decode() == expected_path


def test_no_repr_shows_the_key() -> None:
    client = make_client(API_KEY)
    for shown in (
        repr(client),
        repr(client.get_httpx_client()),
        repr(client.get_async_httpx_client()),
        repr(client.get_httpx_client().auth),
        repr(vars(client.get_httpx_client())),
    ):
        assert API_KEY not in shown
        assert base64.b64encode(f"{API_KEY}:".encode()).decode() not in shown


def test_error_texts_reprs_and_logs_never_show_the_key(caplog: pytest.LogCaptureFixture) -> None:
    encoded = base64.b64encode(f"{API_KEY}:".encode()).decode()
    client, _ = scripted_client(
        httpx.Response(503), httpx.Response(404, json={"error": "Gone"}), max_retries=1
    )
    caplog.set_level(logging.DEBUG)
    with pytest.raises(NotFoundError) as caught:
        get_sequence.sync("seq_1", client=client)
    exc = caught.value
    shown = [str(exc), repr(exc), repr(exc.response), repr(exc.response.request)]
    shown.append(repr(exc.response.request.headers))
    shown += [record.getMessage() for record in caplog.records]
    assert any("retrying GET /api/v1/sequence/seq_1/" in text for text in shown)
    for text in shown:
        assert API_KEY not in text
        assert encoded not in text


@pytest.mark.parametrize(
    ("tz_offset", "error"),
    [
        ("5", TypeError),
        (True, TypeError),
        (14.5, ValueError),
        (-13, ValueError),
        (float("nan"), ValueError),
    ],
    ids=repr,
)
def test_a_bad_tz_offset_is_an_error_naming_it(tz_offset: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="tz_offset"):
        make_client(API_KEY, tz_offset=tz_offset)  # type: ignore[arg-type]
