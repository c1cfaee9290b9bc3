"""Contains some shared types for properties"""

import datetime
from collections.abc import Mapping, MutableMapping
from http import HTTPStatus
from typing import IO, BinaryIO, Generic, Literal, TypeVar

from attrs import define


class Unset:
    """The type of `UNSET`, the value of a field that is absent: Close did not send it, or
    you did not set it. Falsy; `to_dict()` leaves such fields out."""

    def __bool__(self) -> Literal[False]:
        return False

    def __copy__(self) -> "Unset":
        return self

    def __deepcopy__(self, memo: object) -> "Unset":
        return self

    def __reduce__(self) -> str:
        return "UNSET"


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


_UTC = datetime.UTC
_fromisoformat = datetime.datetime.fromisoformat
# What a model read for each timestamp field: the datetime and the text it came from.
SentTimestamps = dict[str, tuple[datetime.datetime, str]]


def parse_timestamp(value: object, field: str) -> datetime.datetime:
    """Read the ISO 8601 text of a timestamp Close sent as an aware UTC `datetime`.

    Text without an offset is UTC (Close's own convention); text with one is converted.

    Raises:
        ValueError: `value` is not ISO 8601 text; the message names `field`.

    Example:
        >>> parse_timestamp("2022-03-10T14:31:45.512611", "date_created").tzinfo
        datetime.timezone.utc
        >>> parse_timestamp("2013-12-05T20:34:41+02:00", "date_created").hour
        18
    """
    try:
        # Naive text is read with the offset it leaves out: several times cheaper than
        # `datetime.replace(tzinfo=...)`, and this runs for each timestamp of each item.
        offset = value[-1] == "Z" or value[-6] in "+-"  # type: ignore[index]
        stamp = _fromisoformat(value if offset else value + "+00:00")  # type: ignore[operator]
    except (TypeError, ValueError, IndexError, KeyError):
        try:  # another form of ISO 8601 text, or not text at all
            stamp = _fromisoformat(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(
                f"{field}: {value!r} is not an ISO 8601 timestamp"
            ) from None
    zone = stamp.tzinfo
    if zone is _UTC:
        return stamp
    return stamp.replace(tzinfo=_UTC) if zone is None else stamp.astimezone(_UTC)


def timestamp_text(value: datetime.datetime, sent: SentTimestamps, field: str) -> str:
    """The text to send for `field`: Close's own while `value` is the datetime read from it.

    A datetime set or computed since is written with `isoformat()`.

    Example:
        >>> stamp = parse_timestamp("2022-03-10T14:31:45", "date_created")
        >>> timestamp_text(stamp, {"date_created": (stamp, "2022-03-10T14:31:45")}, "date_created")
        '2022-03-10T14:31:45'
        >>> timestamp_text(stamp, {}, "date_created")
        '2022-03-10T14:31:45+00:00'
    """
    read = sent.get(field)
    if read is not None and read[0] is value:
        return read[1]
    return value.isoformat()


__all__ = [
    "UNSET",
    "File",
    "FileTypes",
    "RequestFiles",
    "Response",
    "SentTimestamps",
    "Unset",
    "parse_timestamp",
    "timestamp_text",
]
