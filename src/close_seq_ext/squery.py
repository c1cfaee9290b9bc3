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

``from_dict`` reads the JSON Close's app exports and ``bulk.s_query`` echoes: offsets with
``which_day_end`` and all seven units, explicit ``null`` range ends, ``match_all`` nodes. A
node type (or key) this module does not know yet is kept whole as an opaque node that writes
back unchanged, never dropped: dropping one would silently change which leads a bulk action
acts on.

Every node is data: an attrs class with a JSON type tag and one field per JSON key, in the
order written; one ``to_dict`` and one reader serve them all, and the readers' registries
are built from the tags.

Reading is bounded: ``from_dict`` and ``sort_from_dict`` refuse JSON nested deeper than 100
levels or holding more than 10,000 nodes with a ``ValueError`` naming the limit, before
building anything, so a query from an untrusted caller cannot exhaust the stack or the CPU
(``max_depth=`` and ``max_nodes=`` raise the limits for a query known to be larger).

Unconfirmed parts of Close's grammar, decided here: ``number_range`` bounds are named ``gt``,
``gte``, ``lt`` and ``lte``; only query nodes carry ``negate``.
"""

from __future__ import annotations

import json
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
    "MatchAll",
    "Moment",
    "MomentRange",
    "Now",
    "NumberRange",
    "ObjectType",
    "Offset",
    "OpaqueCondition",
    "OpaqueField",
    "OpaqueMoment",
    "OpaqueQuery",
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
    "match_all",
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


# --- the node machinery: one `to_dict` and one reader for every node, driven by attrs fields.
# A node class has a JSON type tag; its attrs fields are named after its JSON keys, in the
# order they are written; `metadata["read"]` turns a key's JSON into the field's value.


_JSON_FIELDS: dict[type, tuple[attrs.Attribute[Any], ...]] = {}


def _json_fields(cls: type) -> tuple[attrs.Attribute[Any], ...]:
    """The fields that are JSON keys, in the order written (cached: read per node written)."""
    found = _JSON_FIELDS.get(cls)
    if found is None:
        # `nulls` is bookkeeping, not a key; `negate` is written last, as Close writes it.
        own = [f for f in attrs.fields(cls) if f.name not in ("nulls", "negate")]
        found = _JSON_FIELDS[cls] = tuple(
            own + [f for f in attrs.fields(cls) if f.name == "negate"]
        )
    return found


def _to_json(value: Any) -> Any:
    if isinstance(value, _Node | Sort):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_to_json(item) for item in value]
    return value


def _nulls(value: Any) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen
class _Node:
    """Base of every node: a JSON object with a ``"type"`` tag and one key per attrs field.

    An optional key that is absent and one that is an explicit ``null`` (as Close's app
    writes open range ends) both read as ``None``; ``nulls`` names the explicit ones, so that
    ``to_dict()`` writes back what was read.
    """

    _tag: ClassVar[str] = ""
    nulls: frozenset[str] = attrs.field(
        default=frozenset(), kw_only=True, repr=False, converter=_nulls
    )

    def to_dict(self) -> dict[str, Any]:
        """The JSON of this node and everything under it."""
        body: dict[str, Any] = {"type": self._tag}
        for attribute in _json_fields(type(self)):
            value = getattr(self, attribute.name)
            if value is not None:
                body[attribute.name] = attribute.metadata.get("to_json", _to_json)(value)
            elif attribute.name in self.nulls:
                body[attribute.name] = None
        return body


class _Opaque:
    """Shared by the opaque nodes: a node type this module does not know, kept as Close sent it.

    Close adds node types over time, and ``bulk.s_query`` echoes whatever the query holds, so
    such a node is read, compared and written back unchanged rather than refused.
    """

    __slots__ = ()
    json: str  # the node's JSON, canonical (see _opaque_json)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of this node, as it was read."""
        data: dict[str, Any] = json.loads(self.json)
        negate = getattr(self, "negate", None)
        if negate is not None:
            data["negate"] = negate
        return data


