from enum import StrEnum


class EventAction(StrEnum):
    """Known values of `EventAction`; a value Close adds later parses too (see `_missing_`)."""

    CREATED = "created"
    DELETED = "deleted"
    UPDATED = "updated"

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def _missing_(cls, value: object) -> "EventAction | None":
        # Close adds enum values over time. An unknown string becomes a pseudo-member,
        # so an older client still parses the response and writes the value back unchanged;
        # it is not listed by iteration. Cached so the same value gives the same object.
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return cls._value2member_map_.setdefault(value, member)  # type: ignore[return-value]
