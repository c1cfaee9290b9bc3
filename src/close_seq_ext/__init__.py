"""close-sequences: the hand-written layer over the generated Close Sequences client.

from close_seq_ext import make_client
from close_sequences.api.sequences import get_sequence

async with make_client() as client:  # reads CLOSE_API_KEY
    sequence = await get_sequence.asyncio("seq_123", client=client)
"""

from ._client import MissingCredentialsError, make_client
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
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BulkActionFailed",
    "BulkActionTimeout",
    "CloseError",
    "MissingCredentialsError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "ValidationError",
    "__version__",
    "make_client",
]

# Show the public home of each name in reprs, tracebacks and docs.
for _name in __all__:
    _obj = globals()[_name]
    if hasattr(_obj, "__module__") and not isinstance(_obj, str):
        _obj.__module__ = __name__
del _name, _obj
