from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.sequence_subscription_list import SequenceSubscriptionList
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    sequence_id: str | Unset = UNSET,
    contact_id: str | Unset = UNSET,
    lead_id: str | Unset = UNSET,
    skip: int | Unset = 0,
    limit: int | Unset = 100,
    fields: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["sequence_id"] = sequence_id

    params["contact_id"] = contact_id

    params["lead_id"] = lead_id

    params["_skip"] = skip

    params["_limit"] = limit

    params["_fields"] = fields

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/sequence_subscription/",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> SequenceSubscriptionList:
    if response.status_code == 200:
        try:
            response_200 = SequenceSubscriptionList.from_dict(response.json())

        except (KeyError, TypeError, ValueError) as exc:
            raise errors.body_error(response, exc) from exc
        return response_200

    raise errors.UnexpectedStatus(response.status_code, response.content)


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[SequenceSubscriptionList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    sequence_id: str | Unset = UNSET,
    contact_id: str | Unset = UNSET,
    lead_id: str | Unset = UNSET,
    skip: int | Unset = 0,
    limit: int | Unset = 100,
    fields: str | Unset = UNSET,
) -> Response[SequenceSubscriptionList]:
    """List sequence subscriptions

     At least one of `sequence_id`, `contact_id` and `lead_id` is required; without any the answer is
    400.

    Args:
        sequence_id (str | Unset):
        contact_id (str | Unset):
        lead_id (str | Unset):
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
        Response[SequenceSubscriptionList]
    """

    kwargs = _get_kwargs(
        sequence_id=sequence_id,
        contact_id=contact_id,
        lead_id=lead_id,
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
    sequence_id: str | Unset = UNSET,
    contact_id: str | Unset = UNSET,
    lead_id: str | Unset = UNSET,
    skip: int | Unset = 0,
    limit: int | Unset = 100,
    fields: str | Unset = UNSET,
) -> SequenceSubscriptionList:
    """List sequence subscriptions

     At least one of `sequence_id`, `contact_id` and `lead_id` is required; without any the answer is
    400.

    Args:
        sequence_id (str | Unset):
        contact_id (str | Unset):
        lead_id (str | Unset):
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
        SequenceSubscriptionList
    """

    parsed = sync_detailed(
        client=client,
        sequence_id=sequence_id,
        contact_id=contact_id,
        lead_id=lead_id,
        skip=skip,
        limit=limit,
        fields=fields,
    ).parsed
    assert parsed is not None  # _parse_response raises rather than returning None
    return parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    sequence_id: str | Unset = UNSET,
    contact_id: str | Unset = UNSET,
    lead_id: str | Unset = UNSET,
    skip: int | Unset = 0,
    limit: int | Unset = 100,
    fields: str | Unset = UNSET,
) -> Response[SequenceSubscriptionList]:
    """List sequence subscriptions

     At least one of `sequence_id`, `contact_id` and `lead_id` is required; without any the answer is
    400.

    Args:
        sequence_id (str | Unset):
        contact_id (str | Unset):
        lead_id (str | Unset):
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
        Response[SequenceSubscriptionList]
    """

    kwargs = _get_kwargs(
        sequence_id=sequence_id,
        contact_id=contact_id,
        lead_id=lead_id,
        skip=skip,
        limit=limit,
        fields=fields,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    sequence_id: str | Unset = UNSET,
    contact_id: str | Unset = UNSET,
    lead_id: str | Unset = UNSET,
    skip: int | Unset = 0,
    limit: int | Unset = 100,
    fields: str | Unset = UNSET,
) -> SequenceSubscriptionList:
    """List sequence subscriptions

     At least one of `sequence_id`, `contact_id` and `lead_id` is required; without any the answer is
    400.

    Args:
        sequence_id (str | Unset):
        contact_id (str | Unset):
        lead_id (str | Unset):
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
        SequenceSubscriptionList
    """

    parsed = (
        await asyncio_detailed(
            client=client,
            sequence_id=sequence_id,
            contact_id=contact_id,
            lead_id=lead_id,
            skip=skip,
            limit=limit,
            fields=fields,
        )
    ).parsed
    assert parsed is not None  # _parse_response raises rather than returning None
    return parsed
