"""Builders for Close's ``s_query`` filter language and its ``sort`` items.

Every builder returns an immutable node whose ``to_dict()`` is exactly the JSON the API takes;
``&``, ``|`` and ``~`` are sugar for :func:`and_`, :func:`or_` and :func:`not_`. Arguments are
checked when a node is built, so a bad query fails before any request is sent.

>>> from close_seq_ext import squery
>>> query = squery.object_type("lead") & squery.field("name").text("ACME Inc.")
>>> [q["type"] for q in query.to_dict()["queries"]]
['object_type', 'field_condition']
>>> squery.sort("date_created", direction="desc").to_dict()["direction"]
'desc'

:func:`from_dict` and :func:`sort_from_dict` read existing JSON back into nodes, so that
``from_dict(d).to_dict() == d``. Two nodes are equal when their ``to_dict()`` are equal.

Unconfirmed parts of Close's grammar, decided here: ``number_range`` bounds are named ``gt``,
``gte``, ``lt`` and ``lte``; offset units are years, months, weeks, days, hours, minutes and
seconds; only query nodes carry ``negate`` (fields, conditions and moments do not). Unknown
node types and unknown keys are rejected rather than dropped, because dropping one would
silently change which leads a bulk action acts on.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, ClassVar

import attrs

__all__ = [
    "And",
    "Condition",
    "CustomField",
    "Exists",
    "Field",
    "FieldCondition",
    "FixedLocalDate",
    "FixedUTC",
    "FullText",
    "HasRelated",
    "Moment",
    "MomentRange",
    "Now",
    "NumberRange",
    "ObjectType",
    "Offset",
    "Or",
    "Query",
    "Reference",
    "RegularField",
    "SavedSearch",
    "Sort",
    "Term",
    "TextCondition",
    "and_",
    "custom_field",
    "field",
    "fixed_local_date",
    "fixed_utc",
    "from_dict",
    "has_related",
    "not_",
    "now",
    "object_type",
    "offset",
    "or_",
    "saved_search",
    "sort",
    "sort_from_dict",
    "text",
]

_TEXT_MODES = ("full_words", "beginning_of_words")
_OFFSET_UNITS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")

# --- checks: each takes the value and the name to blame, so builders and classes share them.

_Check = Callable[[Any, str], None]


def _kind(value: object) -> str:
    return type(value).__name__


def _checked(*checks: _Check) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def validate(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        for check in checks:
            check(value, attribute.name)

    return validate


def _str(value: object, name: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {_kind(value)}")
    if not value:
        raise ValueError(f"{name} must not be empty")


def _choice(*choices: str) -> _Check:
    def check(value: object, name: str) -> None:
        _str(value, name)
        if value not in choices:
            raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")

    return check


def _instance(cls: type) -> _Check:
    def check(value: object, name: str) -> None:
        if not isinstance(value, cls):
            raise TypeError(f"{name} must be a {cls.__name__}, got {_kind(value)}")

    return check


def _optional(check: _Check) -> _Check:
    def optional(value: object, name: str) -> None:
        if value is not None:
            check(value, name)

    return optional


def _items(*types: type) -> _Check:
    """A non-empty list or tuple of `types`; a bare str is refused, it is a common slip."""

    def check(value: object, name: str) -> None:
        if not isinstance(value, list | tuple):
            raise TypeError(f"{name} must be a list or tuple, got {_kind(value)}")
        if not value:
            raise ValueError(f"{name} must not be empty")
        for i, item in enumerate(value):
            if not isinstance(item, types):
                wanted = " or ".join(t.__name__ for t in types)
                raise TypeError(f"{name}[{i}] must be a {wanted}, got {_kind(item)}")

    return check


def _number(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be an int or float, got {_kind(value)}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")


def _utc_iso(value: object, name: str) -> None:
    _str(value, name)
    try:
        aware = datetime.fromisoformat(str(value)).tzinfo is not None
    except ValueError:
        aware = False
    if not aware:
        raise ValueError(f"{name} must be an ISO 8601 date-time with an offset, got {value!r}")


def _iso_date(value: object, name: str) -> None:
    _str(value, name)
    try:
        valid = date.fromisoformat(str(value)).isoformat() == value
    except ValueError:
        valid = False
    if not valid:
        raise ValueError(f"{name} must be a date as YYYY-MM-DD, got {value!r}")


def _units(value: tuple[tuple[str, int], ...], name: str) -> None:
    if not value:
        raise ValueError(f"{name} needs at least one unit, e.g. days=3")
    for unit, count in value:
        if unit not in _OFFSET_UNITS:
            raise ValueError(f"unknown {name} unit {unit!r}; use {', '.join(_OFFSET_UNITS)}")
        if isinstance(count, bool) or not isinstance(count, int):
            raise TypeError(f"{unit} must be an int, got {_kind(count)}")
        if count < 0:
            raise ValueError(f"{unit} must not be negative; use direction instead")


def _tupled(value: Any) -> Any:
    # JSON gives lists; tuples keep nodes immutable and hashable.
    return tuple(value) if isinstance(value, list) else value


def _unit_pairs(value: Any) -> Any:
    # Sorted so that equal offsets compare and hash equal whatever order the units came in.
    return tuple(sorted(value.items())) if isinstance(value, Mapping) else value


# --- moments


@attrs.frozen
class Moment(abc.ABC):
    """A point in time for :meth:`Field.moment_range`: ``now()``, ``fixed_utc("...")``, ..."""

    @abc.abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """The JSON of this moment."""


@attrs.frozen
class Now(Moment):
    """The time the query runs: ``now().to_dict() == {"type": "now"}``."""

    def to_dict(self) -> dict[str, Any]:
        return {"type": "now"}


@attrs.frozen
class FixedUTC(Moment):
    """An exact instant: ``FixedUTC("2024-05-01T09:00:00+00:00")``."""

    value: str = attrs.field(validator=_checked(_utc_iso))

    def to_dict(self) -> dict[str, Any]:
        return {"type": "fixed_utc", "value": self.value}


@attrs.frozen
class FixedLocalDate(Moment):
    """Start or end of a day in Close's local time: ``FixedLocalDate("2024-05-01", "end")``."""

    value: str = attrs.field(validator=_checked(_iso_date))
    which: str = attrs.field(validator=_checked(_choice("start", "end")))

    def to_dict(self) -> dict[str, Any]:
        return {"type": "fixed_local_date", "value": self.value, "which": self.which}