def _reads(base: type[_Node]) -> dict[str, Any]:
    """The metadata of a field whose JSON is one node of `base`'s kinds."""
    return {"read": lambda value, name: _read(value, name, base)}


def _opaque_json(data: Mapping[str, Any]) -> str:
    # Canonical text: immutable, hashable, and equal for equal JSON whatever the key order.
    return json.dumps(data, sort_keys=True)


# --- moments


@attrs.frozen
class Moment(_Node):
    """A point in time for :meth:`Field.moment_range`: ``now()``, ``fixed_utc("...")``, ..."""


@attrs.frozen
class Now(Moment):
    """The time the query runs: ``now().to_dict() == {"type": "now"}``."""

    _tag: ClassVar[str] = "now"


@attrs.frozen
class FixedUTC(Moment):
    """An exact instant: ``FixedUTC("2024-05-01T09:00:00+00:00")``."""

    _tag: ClassVar[str] = "fixed_utc"
    value: str = attrs.field(validator=_checked(_utc_iso))


@attrs.frozen
class FixedLocalDate(Moment):
    """Start or end of a day in Close's local time: ``FixedLocalDate("2024-05-01", "end")``.

    Close's local time is the ``X-TZ-Offset`` the client sends (see ``make_client``).
    """

    _tag: ClassVar[str] = "fixed_local_date"
    value: str = attrs.field(validator=_checked(_iso_date))
    which: str = attrs.field(validator=_checked(_choice("start", "end")))


@attrs.frozen
class Offset(Moment):
    """A moment moved by calendar units: ``Offset(Now(), "past", {"days": 3})`` (3 days ago).

    ``which_day_end`` (``"start"`` or ``"end"``), as Close's app writes on every offset,
    rounds the result to that end of its local day.
    """

    _tag: ClassVar[str] = "offset"
    moment: Moment = attrs.field(validator=_checked(_instance(Moment)), metadata=_reads(Moment))
    direction: str = attrs.field(validator=_checked(_choice("past", "future")))
    offset: tuple[tuple[str, int], ...] = attrs.field(
        converter=_unit_pairs,
        validator=_checked(_instance(tuple), _units),
        metadata={"to_json": dict},
    )
    which_day_end: str | None = attrs.field(
        default=None, kw_only=True, validator=_checked(_optional(_choice("start", "end")))
    )


@attrs.frozen
class OpaqueMoment(_Opaque, Moment):
    """A moment of a type this module does not know, kept as sent (see :func:`from_dict`)."""

    json: str


# --- conditions: what a field must satisfy


@attrs.frozen
class Condition(_Node):
    """The test in a field condition; built by :class:`Field` methods, e.g. ``Exists()``."""


@attrs.frozen
class TextCondition(Condition):
    """Text match on a text field: ``TextCondition("ACME", mode="full_words")``."""

    _tag: ClassVar[str] = "text"
    value: str = attrs.field(validator=_checked(_str))
    mode: str = attrs.field(validator=_checked(_choice(*_TEXT_MODES)))


@attrs.frozen
class Term(Condition):
    """The field has one of fixed values: ``Term(["Potential", "Qualified"])``."""

    _tag: ClassVar[str] = "term"
    values: tuple[str | int | bool, ...] = attrs.field(
        converter=_tupled, validator=_checked(_items(str, int))
    )


@attrs.frozen
class Reference(Condition):
    """The field points at one of these objects: ``Reference(["user_1"], "user_or_group")``.

    ``reference_type`` names what the ids are, per field: ``"user_or_group"`` for user
    fields, ``"status.lead"`` for a lead's ``status_id`` (as Close's exported queries show).
    """

    _tag: ClassVar[str] = "reference"
    object_ids: tuple[str, ...] = attrs.field(converter=_tupled, validator=_checked(_items(str)))
    reference_type: str = attrs.field(validator=_checked(_str))


@attrs.frozen
class Exists(Condition):
    """The field has a value: ``Exists()``; negate the field condition for "is empty"."""

    _tag: ClassVar[str] = "exists"


