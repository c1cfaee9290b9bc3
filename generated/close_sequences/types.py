"""Contains some shared types for properties"""

import datetime
from collections.abc import Mapping, MutableMapping
from http import HTTPStatus
from typing import IO, Any, BinaryIO, Generic, Literal, TypeVar

from attrs import define


class Unset:
    def __bool__(self) -> Literal[False]:
        return False


UNSET: Unset = Unset()

# The types that `httpx.Client(files=)` can accept, copied from that library.
FileContent = IO[bytes] | bytes | str
FileTypes = (
    # (filename, file (or bytes), content_type)
    tuple[str | None, FileContent, str | None]
    # (filename, file (or bytes), content_type, headers)
    | tuple[str | None, FileContent, str | None, Mapping[str, str]]
)
RequestFiles = list[tuple[str, FileTypes]]


@define
class File:
    """Contains information for file uploads"""

    payload: BinaryIO
    file_name: str | None = None
    mime_type: str | None = None

    def to_tuple(self) -> FileTypes:
        """Return a tuple representation that httpx will accept for multipart/form-data"""
        return self.file_name, self.payload, self.mime_type


T = TypeVar("T")


@define
class Response(Generic[T]):
    """A response from an endpoint"""

    status_code: HTTPStatus
    content: bytes
    headers: MutableMapping[str, str]
    parsed: T | None


class Timestamp(datetime.datetime):
    """An aware UTC `datetime` read from Close that remembers the text Close sent.

    It is a `datetime` in every way; `to_dict()` writes Close's own text back (naive stays
    naive, an offset stays an offset), so an object read and written again is unchanged. A
    datetime computed from it (`stamp + timedelta(...)`, `stamp.replace(...)`) is written
    with `isoformat()`, like any other.

    Example:
        >>> stamp = parse_timestamp("2022-03-10T14:31:45.512611", "date_created")
        >>> stamp.tzinfo is datetime.timezone.utc
        True
        >>> timestamp_text(stamp)
        '2022-03-10T14:31:45.512611'
    """

    __slots__ = ("_close_text",)
    _close_text: str

    def __reduce_ex__(self, protocol: object) -> tuple[Any, tuple[str, str]]:
        # datetime pickles (and copies) itself without the slot; keep Close's text.
        return parse_timestamp, (self._close_text, "")


def parse_timestamp(value: object, field: str) -> datetime.datetime:
    """Read the ISO 8601 text of a timestamp Close sent as an aware UTC `datetime`.

    Text without an offset is UTC (Close's own convention); text with one is converted.

    Raises:
        ValueError: `value` is not ISO 8601 text; the message names `field`.

    Example:
        >>> parse_timestamp("2013-12-05T20:34:41+02:00", "date_created").hour
        18
    """
    try:
        stamp = Timestamp.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{field}: {value!r} is not an ISO 8601 timestamp") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.UTC)
    elif stamp.tzinfo is not datetime.UTC:
        stamp = stamp.astimezone(datetime.UTC)
    stamp._close_text = value  # type: ignore[assignment]
    return stamp


def timestamp_text(value: datetime.datetime) -> str:
    """The text to send for `value`: Close's own if Close sent it, else `isoformat()`.

    Example:
        >>> timestamp_text(datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc))
        '2030-01-01T00:00:00+00:00'
    """
    return getattr(value, "_close_text", None) or value.isoformat()


__all__ = [
    "UNSET",
    "File",
    "FileTypes",
    "RequestFiles",
    "Response",
    "Timestamp",
    "Unset",
    "parse_timestamp",
    "timestamp_text",
]
