from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.bulk_sequence_subscription_list import BulkSequenceSubscriptionList
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    skip: int | Unset = 0,
    limit: int | Unset = 100,
    fields: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["_skip"] = skip

    params["_limit"] = limit

    params["_fields"] = fields

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/bulk_action/sequence_subscription/",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> BulkSequenceSubscriptionList:
    if response.status_code == 200:
        try:
            response_200 = BulkSequenceSubscriptionList.from_dict(response.json())

        except (KeyError, TypeError, ValueError) as exc:
            raise errors.body_error(response, exc) from exc
        return response_200

    raise errors.UnexpectedStatus(response.status_code, response.content)


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[BulkSequenceSubscriptionList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    skip: int | Unset = 0,
    limit: int | Unset = 100,
    fields: str | Unset = UNSET,
) -> Response[BulkSequenceSubscriptionList]:
    """List bulk sequence subscriptions

    Args:
        skip (int | Unset):  Default: 0.
        limit (int | Unset):  Default: 100.
        fields (str | Unset):

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
        Response[BulkSequenceSubscriptionList]
    """

    kwargs = _get_kwargs(
        skip=skip,
        limit=limit,
        fields=fields,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    skip: int | Unset = 0,
    limit: int | Unset = 100,
    fields: str | Unset = UNSET,
) -> BulkSequenceSubscriptionList:
    """List bulk sequence subscriptions

    Args:
        skip (int | Unset):  Default: 0.
        limit (int | Unset):  Default: 100.
        fields (str | Unset):

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
        BulkSequenceSubscriptionList
    """

    parsed = sync_detailed(
        client=client,
        skip=skip,
        limit=limit,
        fields=fields,
    ).parsed
    assert parsed is not None  # _parse_response raises rather than returning None
    return parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    skip: int | Unset = 0,
    limit: int | Unset = 100,
    fields: str | Unset = UNSET,
) -> Response[BulkSequenceSubscriptionList]:
    """List bulk sequence subscriptions

    Args:
        skip (int | Unset):  Default: 0.
        limit (int | Unset):  Default: 100.
        fields (str | Unset):

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
        Response[BulkSequenceSubscriptionList]
    """

    kwargs = _get_kwargs(
        skip=skip,
        limit=limit,
        fields=fields,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    skip: int | Unset = 0,
    limit: int | Unset = 100,
    fields: str | Unset = UNSET,
) -> BulkSequenceSubscriptionList:
    """List bulk sequence subscriptions

    Args:
        skip (int | Unset):  Default: 0.
        limit (int | Unset):  Default: 100.
        fields (str | Unset):

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
        BulkSequenceSubscriptionList
    """

    parsed = (
        await asyncio_detailed(
            client=client,
            skip=skip,
            limit=limit,
            fields=fields,
        )
    ).parsed
    assert parsed is not None  # _parse_response raises rather than returning None
    return parsed