@attrs.frozen
class Offset(Moment):
    """A moment moved by calendar units: ``Offset(Now(), "past", {"days": 3})`` (3 days ago)."""

    moment: Moment = attrs.field(validator=_checked(_instance(Moment)))
    direction: str = attrs.field(validator=_checked(_choice("past", "future")))
    offset: tuple[tuple[str, int], ...] = attrs.field(
        converter=_unit_pairs, validator=_checked(_instance(tuple), _units)
    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "offset",
            "direction": self.direction,
            "moment": self.moment.to_dict(),
            "offset": dict(self.offset),
        }


# --- conditions: what a field must satisfy


@attrs.frozen
class Condition(abc.ABC):
    """The test in a field condition; built by :class:`Field` methods, e.g. ``Exists()``."""

    @abc.abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """The JSON of this condition."""


@attrs.frozen
class TextCondition(Condition):
    """Text match on a text field: ``TextCondition("ACME", mode="full_words")``."""

    value: str = attrs.field(validator=_checked(_str))
    mode: str = attrs.field(validator=_checked(_choice(*_TEXT_MODES)))

    def to_dict(self) -> dict[str, Any]:
        return {"type": "text", "mode": self.mode, "value": self.value}


@attrs.frozen
class Term(Condition):
    """The field has one of fixed values: ``Term(["Potential", "Qualified"])``."""

    values: tuple[str | int | bool, ...] = attrs.field(
        converter=_tupled, validator=_checked(_items(str, int))
    )

    def to_dict(self) -> dict[str, Any]:
        return {"type": "term", "values": list(self.values)}


@attrs.frozen
class Reference(Condition):
    """The field points at one of these objects: ``Reference(["user_1"], "user_or_group")``."""

    object_ids: tuple[str, ...] = attrs.field(converter=_tupled, validator=_checked(_items(str)))
    reference_type: str = attrs.field(validator=_checked(_str))

    def to_dict(self) -> dict[str, Any]:
        ids = list(self.object_ids)
        return {"type": "reference", "reference_type": self.reference_type, "object_ids": ids}


@attrs.frozen
class Exists(Condition):
    """The field has a value: ``Exists()``; negate the field condition for "is empty"."""

    def to_dict(self) -> dict[str, Any]:
        return {"type": "exists"}


_BOUND = _checked(_optional(_number))


