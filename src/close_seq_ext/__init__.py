"""close-sequences: the hand-written layer over the generated Close Sequences client.

from close_seq_ext import make_client
from close_sequences.api.sequences import get_sequence

async with make_client() as client:  # reads CLOSE_API_KEY
    sequence = await get_sequence.asyncio("seq_123", client=client)

Sync code has the same helpers in `close_seq_ext.sync` (`paginate`, `iter_pages`,
`wait_for_bulk_action`). Close's webhook deliveries are verified by `webhooks.verify`.
"""

from . import squery, webhooks
from ._client import MissingCredentialsError, make_client
from ._close_client import CloseClient
from ._enroll import ensure_subscribed
from ._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BulkActionFailed,
    BulkActionTimeout,
    CloseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from ._pagination import AsyncItemIterator, AsyncPageIterator, iter_pages, paginate
from ._polling import wait_for_bulk_action
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncItemIterator",
    "AsyncPageIterator",
    "AuthenticationError",
    "BulkActionFailed",
    "BulkActionTimeout",
    "CloseClient",
    "CloseError",
    "MissingCredentialsError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "ValidationError",
    "__version__",
    "ensure_subscribed",
    "iter_pages",
    "make_client",
    "paginate",
    "squery",
    "wait_for_bulk_action",
    "webhooks",
]

# Show the public home of each name in reprs, tracebacks and docs.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) or callable(_obj):
        _obj.__module__ = __name__
del _name, _obj