_BOUND = _checked(_optional(_number))


@attrs.frozen
class NumberRange(Condition):
    """Numeric bounds, at least one: ``NumberRange(gte=10, lt=100)``.

    Close has not published the key names; ``gt``, ``gte``, ``lt`` and ``lte`` are assumed.
    """

    _tag: ClassVar[str] = "number_range"
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


_END = _checked(_optional(_instance(Moment)))


@attrs.frozen
class MomentRange(Condition):
    """A date field in ``[on_or_after, before)``, either end open: ``MomentRange(before=Now())``.

    An open end is left out of the JSON, or written as ``null`` when named in ``nulls`` (as
    Close's app writes it, and :meth:`Field.moment_range` does).
    """

    _tag: ClassVar[str] = "moment_range"
    on_or_after: Moment | None = attrs.field(
        default=None, kw_only=True, validator=_END, metadata=_reads(Moment)
    )
    before: Moment | None = attrs.field(
        default=None, kw_only=True, validator=_END, metadata=_reads(Moment)
    )

    def __attrs_post_init__(self) -> None:
        if self.on_or_after is None and self.before is None:
            raise ValueError("moment_range needs on_or_after, before or both")


@attrs.frozen
class OpaqueCondition(_Opaque, Condition):
    """A condition of a type this module does not know, kept as sent (see :func:`from_dict`)."""

    json: str


# --- fields


@attrs.frozen
class Field(_Node):
    """A field to filter or sort on; its methods build field conditions.

    >>> field("name").term(["ACME"]).to_dict()["condition"]
    {'type': 'term', 'values': ['ACME']}
    """

    def text(self, value: str, *, mode: str = "full_words") -> FieldCondition:
        """Text match: ``field("name").text("acme", mode="beginning_of_words")``."""
        return FieldCondition(self, TextCondition(value, mode))

    def term(self, values: list[str | int | bool] | tuple[str | int | bool, ...]) -> FieldCondition:
        """One of fixed values (a list, not a bare str): ``field("status_label").term(["Won"])``."""
        return FieldCondition(self, Term(values))

    def reference(self, ids: list[str] | tuple[str, ...], *, reference_type: str) -> FieldCondition:
        """Points at one of these objects; ``reference_type`` depends on the field.

        ``"user_or_group"`` for user fields, ``"status.lead"`` for a lead's ``status_id``;
        there is no default, because no single one is right.

        >>> q = field("user_id").reference(["user_1"], reference_type="user_or_group")
        >>> q.to_dict()["condition"]["reference_type"]
        'user_or_group'
        """
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

        An open end is written as ``null``, as Close's app writes it.

        >>> q = field("date_created").moment_range(on_or_after=offset(now(), "past", days=7))
        >>> condition = q.to_dict()["condition"]
        >>> condition["on_or_after"]["offset"], condition["before"]
        ({'days': 7}, None)
        """
        ends = {"on_or_after": on_or_after, "before": before}
        moments = {k: None if v is None else _as_moment(v, k) for k, v in ends.items()}
        open_ends = frozenset(k for k, v in moments.items() if v is None)
        return FieldCondition(self, MomentRange(**moments, nulls=open_ends))


@attrs.frozen
class RegularField(Field):
    """A built-in field of an object type: ``RegularField("name", "lead")``."""

    _tag: ClassVar[str] = "regular_field"
    field_name: str = attrs.field(validator=_checked(_str))
    object_type: str = attrs.field(validator=_checked(_str))


@attrs.frozen
class CustomField(Field):
    """A custom field by id: ``CustomField("cf_abc")``."""

    _tag: ClassVar[str] = "custom_field"
    custom_field_id: str = attrs.field(validator=_checked(_str))


@attrs.frozen
class OpaqueField(_Opaque, Field):
    """A field of a type this module does not know, kept as sent (see :func:`from_dict`)."""

    json: str


# --- query nodes


@attrs.frozen
class Query(_Node):
    """A node of an s_query tree. Combine with ``&``, ``|`` and ``~``; ``to_dict()`` is the JSON.

    ``negate`` is ``True``, ``False`` or ``None`` (not stated: the API reads it as false); the
    builders never write ``False``, but :func:`from_dict` keeps one it reads, for the round trip.

    >>> (~saved_search("save_1")).to_dict()
    {'type': 'saved_search', 'saved_search_id': 'save_1', 'negate': True}
    """

    negate: bool | None = attrs.field(
        default=None, kw_only=True, validator=_checked(_optional(_instance(bool)))
    )

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


def _read_queries(value: object, name: str) -> tuple[Query, ...]:
    if not isinstance(value, list):
        raise TypeError(f"{name} must be a list, got {_kind(value)}")
    return tuple(_read(q, f"{name}[{i}]", Query) for i, q in enumerate(value))


@attrs.frozen
class _Compound(Query):
    """What `And` and `Or` share: a node of other nodes, `queries`, kept in order."""

    queries: tuple[Query, ...] = attrs.field(
        converter=_tupled,
        validator=_checked(_items(Query)),
        metadata={"read": _read_queries},
    )


@attrs.frozen
class And(_Compound):
    """All sub-queries match: ``and_(a, b)`` or ``a & b``."""

    _tag: ClassVar[str] = "and"


@attrs.frozen
class Or(_Compound):
    """Any sub-query matches: ``or_(a, b)`` or ``a | b``."""

    _tag: ClassVar[str] = "or"


@attrs.frozen
class MatchAll(Query):
    """Every object: ``match_all()``; Close's app writes it alone or inside an ``and``."""

    _tag: ClassVar[str] = "match_all"