@attrs.frozen
class NumberRange(Condition):
    """Numeric bounds, at least one: ``NumberRange(gte=10, lt=100)``.

    Close has not published the key names; ``gt``, ``gte``, ``lt`` and ``lte`` are assumed.
    """

    gt: float | None = attrs.field(default=None, kw_only=True, validator=_BOUND)
    gte: float | None = attrs.field(default=None, kw_only=True, validator=_BOUND)
    lt: float | None = attrs.field(default=None, kw_only=True, validator=_BOUND)
    lte: float | None = attrs.field(default=None, kw_only=True, validator=_BOUND)

    def __attrs_post_init__(self) -> None:
        if all(bound is None for bound in (self.gt, self.gte, self.lt, self.lte)):
            raise ValueError("number_range needs at least one of gt, gte, lt, lte")
        if self.gt is not None and self.gte is not None:
            raise ValueError("give gt or gte, not both")
        if self.lt is not None and self.lte is not None:
            raise ValueError("give lt or lte, not both")

    def to_dict(self) -> dict[str, Any]:
        bounds = {"gt": self.gt, "gte": self.gte, "lt": self.lt, "lte": self.lte}
        return {"type": "number_range", **{k: v for k, v in bounds.items() if v is not None}}


_END = _checked(_optional(_instance(Moment)))


@attrs.frozen
class MomentRange(Condition):
    """A date field in ``[on_or_after, before)``, either end open: ``MomentRange(before=Now())``."""

    on_or_after: Moment | None = attrs.field(default=None, kw_only=True, validator=_END)
    before: Moment | None = attrs.field(default=None, kw_only=True, validator=_END)

    def __attrs_post_init__(self) -> None:
        if self.on_or_after is None and self.before is None:
            raise ValueError("moment_range needs on_or_after, before or both")

    def to_dict(self) -> dict[str, Any]:
        ends = {"on_or_after": self.on_or_after, "before": self.before}
        return {"type": "moment_range", **{k: m.to_dict() for k, m in ends.items() if m}}


# --- fields


@attrs.frozen
class Field(abc.ABC):
    """A field to filter or sort on; its methods build field conditions.

    >>> field("name").term(["ACME"]).to_dict()["condition"]
    {'type': 'term', 'values': ['ACME']}
    """

    @abc.abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """The JSON of this field."""

    def text(self, value: str, *, mode: str = "full_words") -> FieldCondition:
        """Text match: ``field("name").text("acme", mode="beginning_of_words")``."""
        return FieldCondition(self, TextCondition(value, mode))

    def term(self, values: list[str | int | bool] | tuple[str | int | bool, ...]) -> FieldCondition:
        """One of fixed values (a list, not a bare str): ``field("status_label").term(["Won"])``."""
        return FieldCondition(self, Term(values))

    def reference(
        self, ids: list[str] | tuple[str, ...], *, reference_type: str = "user_or_group"
    ) -> FieldCondition:
        """Points at one of these objects: ``field("user_id").reference(["user_1"])``."""
        _items(str)(ids, "ids")
        return FieldCondition(self, Reference(ids, reference_type))

    def exists(self) -> FieldCondition:
        """Has a value: ``field("email").exists()``; ``~field("email").exists()`` is empty."""
        return FieldCondition(self, Exists())

    def number_range(
        self,
        *,
        gt: float | None = None,
        gte: float | None = None,
        lt: float | None = None,
        lte: float | None = None,
    ) -> FieldCondition:
        """Numeric bounds, key names assumed (see :class:`NumberRange`): ``.number_range(gt=1)``."""
        return FieldCondition(self, NumberRange(gt=gt, gte=gte, lt=lt, lte=lte))

    def moment_range(
        self,
        *,
        on_or_after: Moment | datetime | date | None = None,
        before: Moment | datetime | date | None = None,
    ) -> FieldCondition:
        """Date bounds; a datetime (aware) is an instant, a date the start of that local day.

        >>> q = field("date_created").moment_range(on_or_after=offset(now(), "past", days=7))
        >>> q.to_dict()["condition"]["on_or_after"]["offset"]
        {'days': 7}
        """
        ends = {"on_or_after": on_or_after, "before": before}
        moments = {k: None if v is None else _as_moment(v, k) for k, v in ends.items()}
        return FieldCondition(self, MomentRange(**moments))


@attrs.frozen
class RegularField(Field):
    """A built-in field of an object type: ``RegularField("name", "lead")``."""

    field_name: str = attrs.field(validator=_checked(_str))
    object_type: str = attrs.field(validator=_checked(_str))

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "regular_field",
            "object_type": self.object_type,
            "field_name": self.field_name,
        }


