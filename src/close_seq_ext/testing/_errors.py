"""The one exception the store raises to make the app answer with an error status.

>>> err = APIErrorResponse.field("timezone", "This field is required.")
>>> err.status, err.body
(400, {'errors': [], 'field-errors': {'timezone': 'This field is required.'}})
"""

from __future__ import annotations

from typing import Any

__all__ = ["APIErrorResponse"]


class APIErrorResponse(Exception):
    """Raised by the store when Close would answer with an error; the app sends `body` as JSON."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body

    @classmethod
    def message(cls, status: int, message: str) -> APIErrorResponse:
        """Close's plain error shape: ``{"error": "..."}``."""
        return cls(status, {"error": message})

    @classmethod
    def fields(
        cls, field_errors: dict[str, Any], errors: list[str] | None = None
    ) -> APIErrorResponse:
        """Close's validation shape, a 400: ``{"errors": [...], "field-errors": {...}}``."""
        return cls(400, {"errors": list(errors or []), "field-errors": field_errors})

    @classmethod
    def field(cls, name: str, message: str) -> APIErrorResponse:
        """A 400 about one field."""
        return cls.fields({name: message})

    @classmethod
    def not_found(cls, model: str) -> APIErrorResponse:
        """Close's 404 for an unknown id, worded as Close words it."""
        return cls.message(404, f"Empty query: {model} matching query does not exist.")