@attrs.frozen
class ObjectType(Query):
    """Objects of one type: ``ObjectType("lead")``."""

    _tag: ClassVar[str] = "object_type"
    object_type: str = attrs.field(validator=_checked(_str))


@attrs.frozen
class FieldCondition(Query):
    """A field satisfies a condition: ``FieldCondition(CustomField("cf_1"), Exists())``."""

    _tag: ClassVar[str] = "field_condition"
    field: Field = attrs.field(validator=_checked(_instance(Field)), metadata=_reads(Field))
    condition: Condition = attrs.field(
        validator=_checked(_instance(Condition)), metadata=_reads(Condition)
    )


@attrs.frozen
class HasRelated(Query):
    """Some related object matches: ``HasRelated("lead", "contact", ObjectType("contact"))``."""

    _tag: ClassVar[str] = "has_related"
    this_object_type: str = attrs.field(validator=_checked(_str))
    related_object_type: str = attrs.field(validator=_checked(_str))
    related_query: Query = attrs.field(validator=_checked(_instance(Query)), metadata=_reads(Query))


@attrs.frozen
class SavedSearch(Query):
    """The results of a saved search (smart view): ``SavedSearch("save_1")``."""

    _tag: ClassVar[str] = "saved_search"
    saved_search_id: str = attrs.field(validator=_checked(_str))


@attrs.frozen
class FullText(Query):
    """Full-text search over the whole object: ``FullText("acme", "full_words")``."""

    _tag: ClassVar[str] = "text"
    value: str = attrs.field(validator=_checked(_str))
    mode: str = attrs.field(validator=_checked(_choice(*_TEXT_MODES)))


@attrs.frozen
class OpaqueQuery(_Opaque, Query):
    """A query node of a type this module does not know, kept as sent (see :func:`from_dict`).

    Its ``negate`` is read out, so ``~`` works on it as on any node.
    """

    json: str


@attrs.frozen
class Sort:
    """One sort item (a request takes a list): ``Sort(CustomField("cf_1"), "asc")``."""

    field: Field = attrs.field(validator=_checked(_instance(Field)), metadata=_reads(Field))
    direction: str = attrs.field(validator=_checked(_choice("asc", "desc")))

    def to_dict(self) -> dict[str, Any]:
        """The JSON of this sort item."""
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