@attrs.frozen
class CustomField(Field):
    """A custom field by id: ``CustomField("cf_abc")``."""

    custom_field_id: str = attrs.field(validator=_checked(_str))

    def to_dict(self) -> dict[str, Any]:
        return {"type": "custom_field", "custom_field_id": self.custom_field_id}


# --- query nodes


@attrs.frozen
class Query(abc.ABC):
    """A node of an s_query tree. Combine with ``&``, ``|`` and ``~``; ``to_dict()`` is the JSON.

    ``negate`` is ``True``, ``False`` or ``None`` (not stated: the API reads it as false); the
    builders never write ``False``, but :func:`from_dict` keeps one it reads, for the round trip.

    >>> (~saved_search("save_1")).to_dict()
    {'type': 'saved_search', 'saved_search_id': 'save_1', 'negate': True}
    """

    negate: bool | None = attrs.field(
        default=None, kw_only=True, validator=_checked(_optional(_instance(bool)))
    )

    @abc.abstractmethod
    def _body(self) -> dict[str, Any]: ...

    def to_dict(self) -> dict[str, Any]:
        """The JSON the API takes for this node and everything under it."""
        body = self._body()
        if self.negate is not None:
            body["negate"] = self.negate
        return body

    def __and__(self, other: object) -> Query:
        if not isinstance(other, Query):
            return NotImplemented
        return and_(self, other)

    def __or__(self, other: object) -> Query:
        if not isinstance(other, Query):
            return NotImplemented
        return or_(self, other)

    def __invert__(self) -> Query:
        # Toggle rather than nest, so ~~q is q again and no "negate": false appears.
        return attrs.evolve(self, negate=None if self.negate else True)


@attrs.frozen
class _Compound(Query):
    _type: ClassVar[str]
    queries: tuple[Query, ...] = attrs.field(converter=_tupled, validator=_checked(_items(Query)))

    def _body(self) -> dict[str, Any]:
        return {"type": self._type, "queries": [q.to_dict() for q in self.queries]}


@attrs.frozen
class And(_Compound):
    """All sub-queries match: ``and_(a, b)`` or ``a & b``."""

    _type: ClassVar[str] = "and"


@attrs.frozen
class Or(_Compound):
    """Any sub-query matches: ``or_(a, b)`` or ``a | b``."""

    _type: ClassVar[str] = "or"


@attrs.frozen
class ObjectType(Query):
    """Objects of one type: ``ObjectType("lead")``."""

    object_type: str = attrs.field(validator=_checked(_str))

    def _body(self) -> dict[str, Any]:
        return {"type": "object_type", "object_type": self.object_type}


@attrs.frozen
class FieldCondition(Query):
    """A field satisfies a condition: ``FieldCondition(CustomField("cf_1"), Exists())``."""

    field: Field = attrs.field(validator=_checked(_instance(Field)))
    condition: Condition = attrs.field(validator=_checked(_instance(Condition)))

    def _body(self) -> dict[str, Any]:
        fc = {"field": self.field.to_dict(), "condition": self.condition.to_dict()}
        return {"type": "field_condition", **fc}


@attrs.frozen
class HasRelated(Query):
    """Some related object matches: ``HasRelated("lead", "contact", ObjectType("contact"))``."""

    this_object_type: str = attrs.field(validator=_checked(_str))
    related_object_type: str = attrs.field(validator=_checked(_str))
    related_query: Query = attrs.field(validator=_checked(_instance(Query)))

    def _body(self) -> dict[str, Any]:
        return {
            "type": "has_related",
            "this_object_type": self.this_object_type,
            "related_object_type": self.related_object_type,
            "related_query": self.related_query.to_dict(),
        }


@attrs.frozen
class SavedSearch(Query):
    """The results of a saved search (smart view): ``SavedSearch("save_1")``."""

    saved_search_id: str = attrs.field(validator=_checked(_str))

    def _body(self) -> dict[str, Any]:
        return {"type": "saved_search", "saved_search_id": self.saved_search_id}


@attrs.frozen
class FullText(Query):
    """Full-text search over the whole object: ``FullText("acme", "full_words")``."""

    value: str = attrs.field(validator=_checked(_str))
    mode: str = attrs.field(validator=_checked(_choice(*_TEXT_MODES)))

    def _body(self) -> dict[str, Any]:
        return {"type": "text", "mode": self.mode, "value": self.value}


