from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.sequence_subscription import SequenceSubscription
from ...models.sequence_subscription_create import SequenceSubscriptionCreate
from ...types import Response


def _get_kwargs(
    *,
    body: SequenceSubscriptionCreate,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/sequence_subscription/",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> SequenceSubscription:
    if response.status_code == 201:
        try:
            response_201 = SequenceSubscription.from_dict(response.json())

        except (KeyError, TypeError, ValueError) as exc:
            raise errors.body_error(response, exc) from exc
        return response_201

    raise errors.UnexpectedStatus(response.status_code, response.content)


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[SequenceSubscription]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: SequenceSubscriptionCreate,
) -> Response[SequenceSubscription]:
    """Subscribe a contact to a sequence

    Args:
        body (SequenceSubscriptionCreate): The body that subscribes one contact to a sequence.

    Raises:
        close_seq_ext.APIStatusError: Through a client from `close_seq_ext.make_client`, for any
            error status (a subclass per status), after retries.
        errors.UnexpectedStatus: Through a hand-built client, for any status that is not a
            documented success.
        httpx.TimeoutException: Through a hand-built client, if the request takes longer than Client.timeout.
        close_seq_ext.APIResponseValidationError: Through a client from `make_client`, for a success
            whose body is not the JSON its model needs.
        errors.UnexpectedBody: The same, through a hand-built client.

    Returns:
        Response[SequenceSubscription]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: SequenceSubscriptionCreate,
) -> SequenceSubscription:
    """Subscribe a contact to a sequence

    Args:
        body (SequenceSubscriptionCreate): The body that subscribes one contact to a sequence.

    Raises:
        close_seq_ext.APIStatusError: Through a client from `close_seq_ext.make_client`, for any
            error status (a subclass per status), after retries.
        errors.UnexpectedStatus: Through a hand-built client, for any status that is not a
            documented success.
        httpx.TimeoutException: Through a hand-built client, if the request takes longer than Client.timeout.
        close_seq_ext.APIResponseValidationError: Through a client from `make_client`, for a success
            whose body is not the JSON its model needs.
        errors.UnexpectedBody: The same, through a hand-built client.

    Returns:
        SequenceSubscription
    """

    parsed = sync_detailed(
        client=client,
        body=body,
    ).parsed
    assert parsed is not None  # _parse_response raises rather than returning None
    return parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: SequenceSubscriptionCreate,
) -> Response[SequenceSubscription]:
    """Subscribe a contact to a sequence

    Args:
        body (SequenceSubscriptionCreate): The body that subscribes one contact to a sequence.

    Raises:
        close_seq_ext.APIStatusError: Through a client from `close_seq_ext.make_client`, for any
            error status (a subclass per status), after retries.
        errors.UnexpectedStatus: Through a hand-built client, for any status that is not a
            documented success.
        httpx.TimeoutException: Through a hand-built client, if the request takes longer than Client.timeout.
        close_seq_ext.APIResponseValidationError: Through a client from `make_client`, for a success
            whose body is not the JSON its model needs.
        errors.UnexpectedBody: The same, through a hand-built client.

    Returns:
        Response[SequenceSubscription]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: SequenceSubscriptionCreate,
) -> SequenceSubscription:
    """Subscribe a contact to a sequence

    Args:
        body (SequenceSubscriptionCreate): The body that subscribes one contact to a sequence.

    Raises:
        close_seq_ext.APIStatusError: Through a client from `close_seq_ext.make_client`, for any
            error status (a subclass per status), after retries.
        errors.UnexpectedStatus: Through a hand-built client, for any status that is not a
            documented success.
        httpx.TimeoutException: Through a hand-built client, if the request takes longer than Client.timeout.
        close_seq_ext.APIResponseValidationError: Through a client from `make_client`, for a success
            whose body is not the JSON its model needs.
        errors.UnexpectedBody: The same, through a hand-built client.

    Returns:
        SequenceSubscription
    """

    parsed = (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
    assert parsed is not None  # _parse_response raises rather than returning None
    return parsed