def match_all() -> MatchAll:
    """Every object; Close's app writes it alone or inside an ``and``.

    >>> (match_all() & object_type("lead")).to_dict()["queries"][0]
    {'type': 'match_all'}
    """
    return MatchAll()


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
    {'type': 'regular_field', 'field_name': 'name', 'object_type': 'lead'}
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
    {'type': 'text', 'value': 'acme', 'mode': 'beginning_of_words'}
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


def offset(
    moment: Moment | datetime | date,
    direction: str,
    *,
    which_day_end: str | None = None,
    **units: int,
) -> Offset:
    """`moment` moved into the ``"past"`` or ``"future"`` by non-negative units (days=3, ...).

    ``which_day_end="start"`` or ``"end"`` rounds to that end of the local day, as Close's
    app does for relative dates ("more than 3 days ago").

    >>> offset(now(), "past", weeks=2).to_dict()["offset"]
    {'weeks': 2}
    >>> offset(now(), "past", days=3, which_day_end="start").to_dict()["which_day_end"]
    'start'
    """
    return Offset(_as_moment(moment, "moment"), direction, units, which_day_end=which_day_end)


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


# --- reading JSON back: the registries are built from the classes' tags.


def _by_tag(*classes: type[_Node]) -> dict[str, type[_Node]]:
    return {cls._tag: cls for cls in classes}


# For each kind of node: the known types by tag, and the class that keeps an unknown one.
_KINDS: dict[type[_Node], tuple[dict[str, type[_Node]], type[_Node]]] = {
    Query: (
        _by_tag(And, Or, MatchAll, ObjectType, FieldCondition, HasRelated, SavedSearch, FullText),
        OpaqueQuery,
    ),
    Field: (_by_tag(RegularField, CustomField), OpaqueField),
    Condition: (
        _by_tag(TextCondition, Term, Reference, Exists, NumberRange, MomentRange),
        OpaqueCondition,
    ),
    Moment: (_by_tag(Now, FixedUTC, FixedLocalDate, Offset), OpaqueMoment),
}


# The bounds of what `from_dict` reads; a real s_query is a few levels deep and a few
# hundred nodes at most.
MAX_DEPTH = 100
MAX_NODES = 10_000


def from_dict(
    data: Mapping[str, Any], *, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES
) -> Query:
    """Read an s_query back into nodes, as Close writes it; ``from_dict(d).to_dict() == d``.

    A node of a type this module does not know, or with a key it does not know, is kept
    whole as an opaque node (``OpaqueQuery``, ``OpaqueCondition``, ...) that writes back
    unchanged: Close adds node types over time, and ``bulk.s_query`` must always be readable.
    A missing ``type`` or a missing key is an error, and so is a value the node's builder
    would refuse; each message names the node, by its path and type, and the key.

    `data` may come from anyone (a web request, a file): JSON nested deeper than `max_depth`
    (each object or array inside another is one level; the query itself is level 1) or
    holding more than `max_nodes` nodes (every object, array and value in it) is refused
    with a `ValueError` naming the limit, before any node is built.

    >>> from_dict({"type": "object_type", "object_type": "lead"}) == object_type("lead")
    True
    >>> from_dict({"type": "and"})
    Traceback (most recent call last):
    ...
    TypeError: s_query (and): missing key 'queries'
    >>> from_dict({"type": "and", "queries": []}, max_depth=1)
    Traceback (most recent call last):
    ...
    ValueError: s_query is nested deeper than 1 levels (max_depth=1)
    """
    _check_bounds(data, "s_query", max_depth=max_depth, max_nodes=max_nodes)
    try:
        node: Query = _read(data, "s_query", Query)
    except RecursionError:
        # Only with a `max_depth` raised far past the default: still a ValueError, not a crash.
        raise ValueError(
            f"s_query is nested deeper than Python's recursion limit allows "
            f"(max_depth={max_depth} is too high)"
        ) from None
    return node