@attrs.frozen
class Sort:
    """One sort item (a request takes a list): ``Sort(CustomField("cf_1"), "asc")``."""

    field: Field = attrs.field(validator=_checked(_instance(Field)))
    direction: str = attrs.field(validator=_checked(_choice("asc", "desc")))

    def to_dict(self) -> dict[str, Any]:
        return {"direction": self.direction, "field": self.field.to_dict()}


# --- builders


def _combine(kind: type[_Compound], queries: tuple[Query, ...]) -> tuple[Query, ...]:
    _items(Query)(queries, "queries")
    flat: list[Query] = []
    for q in queries:
        # A negated child means "not all of these", so splicing it in would change the meaning.
        if isinstance(q, kind) and not q.negate:
            flat.extend(q.queries)
        else:
            flat.append(q)
    return tuple(flat)


def and_(*queries: Query) -> And:
    """Every query matches; non-negated ``and`` children are merged in.

    >>> and_(object_type("lead"), saved_search("save_1")).to_dict()["type"]
    'and'
    """
    return And(_combine(And, queries))


def or_(*queries: Query) -> Or:
    """At least one query matches; non-negated ``or`` children are merged in.

    >>> len(or_(text("acme"), text("globex"), text("initech")).queries)
    3
    """
    return Or(_combine(Or, queries))


def not_(query: Query) -> Query:
    """The query does not match; the same as ``~query``, so ``not_(not_(q)) == q``.

    >>> not_(field("email").exists()).to_dict()["negate"]
    True
    """
    _instance(Query)(query, "query")
    return ~query


def object_type(name: str) -> ObjectType:
    """Objects of one type.

    >>> object_type("lead").to_dict()
    {'type': 'object_type', 'object_type': 'lead'}
    """
    _str(name, "name")
    return ObjectType(name)


def field(name: str, *, object_type: str = "lead") -> RegularField:
    """A built-in field of an object type.

    >>> field("name").to_dict()
    {'type': 'regular_field', 'object_type': 'lead', 'field_name': 'name'}
    """
    _str(name, "name")
    return RegularField(name, object_type)


def custom_field(field_id: str) -> CustomField:
    """A custom field by its ``cf_`` id.

    >>> custom_field("cf_x").to_dict()
    {'type': 'custom_field', 'custom_field_id': 'cf_x'}
    """
    _str(field_id, "field_id")
    return CustomField(field_id)


def has_related(
    related_object_type: str, query: Query, *, this_object_type: str = "lead"
) -> HasRelated:
    """Objects with at least one related object matching `query`.

    >>> has_related("contact", field("title", object_type="contact").text("CEO")).to_dict()["type"]
    'has_related'
    """
    _instance(Query)(query, "query")
    return HasRelated(this_object_type, related_object_type, query)


def saved_search(id: str) -> SavedSearch:
    """The results of a saved search (smart view).

    >>> saved_search("save_1").to_dict()
    {'type': 'saved_search', 'saved_search_id': 'save_1'}
    """
    _str(id, "id")
    return SavedSearch(id)


def text(value: str, *, mode: str = "full_words") -> FullText:
    """Full-text search over the whole object.

    >>> text("acme", mode="beginning_of_words").to_dict()
    {'type': 'text', 'mode': 'beginning_of_words', 'value': 'acme'}
    """
    return FullText(value, mode)


def sort(field_or_name: Field | str, *, direction: str = "asc") -> Sort:
    """One sort item; a name is a regular lead field.

    >>> sort("date_created", direction="desc").to_dict()["field"]["field_name"]
    'date_created'
    """
    if isinstance(field_or_name, str):
        _str(field_or_name, "field_or_name")
        return Sort(RegularField(field_or_name, "lead"), direction)
    _instance(Field)(field_or_name, "field_or_name")
    return Sort(field_or_name, direction)


def now() -> Now:
    """The time the query runs.

    >>> now().to_dict()
    {'type': 'now'}
    """
    return Now()


def fixed_utc(value: datetime | str) -> FixedUTC:
    """An instant: an aware datetime (sent in UTC) or an ISO string with an offset (kept as is).

    >>> from datetime import datetime, timezone
    >>> fixed_utc(datetime(2024, 5, 1, 9, tzinfo=timezone.utc)).value
    '2024-05-01T09:00:00+00:00'
    """
    return FixedUTC(_utc_text(value, "value") if isinstance(value, datetime) else value)


