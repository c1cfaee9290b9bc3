"""Evaluate Close's s_query JSON over the in-memory leads and contacts.

The whole tree is compiled (checked) before any lead is looked at, so an unsupported node
is refused even where `and`/`or` would have short-circuited past it: a bulk action must
never run on a silently wider selection than the one asked for.

>>> leads = [{"id": "lead_1", "name": "ACME Inc.", "contacts": []}]
>>> query = {"type": "field_condition",
...          "field": {"type": "regular_field", "object_type": "lead", "field_name": "name"},
...          "condition": {"type": "text", "mode": "full_words", "value": "acme"}}
>>> [lead["id"] for lead in select_leads(leads, query)]
['lead_1']

Choices where Close's behaviour is not documented (see also the package docstring):

- `text` tokenizes on word characters, case-insensitively; `full_words` needs every word of
  the value among the field's words, `beginning_of_words` needs every word of the value to
  start one of the field's words. Word order does not matter.
- `term` is exact equality with any of `values`; on list fields (emails) any item may match.
- `number_range` bounds are `gt`, `gte`, `lt`, `lte` (the SDK's builder uses the same names).
- `moment_range` is `on_or_after <= value < before`; an end that is absent or `null` is
  open. Local days are in the request's `X-TZ-Offset` (hours east of UTC; UTC without one):
  `fixed_local_date`'s `start` is that local day's midnight, `end` the next day's midnight,
  and an offset's `which_day_end` moves its result to the start or end of its local day in
  the same way. Offsets take years, months, weeks, days, hours, minutes and seconds.
- `match_all` matches every object.
- `has_related` links a lead to its contacts and a contact to its lead; other object types
  (opportunities, activities...) are refused.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

__all__ = [
    "FIELDS",
    "SQueryError",
    "compile_query",
    "select_leads",
    "sort_key_for",
    "tz_from_header",
]

Obj = dict[str, Any]
Predicate = Callable[[Obj], bool]


class SQueryError(ValueError):
    """Raised for an s_query or sort the local server cannot evaluate; the app answers 400.

    `field` is the request field at fault: ``"s_query"`` or ``"sort"``.
    """

    def __init__(self, message: str, *, field: str = "s_query") -> None:
        super().__init__(message)
        self.field = field


def _emails(contact: Obj) -> list[str]:
    return [e["email"] for e in contact.get("emails", ()) if e.get("email")]


def _phones(contact: Obj) -> list[str]:
    return [p["phone"] for p in contact.get("phones", ()) if p.get("phone")]


# Regular fields the server can filter and sort on, per object type, with their kind.
# A getter returns the raw value; lists mean "any item".
_Getter = Callable[[Obj], Any]
FIELDS: dict[str, dict[str, tuple[str, _Getter]]] = {
    "lead": {
        "id": ("text", lambda o: o["id"]),
        "name": ("text", lambda o: o.get("name")),
        "display_name": ("text", lambda o: o.get("display_name")),
        "description": ("text", lambda o: o.get("description")),
        "url": ("text", lambda o: o.get("url")),
        "status_id": ("text", lambda o: o.get("status_id")),
        "status_label": ("text", lambda o: o.get("status_label")),
        "organization_id": ("text", lambda o: o.get("organization_id")),
        "created_by": ("text", lambda o: o.get("created_by")),
        "updated_by": ("text", lambda o: o.get("updated_by")),
        "date_created": ("moment", lambda o: o.get("date_created")),
        "date_updated": ("moment", lambda o: o.get("date_updated")),
        "num_contacts": ("number", lambda o: len(o.get("contacts", ()))),
    },
    "contact": {
        "id": ("text", lambda o: o["id"]),
        "lead_id": ("text", lambda o: o.get("lead_id")),
        "name": ("text", lambda o: o.get("name")),
        "display_name": ("text", lambda o: o.get("display_name")),
        "title": ("text", lambda o: o.get("title")),
        "email": ("text", _emails),
        "emails": ("text", _emails),
        "phone": ("text", _phones),
        "phones": ("text", _phones),
        "created_by": ("text", lambda o: o.get("created_by")),
        "updated_by": ("text", lambda o: o.get("updated_by")),
        "date_created": ("moment", lambda o: o.get("date_created")),
        "date_updated": ("moment", lambda o: o.get("date_updated")),
    },
}

_WORD = re.compile(r"\w+")
_UNITS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")


class _Compiler:
    """Turns s_query JSON into predicates; `kind` is the object type a node is evaluated on."""

    def __init__(self, leads_by_id: Mapping[str, Obj], now: datetime, tz: tzinfo) -> None:
        self._leads_by_id = leads_by_id
        self._now = now
        self._tz = tz

    def query(self, node: Any, kind: str) -> Predicate:
        if not isinstance(node, dict):
            raise SQueryError(f"An s_query node must be an object, not {type(node).__name__}.")
        node_type = node.get("type")
        builder = {
            "and": self._and,
            "or": self._or,
            "object_type": self._object_type,
            "field_condition": self._field_condition,
            "has_related": self._has_related,
            "match_all": self._match_all,
        }.get(node_type if isinstance(node_type, str) else "")
        if builder is None:
            raise SQueryError(f"Unsupported s_query node type: {node_type!r}.")
        predicate = builder(node, kind)
        negate = node.get("negate", False)
        if not isinstance(negate, bool):
            raise SQueryError(f"'negate' must be a boolean in the {node_type!r} node.")
        if negate:
            return lambda obj: not predicate(obj)
        return predicate

    def _children(self, node: Obj, kind: str) -> list[Predicate]:
        queries = node.get("queries")
        if not isinstance(queries, list):
            raise SQueryError(f"The {node['type']!r} node needs a 'queries' list.")
        return [self.query(child, kind) for child in queries]

    def _and(self, node: Obj, kind: str) -> Predicate:
        children = self._children(node, kind)
        return lambda obj: all(p(obj) for p in children)

    def _or(self, node: Obj, kind: str) -> Predicate:
        children = self._children(node, kind)
        return lambda obj: any(p(obj) for p in children)

    def _match_all(self, node: Obj, kind: str) -> Predicate:
        return lambda obj: True

    def _object_type(self, node: Obj, kind: str) -> Predicate:
        object_type = node.get("object_type")
        if not isinstance(object_type, str):
            raise SQueryError("The 'object_type' node needs an 'object_type' string.")
        result = object_type == kind
        return lambda obj: result

    def _has_related(self, node: Obj, kind: str) -> Predicate:
        this = node.get("this_object_type", kind)
        related = node.get("related_object_type")
        if this != kind:
            raise SQueryError(f"has_related: this_object_type {this!r} used on a {kind}.")
        inner = self.query(node.get("related_query"), str(related))
        if (kind, related) == ("lead", "contact"):
            return lambda obj: any(inner(c) for c in obj.get("contacts", ()))
        if (kind, related) == ("contact", "lead"):
            leads = self._leads_by_id
            return lambda obj: obj.get("lead_id") in leads and inner(leads[obj["lead_id"]])
        raise SQueryError(f"Unsupported has_related from {kind!r} to {related!r}.")

    def _field_condition(self, node: Obj, kind: str) -> Predicate:
        field, condition = node.get("field"), node.get("condition")
        if not isinstance(field, dict) or not isinstance(condition, dict):
            raise SQueryError("A 'field_condition' node needs 'field' and 'condition' objects.")
        name, value_kind, getter = field_getter(field, kind)
        test = self._condition(condition, name, value_kind)
        return lambda obj: test(_values(getter(obj)))

    def _condition(self, condition: Obj, name: str, value_kind: str) -> Callable[[list[Any]], bool]:
        condition_type = condition.get("type")
        if condition_type == "exists":
            return lambda values: bool(values)
        if condition_type == "text" and value_kind == "text":
            return _text_test(condition)
        if condition_type == "term":
            return _term_test(condition)
        if condition_type == "reference" and value_kind == "text":
            return _reference_test(condition)
        if condition_type == "number_range" and value_kind == "number":
            return _number_test(condition)
        if condition_type == "moment_range" and value_kind == "moment":
            return self._moment_test(condition)
        if condition_type in {"text", "reference", "number_range", "moment_range"}:
            raise SQueryError(f"Condition {condition_type!r} cannot be used on field {name!r}.")
        raise SQueryError(f"Unsupported s_query condition type: {condition_type!r}.")

    def _moment_test(self, condition: Obj) -> Callable[[list[Any]], bool]:
        # Close's app writes an open end as an explicit null.
        ends = condition.get("on_or_after"), condition.get("before")
        low, high = (None if end is None else self.moment(end) for end in ends)
        if low is None and high is None:
            raise SQueryError("moment_range needs 'on_or_after', 'before' or both.")

        def test(values: list[Any]) -> bool:
            for value in values:
                moment = _parse_datetime(value)
                if (low is None or moment >= low) and (high is None or moment < high):
                    return True
            return False

        return test

    def moment(self, node: Any) -> datetime:
        """The instant a MOMENT node names, in UTC."""
        kind = node.get("type") if isinstance(node, dict) else None
        if kind == "now":
            return self._now
        if kind == "fixed_utc":
            return _parse_datetime(node.get("value"))
        if kind == "fixed_local_date":
            return _local_date(node, self._tz)
        if kind == "offset":
            return _day_end(_shift(self.moment(node.get("moment")), node), node, self._tz)
        raise SQueryError(f"Unsupported moment type: {kind!r}.")


def field_getter(field: Obj, kind: str) -> tuple[str, str, _Getter]:
    """Resolve a FIELD node used on a `kind` object: (field name, value kind, getter)."""
    if field.get("type") != "regular_field":
        raise SQueryError(f"Unsupported s_query field type: {field.get('type')!r}.")
    object_type, name = field.get("object_type", kind), field.get("field_name")
    if object_type != kind:
        raise SQueryError(f"Field {name!r} of object_type {object_type!r} used on a {kind}.")
    known = FIELDS.get(kind, {})
    if not isinstance(name, str) or name not in known:
        raise SQueryError(f"Unknown {kind} field: {name!r}.")
    value_kind, getter = known[name]
    return name, value_kind, getter


def _values(raw: Any) -> list[Any]:
    if raw is None or raw == "":
        return []
    return list(raw) if isinstance(raw, list) else [raw]


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _text_test(condition: Obj) -> Callable[[list[Any]], bool]:
    mode, value = condition.get("mode", "full_words"), condition.get("value")
    if not isinstance(value, str):
        raise SQueryError("A 'text' condition needs a 'value' string.")
    wanted = _words(value)
    if mode == "full_words":

        def matches(words: list[str]) -> bool:
            have = set(words)
            return all(w in have for w in wanted)

    elif mode == "beginning_of_words":

        def matches(words: list[str]) -> bool:
            return all(any(h.startswith(w) for h in words) for w in wanted)

    else:
        raise SQueryError(f"Unsupported text mode: {mode!r}.")
    return lambda values: any(matches(_words(str(v))) for v in values)


def _term_test(condition: Obj) -> Callable[[list[Any]], bool]:
    values = condition.get("values")
    if not isinstance(values, list):
        raise SQueryError("A 'term' condition needs a 'values' list.")
    allowed = {v for v in values if isinstance(v, str | int | float | bool)}
    return lambda have: any(v in allowed for v in have)


def _reference_test(condition: Obj) -> Callable[[list[Any]], bool]:
    ids = condition.get("object_ids")
    if not isinstance(ids, list):
        raise SQueryError("A 'reference' condition needs an 'object_ids' list.")
    allowed = {i for i in ids if isinstance(i, str)}
    return lambda have: any(v in allowed for v in have)


_NUMBER_BOUNDS: dict[str, Callable[[float, float], bool]] = {
    "gt": lambda v, b: v > b,
    "gte": lambda v, b: v >= b,
    "lt": lambda v, b: v < b,
    "lte": lambda v, b: v <= b,
}


def _number_test(condition: Obj) -> Callable[[list[Any]], bool]:
    bounds: list[tuple[Callable[[float, float], bool], float]] = []
    for key, compare in _NUMBER_BOUNDS.items():
        bound = condition.get(key)
        if bound is None:
            continue
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            raise SQueryError(f"number_range bound {key!r} must be a number.")
        bounds.append((compare, float(bound)))
    if not bounds:
        raise SQueryError("number_range needs at least one of 'gt', 'gte', 'lt', 'lte'.")
    return lambda values: any(all(c(float(v), b) for c, b in bounds) for v in values)


def _parse_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise SQueryError(f"Expected an ISO date-time, got {value!r}.")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SQueryError(f"Expected an ISO date-time, got {value!r}.") from None
    # Naive times are UTC in Close, as in sequences' timestamps.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _local_date(node: Obj, tz: tzinfo) -> datetime:
    try:
        day = date.fromisoformat(str(node.get("value")))
    except ValueError:
        raise SQueryError(
            f"fixed_local_date needs YYYY-MM-DD, got {node.get('value')!r}."
        ) from None
    which = node.get("which", "start")
    if which not in ("start", "end"):
        raise SQueryError(f"fixed_local_date 'which' must be 'start' or 'end', not {which!r}.")
    return _day_edge(day, which, tz)


def _day_edge(day: date, which: str, tz: tzinfo) -> datetime:
    """The start (midnight) or end (next midnight) of a local `day`, in UTC."""
    start = datetime.combine(day, time(), tzinfo=tz)
    return (start if which == "start" else start + timedelta(days=1)).astimezone(UTC)


def _day_end(moment: datetime, node: Obj, tz: tzinfo) -> datetime:
    which = node.get("which_day_end")
    if which is None:
        return moment
    if which not in ("start", "end"):
        raise SQueryError(f"offset 'which_day_end' must be 'start' or 'end', not {which!r}.")
    return _day_edge(moment.astimezone(tz).date(), which, tz)


def tz_from_header(value: str | None) -> tzinfo:
    """The local time an `X-TZ-Offset` header names (hours east of UTC); UTC without one.

    >>> tz_from_header("5.5").utcoffset(None)
    datetime.timedelta(seconds=19800)
    >>> tz_from_header(None)
    datetime.timezone.utc
    """
    if value is None:
        return UTC
    try:
        hours = float(value)
    except ValueError:
        hours = float("nan")
    if not -12 <= hours <= 14:
        raise SQueryError(
            f"X-TZ-Offset must be hours east of UTC, not {value!r}.", field="X-TZ-Offset"
        )
    return timezone(timedelta(hours=hours))


def _shift(moment: datetime, node: Obj) -> datetime:
    direction, offset = node.get("direction"), node.get("offset")
    if direction not in ("past", "future") or not isinstance(offset, dict):
        raise SQueryError("An 'offset' moment needs 'direction' past|future and an 'offset'.")
    unknown = set(offset) - set(_UNITS)
    if unknown or not all(isinstance(v, int) and not isinstance(v, bool) for v in offset.values()):
        raise SQueryError(f"Offset units must be integers among {', '.join(_UNITS)}.")
    sign = -1 if direction == "past" else 1
    months = sign * (12 * offset.get("years", 0) + offset.get("months", 0))
    delta = timedelta(
        weeks=offset.get("weeks", 0),
        days=offset.get("days", 0),
        hours=offset.get("hours", 0),
        minutes=offset.get("minutes", 0),
        seconds=offset.get("seconds", 0),
    )
    return _add_months(moment, months) + sign * delta


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def compile_query(
    s_query: Any,
    *,
    leads_by_id: Mapping[str, Obj] | None = None,
    now: datetime | None = None,
    tz: tzinfo = UTC,
) -> Predicate:
    """Check `s_query` and return a predicate over lead dicts; raises `SQueryError`.

    `tz` is the local time of relative dates (see `tz_from_header`).
    """
    compiler = _Compiler(leads_by_id or {}, now or datetime.now(UTC), tz)
    return compiler.query(s_query, "lead")


def sort_key_for(items: Any) -> Callable[[list[Obj]], list[Obj]]:
    """Check a `sort` list and return a function that sorts leads by it (stable)."""
    if items is None:
        items = []
    if not isinstance(items, list):
        raise SQueryError("'sort' must be a list.", field="sort")
    keys: list[tuple[_Getter, bool]] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("field"), dict):
            raise SQueryError("Each sort item needs a 'field' object.", field="sort")
        direction = item.get("direction", "asc")
        if direction not in ("asc", "desc"):
            raise SQueryError(
                f"Sort direction must be 'asc' or 'desc', not {direction!r}.", field="sort"
            )
        try:
            _name, _kind, getter = field_getter(item["field"], "lead")
        except SQueryError as err:
            raise SQueryError(str(err), field="sort") from None
        keys.append((getter, direction == "desc"))

    def sort(leads: list[Obj]) -> list[Obj]:
        result = list(leads)
        # Stable sorts applied from the last key to the first give a multi-key sort.
        for getter, descending in reversed(keys):
            present = [lead for lead in result if _sortable(getter(lead)) is not None]
            missing = [lead for lead in result if _sortable(getter(lead)) is None]
            present.sort(key=lambda lead: _sortable(getter(lead)), reverse=descending)
            result = present + missing  # objects without a value go last either way
        return result

    return sort


def _sortable(value: Any) -> Any:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        return value.lower()
    return value


def select_leads(
    leads: Iterable[Obj],
    s_query: Any,
    sort: Any = None,
    results_limit: int | None = None,
    *,
    now: datetime | None = None,
    tz: tzinfo = UTC,
) -> list[Obj]:
    """The leads `s_query` selects, ordered by `sort` and capped by `results_limit`."""
    all_leads = list(leads)
    predicate = compile_query(
        s_query, leads_by_id={lead["id"]: lead for lead in all_leads}, now=now, tz=tz
    )
    order = sort_key_for(sort)
    chosen = order([lead for lead in all_leads if predicate(lead)])
    return chosen if results_limit is None else chosen[:results_limit]