def sort_from_dict(
    data: Mapping[str, Any], *, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES
) -> Sort:
    """Read one sort item back; ``sort_from_dict(s).to_dict() == s``.

    Bounded as :func:`from_dict` is.

    >>> sort_from_dict(sort("name").to_dict()) == sort("name")
    True
    """
    _check_bounds(data, "sort item", max_depth=max_depth, max_nodes=max_nodes)
    item: Sort = _build(Sort, _mapping(data, "sort item"), "sort item", "sort item")
    return item


def _check_bounds(data: object, name: str, *, max_depth: int, max_nodes: int) -> None:
    """Refuse `data` nested deeper than `max_depth` or holding more than `max_nodes` nodes.

    Walked with a stack, not recursion: the input may be nested thousands deep.
    """
    for limit, bound in (("max_depth", max_depth), ("max_nodes", max_nodes)):
        if isinstance(bound, bool) or not isinstance(bound, int):
            raise TypeError(f"{limit} must be an int, got {_kind(bound)}")
        if bound < 1:
            raise ValueError(f"{limit} must be 1 or more, got {bound}")
    nodes = 1
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if not isinstance(value, Mapping | list | tuple):
            continue
        if depth > max_depth:
            raise ValueError(
                f"{name} is nested deeper than {max_depth} levels (max_depth={max_depth})"
            )
        children = list(value.values()) if isinstance(value, Mapping) else list(value)
        nodes += len(children)
        if nodes > max_nodes:
            raise ValueError(f"{name} holds more than {max_nodes} nodes (max_nodes={max_nodes})")
        stack.extend((child, depth + 1) for child in children)


def _mapping(value: object, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict, got {_kind(value)}")
    return value


def _read(value: object, name: str, kind: type[_Node]) -> Any:
    data = _mapping(value, name)
    if "type" not in data:
        raise ValueError(f"{name}: missing key 'type'")
    tag = data["type"]
    if not isinstance(tag, str):
        raise TypeError(f"{name}: 'type' must be a str, got {_kind(tag)}")
    known, opaque = _KINDS[kind]
    cls = known.get(tag)
    where = f"{name} ({tag})"
    body = {key: v for key, v in data.items() if key != "type"}
    if cls is not None and set(body) <= {f.name for f in _json_fields(cls)}:
        return _build(cls, body, name, where)
    if cls is not None:
        _require(cls, body, where)
    return _keep(opaque, data, where)


def _require(cls: type, body: Mapping[str, Any], where: str) -> None:
    for attribute in _json_fields(cls):
        if attribute.default is attrs.NOTHING and attribute.name not in body:
            raise TypeError(f"{where}: missing key {attribute.name!r}")


def _build(cls: type, body: Mapping[str, Any], name: str, where: str) -> Any:
    """`cls` from its JSON keys; `name` is the node's path, `where` names it in errors."""
    _require(cls, body, where)
    attributes = {f.name: f for f in _json_fields(cls)}
    values: dict[str, Any] = {}
    nulls = set()
    for key, value in body.items():
        attribute = attributes.get(key)
        if attribute is None:
            raise TypeError(f"{where}: unknown key {key!r}")
        if value is None and attribute.default is not attrs.NOTHING:
            nulls.add(key)
        elif "read" in attribute.metadata:
            values[key] = attribute.metadata["read"](value, f"{name}.{key}")
        else:
            values[key] = value
    try:
        return cls(**values, **({"nulls": nulls} if nulls else {}))
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{where}: {exc}") from None


def _keep(cls: type[_Node], data: Mapping[str, Any], where: str) -> _Node:
    body = dict(data)
    negate = None
    if cls is OpaqueQuery and isinstance(body.get("negate"), bool):
        # Read out, so that ~ toggles it as on any node.
        negate = body.pop("negate")
    try:
        text = _opaque_json(body)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{where}: not JSON ({exc})") from None
    if cls is OpaqueQuery:
        return OpaqueQuery(text, negate=negate)
    return cls(text)  # type: ignore[call-arg]