def fixed_local_date(value: date | str, which: str = "start") -> FixedLocalDate:
    """The ``"start"`` or ``"end"`` of a calendar day in Close's local time.

    >>> fixed_local_date("2024-05-01", which="end").to_dict()
    {'type': 'fixed_local_date', 'value': '2024-05-01', 'which': 'end'}
    """
    if isinstance(value, datetime):
        raise TypeError("value must be a date or a YYYY-MM-DD str, not a datetime")
    return FixedLocalDate(value.isoformat() if isinstance(value, date) else value, which)


def offset(moment: Moment | datetime | date, direction: str, **units: int) -> Offset:
    """`moment` moved into the ``"past"`` or ``"future"`` by non-negative units (days=3, ...).

    >>> offset(now(), "past", weeks=2).to_dict()["offset"]
    {'weeks': 2}
    """
    return Offset(_as_moment(moment, "moment"), direction, units)


def _utc_text(value: datetime, name: str) -> str:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return value.astimezone(UTC).isoformat()


def _as_moment(value: object, name: str) -> Moment:
    if isinstance(value, Moment):
        return value
    if isinstance(value, datetime):
        return FixedUTC(_utc_text(value, name))
    if isinstance(value, date):
        return FixedLocalDate(value.isoformat(), "start")
    raise TypeError(f"{name} must be a Moment, datetime or date, got {_kind(value)}")


# --- reading JSON back: class attributes are named after JSON keys, so a dict maps onto one.

_QUERIES: dict[str, type[Query]] = {
    "and": And,
    "or": Or,
    "object_type": ObjectType,
    "field_condition": FieldCondition,
    "has_related": HasRelated,
    "saved_search": SavedSearch,
    "text": FullText,
}
_FIELDS: dict[str, type[Field]] = {"regular_field": RegularField, "custom_field": CustomField}
_CONDITIONS: dict[str, type[Condition]] = {
    "text": TextCondition,
    "term": Term,
    "reference": Reference,
    "exists": Exists,
    "number_range": NumberRange,
    "moment_range": MomentRange,
}
_MOMENTS: dict[str, type[Moment]] = {
    "now": Now,
    "fixed_utc": FixedUTC,
    "fixed_local_date": FixedLocalDate,
    "offset": Offset,
}


def from_dict(data: Mapping[str, Any]) -> Query:
    """Read an s_query back into nodes; ``from_dict(d).to_dict() == d``.

    A missing or unknown ``type`` raises ``ValueError``; a missing or unknown other key
    ``TypeError``, and a bad value the same error as its builder. Each names the key.

    >>> from_dict({"type": "object_type", "object_type": "lead"}) == object_type("lead")
    True
    """
    node: Query = _read(data, "s_query", _QUERIES)
    return node


def sort_from_dict(data: Mapping[str, Any]) -> Sort:
    """Read one sort item back; ``sort_from_dict(s).to_dict() == s``.

    >>> sort_from_dict(sort("name").to_dict()) == sort("name")
    True
    """
    item = _mapping(data, "sort item")
    return Sort(**{key: _read_value(key, value) for key, value in item.items()})


def _mapping(value: object, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict, got {_kind(value)}")
    return value


def _read(value: object, name: str, classes: Mapping[str, type[Any]]) -> Any:
    data = _mapping(value, name)
    if "type" not in data:
        raise ValueError(f"missing key 'type' in {name}")
    kind = data["type"]
    cls = classes.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown {name} type {kind!r}")
    # attrs' __init__ names any missing or unknown key in its TypeError.
    return cls(**{key: _read_value(key, v) for key, v in data.items() if key != "type"})


# Keys whose value is itself a node, and the node types allowed there.
_NESTED: dict[str, Mapping[str, type[Any]]] = {
    "related_query": _QUERIES,
    "field": _FIELDS,
    "condition": _CONDITIONS,
    "on_or_after": _MOMENTS,
    "before": _MOMENTS,
    "moment": _MOMENTS,
}


def _read_value(key: str, value: Any) -> Any:
    if key in _NESTED:
        return _read(value, key, _NESTED[key])
    if key == "queries":
        if not isinstance(value, list):
            raise TypeError(f"queries must be a list, got {_kind(value)}")
        return [_read(q, f"queries[{i}]", _QUERIES) for i, q in enumerate(value)]
    if key == "negate" and not isinstance(value, bool):
        # null would read as "not stated" and vanish on the way out, breaking the round trip.
        raise TypeError(f"negate must be true or false, got {_kind(value)}")
    return value
