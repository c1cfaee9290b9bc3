from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.sequence_subscription import SequenceSubscription
from ...models.sequence_subscription_update import SequenceSubscriptionUpdate
from ...types import Response


def _get_kwargs(
    id: str,
    *,
    body: SequenceSubscriptionUpdate,
) -> dict[str, Any]:
    if not isinstance(id, str):
        raise TypeError(f"id must be a str, not {type(id).__name__}")
    if id in ("", ".", ".."):
        raise ValueError(
            f"id {id!r} is not an id: the request would reach another endpoint"
        )
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/api/v1/sequence_subscription/{id}/".format(
            id=quote(str(id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> SequenceSubscription:
    if response.status_code == 200:
        try:
            response_200 = SequenceSubscription.from_dict(response.json())

        except (KeyError, TypeError, ValueError) as exc:
            raise errors.body_error(response, exc) from exc
        return response_200

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
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: SequenceSubscriptionUpdate,
) -> Response[SequenceSubscription]:
    """Update a sequence subscription

     Partial update. `{"status": "paused"}` pauses it with `status_reason` `manual`;
    setting `active` needs a plan with workflow runs, otherwise the answer is 400 (Close's
    docs; not the 402 of a plan limit elsewhere).

    Args:
        id (str):
        body (SequenceSubscriptionUpdate): Only the fields sent change.

    Raises:
        close_seq_ext.APIStatusError: Through a client from `close_seq_ext.make_client`, for any
            error status (a subclass per status), after retries.
        errors.UnexpectedStatus: Through a hand-built client, for any status that is not a
            documented success.
        httpx.TimeoutException: Through a hand-built client, if the request takes longer than Client.timeout.
        close_seq_ext.APIResponseValidationError: Through a client from `make_client`, for a success
            whose body is not the JSON its model needs.
        errors.UnexpectedBody: The same, through a hand-built client.
        TypeError: A path id that is not a `str`, before any request.
        ValueError: A path id that is empty, `.` or `..`, before any request.

    Returns:
        Response[SequenceSubscription]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: SequenceSubscriptionUpdate,
) -> SequenceSubscription:
    """Update a sequence subscription

     Partial update. `{"status": "paused"}` pauses it with `status_reason` `manual`;
    setting `active` needs a plan with workflow runs, otherwise the answer is 400 (Close's
    docs; not the 402 of a plan limit elsewhere).

    Args:
        id (str):
        body (SequenceSubscriptionUpdate): Only the fields sent change.

    Raises:
        close_seq_ext.APIStatusError: Through a client from `close_seq_ext.make_client`, for any
            error status (a subclass per status), after retries.
        errors.UnexpectedStatus: Through a hand-built client, for any status that is not a
            documented success.
        httpx.TimeoutException: Through a hand-built client, if the request takes longer than Client.timeout.
        close_seq_ext.APIResponseValidationError: Through a client from `make_client`, for a success
            whose body is not the JSON its model needs.
        errors.UnexpectedBody: The same, through a hand-built client.
        TypeError: A path id that is not a `str`, before any request.
        ValueError: A path id that is empty, `.` or `..`, before any request.

    Returns:
        SequenceSubscription
    """

    parsed = sync_detailed(
        id=id,
        client=client,
        body=body,
    ).parsed
    assert parsed is not None  # _parse_response raises rather than returning None
    return parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: SequenceSubscriptionUpdate,
) -> Response[SequenceSubscription]:
    """Update a sequence subscription

     Partial update. `{"status": "paused"}` pauses it with `status_reason` `manual`;
    setting `active` needs a plan with workflow runs, otherwise the answer is 400 (Close's
    docs; not the 402 of a plan limit elsewhere).

    Args:
        id (str):
        body (SequenceSubscriptionUpdate): Only the fields sent change.

    Raises:
        close_seq_ext.APIStatusError: Through a client from `close_seq_ext.make_client`, for any
            error status (a subclass per status), after retries.
        errors.UnexpectedStatus: Through a hand-built client, for any status that is not a
            documented success.
        httpx.TimeoutException: Through a hand-built client, if the request takes longer than Client.timeout.
        close_seq_ext.APIResponseValidationError: Through a client from `make_client`, for a success
            whose body is not the JSON its model needs.
        errors.UnexpectedBody: The same, through a hand-built client.
        TypeError: A path id that is not a `str`, before any request.
        ValueError: A path id that is empty, `.` or `..`, before any request.

    Returns:
        Response[SequenceSubscription]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: SequenceSubscriptionUpdate,
) -> SequenceSubscription:
    """Update a sequence subscription

     Partial update. `{"status": "paused"}` pauses it with `status_reason` `manual`;
    setting `active` needs a plan with workflow runs, otherwise the answer is 400 (Close's
    docs; not the 402 of a plan limit elsewhere).

    Args:
        id (str):
        body (SequenceSubscriptionUpdate): Only the fields sent change.

    Raises:
        close_seq_ext.APIStatusError: Through a client from `close_seq_ext.make_client`, for any
            error status (a subclass per status), after retries.
        errors.UnexpectedStatus: Through a hand-built client, for any status that is not a
            documented success.
        httpx.TimeoutException: Through a hand-built client, if the request takes longer than Client.timeout.
        close_seq_ext.APIResponseValidationError: Through a client from `make_client`, for a success
            whose body is not the JSON its model needs.
        errors.UnexpectedBody: The same, through a hand-built client.
        TypeError: A path id that is not a `str`, before any request.
        ValueError: A path id that is empty, `.` or `..`, before any request.

    Returns:
        SequenceSubscription
    """

    parsed = (
        await asyncio_detailed(
            id=id,
            client=client,
            body=body,
        )
    ).parsed
    assert parsed is not None  # _parse_response raises rather than returning None
    return parsed
