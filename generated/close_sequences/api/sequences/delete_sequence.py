from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...types import Response


def _get_kwargs(
    id: str,
) -> dict[str, Any]:
    if not isinstance(id, str):
        raise TypeError(f"id must be a str, not {type(id).__name__}")
    if id in ("", ".", ".."):
        raise ValueError(
            f"id {id!r} is not an id: the request would reach another endpoint"
        )

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/api/v1/sequence/{id}/".format(
            id=quote(str(id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> None:
    if 200 <= response.status_code <= 299:
        return

    raise errors.UnexpectedStatus(response.status_code, response.content)


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[None]:
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
) -> Response[None]:
    """Delete a sequence

    Args:
        id (str):

    Raises:
        close_seq_ext.APIStatusError: Through a client from `close_seq_ext.make_client`, for any
            error status (a subclass per status), after retries.
        errors.UnexpectedStatus: Through a hand-built client, for any status that is not a
            documented success.
        httpx.TimeoutException: Through a hand-built client, if the request takes longer than Client.timeout.
        TypeError: A path id that is not a `str`, before any request.
        ValueError: A path id that is empty, `.` or `..`, before any request.

    Returns:
        Response[None]
    """

    kwargs = _get_kwargs(
        id=id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient | Client,
) -> None:
    """Delete a sequence

    Args:
        id (str):

    Raises:
        close_seq_ext.APIStatusError: Through a client from `close_seq_ext.make_client`, for any
            error status (a subclass per status), after retries.
        errors.UnexpectedStatus: Through a hand-built client, for any status that is not a
            documented success.
        httpx.TimeoutException: Through a hand-built client, if the request takes longer than Client.timeout.
        TypeError: A path id that is not a `str`, before any request.
        ValueError: A path id that is empty, `.` or `..`, before any request.

    Returns:
        None
    """

    sync_detailed(
        id=id,
        client=client,
    )


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[None]:
    """Delete a sequence

    Args:
        id (str):

    Raises:
        close_seq_ext.APIStatusError: Through a client from `close_seq_ext.make_client`, for any
            error status (a subclass per status), after retries.
        errors.UnexpectedStatus: Through a hand-built client, for any status that is not a
            documented success.
        httpx.TimeoutException: Through a hand-built client, if the request takes longer than Client.timeout.
        TypeError: A path id that is not a `str`, before any request.
        ValueError: A path id that is empty, `.` or `..`, before any request.

    Returns:
        Response[None]
    """

    kwargs = _get_kwargs(
        id=id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient | Client,
) -> None:
    """Delete a sequence

    Args:
        id (str):

    Raises:
        close_seq_ext.APIStatusError: Through a client from `close_seq_ext.make_client`, for any
            error status (a subclass per status), after retries.
        errors.UnexpectedStatus: Through a hand-built client, for any status that is not a
            documented success.
        httpx.TimeoutException: Through a hand-built client, if the request takes longer than Client.timeout.
        TypeError: A path id that is not a `str`, before any request.
        ValueError: A path id that is empty, `.` or `..`, before any request.

    Returns:
        None
    """

    await asyncio_detailed(
        id=id,
        client=client,
    )
