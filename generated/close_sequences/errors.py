"""Contains shared errors types that can be raised from API functions"""

import httpx


class UnexpectedStatus(Exception):
    """Raised by api functions when the response status an undocumented status and Client.raise_on_unexpected_status is True"""

    def __init__(self, status_code: int, content: bytes):
        self.status_code = status_code
        self.content = content

        super().__init__(
            f"Unexpected status code: {status_code}\n\nResponse content:\n{content.decode(errors='ignore')}"
        )


class UnexpectedBody(Exception):
    """Raised by api functions when a success answer's body is not the JSON its model needs.

    A client from `close_seq_ext.make_client` raises `close_seq_ext.APIResponseValidationError`
    instead (see `body_error`).

    Attributes:
        status_code: The answer's status.
        content: The answer's body.
        reason: What parsing raised.
    """

    def __init__(self, status_code: int, content: bytes, reason: Exception):
        self.status_code = status_code
        self.content = content
        self.reason = reason

        super().__init__(f"Unexpected body with status code {status_code}: {reason!r}")


def body_error(response: httpx.Response, reason: Exception) -> Exception:
    """The error to raise for `response`, a success whose body does not fit its model.

    A response may supply its own from an `invalid_body(reason)` method; otherwise it is
    `UnexpectedBody`.

    Example:
        ::

            try:
                parsed = Sequence.from_dict(response.json())
            except (KeyError, TypeError, ValueError) as exc:
                raise errors.body_error(response, exc) from exc
    """
    invalid_body = getattr(response, "invalid_body", None)
    if callable(invalid_body):
        return invalid_body(reason)
    return UnexpectedBody(response.status_code, response.content, reason)


__all__ = ["UnexpectedBody", "UnexpectedStatus", "body_error"]
