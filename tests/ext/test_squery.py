"""Tests of the s_query and sort builders (`close_seq_ext.squery`)."""

from __future__ import annotations

import doctest
import json
import operator
import re
import string
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from close_seq_ext import squery

NAME = {"type": "regular_field", "object_type": "lead", "field_name": "name"}


def named(name: str) -> str:
    """A pattern matching `name` as a whole word, so "ids" does not match "object_ids"."""
    return rf"\b{re.escape(name)}\b"


# --- seed 004: the request body of "Initiate a new bulk sequence subscription"

SEED_004_S_QUERY = {
    "queries": [
        {"object_type": "lead", "type": "object_type"},
        {
            "condition": {"mode": "full_words", "type": "text", "value": "ACME Inc."},
            "field": {"field_name": "name", "object_type": "lead", "type": "regular_field"},
            "type": "field_condition",
        },
    ],
    "type": "and",
}
SEED_004_SORT = [
    {
        "direction": "desc",
        "field": {"field_name": "date_created", "object_type": "lead", "type": "regular_field"},
    }
]


def test_builder_reproduces_seed_004_s_query() -> None:
    query = squery.object_type("lead") & squery.field("name").text("ACME Inc.")
    assert query.to_dict() == SEED_004_S_QUERY


def test_builder_reproduces_seed_004_sort() -> None:
    sort = [squery.sort("date_created", direction="desc")]
    assert [item.to_dict() for item in sort] == SEED_004_SORT


def test_seed_004_s_query_round_trips() -> None:
    assert squery.from_dict(SEED_004_S_QUERY).to_dict() == SEED_004_S_QUERY


def test_seed_004_sort_round_trips() -> None:
    assert [squery.sort_from_dict(item).to_dict() for item in SEED_004_SORT] == SEED_004_SORT


# --- exact JSON of each node type


def test_object_type_json() -> None:
    assert squery.object_type("contact").to_dict() == {
        "type": "object_type",
        "object_type": "contact",
    }


def test_regular_field_json_defaults_to_lead() -> None:
    assert squery.field("name").to_dict() == NAME


def test_regular_field_json_takes_object_type() -> None:
    assert squery.field("title", object_type="contact").to_dict() == {
        "type": "regular_field",
        "object_type": "contact",
        "field_name": "title",
    }


def test_custom_field_json() -> None:
    assert squery.custom_field("cf_1").to_dict() == {
        "type": "custom_field",
        "custom_field_id": "cf_1",
    }


def test_text_condition_json() -> None:
    assert squery.field("name").text("acme", mode="beginning_of_words").to_dict() == {
        "type": "field_condition",
        "field": NAME,
        "condition": {"type": "text", "mode": "beginning_of_words", "value": "acme"},
    }


def test_term_condition_json() -> None:
    condition = squery.custom_field("cf_1").term(["a", 2, True]).to_dict()["condition"]
    assert condition == {"type": "term", "values": ["a", 2, True]}


def test_reference_condition_json() -> None:
    query = squery.field("user_id").reference(["user_1", "group_1"], reference_type="user_or_group")
    assert query.to_dict()["condition"] == {
        "type": "reference",
        "reference_type": "user_or_group",
        "object_ids": ["user_1", "group_1"],
    }


def test_reference_condition_json_takes_reference_type() -> None:
    query = squery.field("status_id").reference(("stat_1",), reference_type="status.lead")
    assert query.to_dict()["condition"]["reference_type"] == "status.lead"


def test_reference_has_no_default_type_because_none_is_right_for_every_field() -> None:
    with pytest.raises(TypeError, match="reference_type"):
        squery.field("status_id").reference(["stat_1"])  # type: ignore[call-arg]


def test_exists_condition_json() -> None:
    assert squery.field("email").exists().to_dict()["condition"] == {"type": "exists"}


def test_number_range_json_has_only_given_bounds() -> None:
    condition = squery.custom_field("cf_n").number_range(gte=10, lt=99.5).to_dict()["condition"]
    assert condition == {"type": "number_range", "gte": 10, "lt": 99.5}


def test_moment_range_json() -> None:
    query = squery.field("date_created").moment_range(
        on_or_after=squery.offset(squery.now(), "past", days=3, hours=1),
        before=squery.now(),
    )
    assert query.to_dict()["condition"] == {
        "type": "moment_range",
        "on_or_after": {
            "type": "offset",
            "direction": "past",
            "moment": {"type": "now"},
            "offset": {"days": 3, "hours": 1},
        },
        "before": {"type": "now"},
    }


def test_moment_range_json_writes_an_open_end_as_null_as_closes_app_does() -> None:
    condition = squery.field("date_created").moment_range(before=squery.now()).to_dict()
    assert condition["condition"] == {
        "type": "moment_range",
        "on_or_after": None,
        "before": {"type": "now"},
    }


def test_a_moment_range_built_from_its_class_leaves_an_open_end_out() -> None:
    condition = squery.MomentRange(before=squery.Now()).to_dict()
    assert condition == {"type": "moment_range", "before": {"type": "now"}}


def test_offset_json_carries_which_day_end() -> None:
    moment = squery.offset(squery.now(), "past", days=3, which_day_end="start")
    assert moment.to_dict() == {
        "type": "offset",
        "direction": "past",
        "moment": {"type": "now"},
        "offset": {"days": 3},
        "which_day_end": "start",
    }


def test_match_all_json() -> None:
    assert squery.match_all().to_dict() == {"type": "match_all"}
    assert (~squery.match_all()).to_dict() == {"type": "match_all", "negate": True}


def test_fixed_utc_json_from_aware_datetime_is_in_utc() -> None:
    moment = squery.fixed_utc(datetime(2024, 5, 1, 11, tzinfo=timezone(timedelta(hours=2))))
    assert moment.to_dict() == {"type": "fixed_utc", "value": "2024-05-01T09:00:00+00:00"}


def test_fixed_utc_keeps_iso_string_as_given() -> None:
    assert squery.fixed_utc("2024-05-01T09:00:00Z").to_dict()["value"] == "2024-05-01T09:00:00Z"


def test_fixed_local_date_json_from_date() -> None:
    assert squery.fixed_local_date(date(2024, 5, 1), which="end").to_dict() == {
        "type": "fixed_local_date",
        "value": "2024-05-01",
        "which": "end",
    }


def test_moment_range_reads_datetime_as_fixed_utc_and_date_as_start_of_day() -> None:
    query = squery.field("date_created").moment_range(
        on_or_after=date(2024, 1, 1), before=datetime(2024, 2, 1, tzinfo=UTC)
    )
    assert query.to_dict()["condition"] == {
        "type": "moment_range",
        "on_or_after": {"type": "fixed_local_date", "value": "2024-01-01", "which": "start"},
        "before": {"type": "fixed_utc", "value": "2024-02-01T00:00:00+00:00"},
    }


def test_offset_json_nests_its_moment() -> None:
    moment = squery.offset(squery.fixed_local_date("2024-05-01"), "future", weeks=2)
    assert moment.to_dict() == {
        "type": "offset",
        "direction": "future",
        "moment": {"type": "fixed_local_date", "value": "2024-05-01", "which": "start"},
        "offset": {"weeks": 2},
    }


def test_has_related_json() -> None:
    related = squery.field("title", object_type="contact").text("CEO")
    assert squery.has_related("contact", related).to_dict() == {
        "type": "has_related",
        "this_object_type": "lead",
        "related_object_type": "contact",
        "related_query": related.to_dict(),
    }


def test_saved_search_json() -> None:
    assert squery.saved_search("save_1").to_dict() == {
        "type": "saved_search",
        "saved_search_id": "save_1",
    }


def test_full_text_json() -> None:
    assert squery.text("acme").to_dict() == {"type": "text", "mode": "full_words", "value": "acme"}


def test_and_json() -> None:
    query = squery.and_(squery.object_type("lead"), squery.saved_search("save_1"))
    assert query.to_dict() == {
        "type": "and",
        "queries": [
            {"type": "object_type", "object_type": "lead"},
            {"type": "saved_search", "saved_search_id": "save_1"},
        ],
    }


def test_or_json() -> None:
    query = squery.or_(squery.text("a"), squery.text("b"))
    assert query.to_dict() == {
        "type": "or",
        "queries": [
            {"type": "text", "mode": "full_words", "value": "a"},
            {"type": "text", "mode": "full_words", "value": "b"},
        ],
    }


def test_negated_node_json_carries_negate_true() -> None:
    assert (~squery.field("email").exists()).to_dict() == {
        "type": "field_condition",
        "field": {"type": "regular_field", "object_type": "lead", "field_name": "email"},
        "condition": {"type": "exists"},
        "negate": True,
    }


def test_sort_json_from_custom_field_defaults_to_asc() -> None:
    assert squery.sort(squery.custom_field("cf_1")).to_dict() == {
        "direction": "asc",
        "field": {"type": "custom_field", "custom_field_id": "cf_1"},
    }


# --- operators


def test_ampersand_builds_and() -> None:
    a, b = squery.object_type("lead"), squery.saved_search("save_1")
    assert a & b == squery.and_(a, b)


def test_pipe_builds_or() -> None:
    a, b = squery.text("a"), squery.text("b")
    assert a | b == squery.or_(a, b)


def test_chained_ampersands_flatten_into_one_and() -> None:
    a, b, c = squery.text("a"), squery.text("b"), squery.text("c")
    assert (a & b & c).to_dict()["queries"] == [a.to_dict(), b.to_dict(), c.to_dict()]


def test_and_keeps_a_negated_and_child_nested() -> None:
    a, b, c = squery.text("a"), squery.text("b"), squery.text("c")
    assert squery.and_(~(a & b), c).queries == (~(a & b), c)


def test_and_keeps_an_or_child_nested() -> None:
    a, b, c = squery.text("a"), squery.text("b"), squery.text("c")
    assert ((a | b) & c).queries == (a | b, c)


def test_and_of_one_query_wraps_it() -> None:
    assert squery.and_(squery.text("a")).to_dict()["queries"] == [squery.text("a").to_dict()]


def test_tilde_toggles_negate_rather_than_stacking() -> None:
    query = squery.saved_search("save_1")
    assert ~~query == query
    assert "negate" not in (~~query).to_dict()


def test_not_is_tilde() -> None:
    query = squery.field("email").exists()
    assert squery.not_(query) == ~query


def test_tilde_on_explicit_negate_false_negates() -> None:
    query = squery.from_dict({"type": "saved_search", "saved_search_id": "s", "negate": False})
    assert (~query).negate is True


@pytest.mark.parametrize(
    "combine",
    [operator.and_, operator.or_, lambda q, o: o & q, lambda q, o: o | q],
    ids=["and", "or", "reflected-and", "reflected-or"],
)
@pytest.mark.parametrize("other", [1, "x", None, {"type": "text", "value": "x"}])
def test_combining_with_a_non_query_raises_type_error(
    combine: Callable[[object, object], object], other: object
) -> None:
    with pytest.raises(TypeError):
        combine(squery.text("a"), other)


# --- equality, hashing, immutability


def test_queries_with_equal_json_are_equal_and_hash_alike() -> None:
    first = squery.field("name").term(["a", "b"])
    second = squery.field("name").term(("a", "b"))
    assert first == second
    assert len({first, second}) == 1


def test_explicit_negate_false_differs_from_unstated_negate() -> None:
    stated = squery.from_dict({"type": "saved_search", "saved_search_id": "s", "negate": False})
    assert stated != squery.saved_search("s")


def test_offsets_with_the_same_units_in_another_order_are_equal() -> None:
    now = squery.now()
    assert squery.offset(now, "past", days=1, hours=2) == squery.offset(
        now, "past", hours=2, days=1
    )


@pytest.mark.parametrize(
    ("node", "attribute"),
    [
        (squery.object_type("lead"), "object_type"),
        (squery.object_type("lead"), "negate"),
        (squery.field("name"), "field_name"),
        (squery.field("name").term(["a"]).condition, "values"),
        (squery.fixed_utc("2024-01-01T00:00:00Z"), "value"),
        (squery.sort("name"), "direction"),
    ],
    ids=["query", "negate", "field", "condition", "moment", "sort"],
)
def test_nodes_are_frozen(node: object, attribute: str) -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(node, attribute, "changed")


def test_operators_leave_their_operands_unchanged() -> None:
    query = squery.text("a")
    _ = ~query & squery.text("b")
    assert query.to_dict() == {"type": "text", "mode": "full_words", "value": "a"}


# --- invalid arguments fail at build time, naming the argument


def _naive() -> datetime:
    return datetime(2024, 1, 1)  # naive on purpose


INVALID: list[Any] = [
    pytest.param(lambda: squery.text("x", mode="fuzzy"), ValueError, "mode", id="text-mode"),
    pytest.param(lambda: squery.text(""), ValueError, "value", id="text-empty"),
    pytest.param(lambda: squery.text(5), TypeError, "value", id="text-not-str"),
    pytest.param(lambda: squery.field("n").text("x", mode="x"), ValueError, "mode", id="f-mode"),
    pytest.param(lambda: squery.field("n").term("abc"), TypeError, "values", id="term-bare-str"),
    pytest.param(lambda: squery.field("n").term([]), ValueError, "values", id="term-empty"),
    pytest.param(lambda: squery.field("n").term([1.5]), TypeError, "values", id="term-float"),
    pytest.param(lambda: squery.field("n").term([None]), TypeError, "values", id="term-none"),
    pytest.param(
        lambda: squery.field("n").reference([], reference_type="user_or_group"),
        ValueError,
        "ids",
        id="ref-empty",
    ),
    pytest.param(
        lambda: squery.field("n").reference("u_1", reference_type="x"),
        TypeError,
        "ids",
        id="ref-bare-str",
    ),
    pytest.param(
        lambda: squery.field("n").reference([1], reference_type="x"), TypeError, "ids", id="ref-int"
    ),
    pytest.param(
        lambda: squery.field("n").reference(["u"], reference_type=""),
        ValueError,
        "reference_type",
        id="ref-type",
    ),
    pytest.param(lambda: squery.object_type(""), ValueError, "name", id="object-type-empty"),
    pytest.param(lambda: squery.object_type(None), TypeError, "name", id="object-type-none"),
    pytest.param(lambda: squery.field(""), ValueError, "name", id="field-empty"),
    pytest.param(lambda: squery.field(1), TypeError, "name", id="field-not-str"),
    pytest.param(lambda: squery.field("n", object_type=""), ValueError, "object_type", id="f-ot"),
    pytest.param(lambda: squery.custom_field(""), ValueError, "field_id", id="custom-field"),
    pytest.param(lambda: squery.saved_search(5), TypeError, "id", id="saved-search"),
    pytest.param(lambda: squery.has_related("contact", "q"), TypeError, "query", id="related-q"),
    pytest.param(
        lambda: squery.has_related("", squery.text("a")),
        ValueError,
        "related_object_type",
        id="related-type",
    ),
    pytest.param(lambda: squery.sort("n", direction="up"), ValueError, "direction", id="sort-dir"),
    pytest.param(lambda: squery.sort(5), TypeError, "field_or_name", id="sort-field"),
    pytest.param(lambda: squery.sort(""), ValueError, "field_or_name", id="sort-empty"),
    pytest.param(lambda: squery.field("n").number_range(), ValueError, "gt", id="range-none"),
    pytest.param(lambda: squery.field("n").number_range(gt=True), TypeError, "gt", id="range-bool"),
    pytest.param(lambda: squery.field("n").number_range(lt="5"), TypeError, "lt", id="range-str"),
    pytest.param(
        lambda: squery.field("n").number_range(gt=1, gte=2), ValueError, "gte", id="range-gt-gte"
    ),
    pytest.param(
        lambda: squery.field("n").number_range(lt=1, lte=2), ValueError, "lte", id="range-lt-lte"
    ),
    pytest.param(
        lambda: squery.field("n").number_range(lte=float("nan")), ValueError, "lte", id="range-nan"
    ),
    pytest.param(
        lambda: squery.field("d").moment_range(), ValueError, "on_or_after", id="moments-none"
    ),
    pytest.param(
        lambda: squery.field("d").moment_range(before="2024-01-01"),
        TypeError,
        "before",
        id="moments-str",
    ),
    pytest.param(
        lambda: squery.field("d").moment_range(on_or_after=_naive()),
        ValueError,
        "on_or_after",
        id="moments-naive",
    ),
    pytest.param(lambda: squery.fixed_utc(_naive()), ValueError, "value", id="utc-naive"),
    pytest.param(
        lambda: squery.fixed_utc("2024-01-01T00:00:00"), ValueError, "value", id="utc-no-offset"
    ),
    pytest.param(lambda: squery.fixed_utc("soon"), ValueError, "value", id="utc-garbage"),
    pytest.param(lambda: squery.fixed_utc(1), TypeError, "value", id="utc-int"),
    pytest.param(
        lambda: squery.fixed_local_date(datetime.now(UTC)), TypeError, "value", id="local-datetime"
    ),
    pytest.param(
        lambda: squery.fixed_local_date("2024-13-01"), ValueError, "value", id="local-bad-month"
    ),
    pytest.param(lambda: squery.fixed_local_date("20240101"), ValueError, "value", id="local-fmt"),
    pytest.param(
        lambda: squery.fixed_local_date("2024-01-01", which="middle"),
        ValueError,
        "which",
        id="local-which",
    ),
    pytest.param(lambda: squery.offset(squery.now(), "past"), ValueError, "offset", id="no-units"),
    pytest.param(
        lambda: squery.offset(squery.now(), "sideways", days=1),
        ValueError,
        "direction",
        id="offset-direction",
    ),
    pytest.param(
        lambda: squery.offset(squery.now(), "past", days=-1), ValueError, "days", id="offset-neg"
    ),
    pytest.param(
        lambda: squery.offset(squery.now(), "past", days=1.5), TypeError, "days", id="offset-float"
    ),
    pytest.param(
        lambda: squery.offset(squery.now(), "past", fortnights=1),
        ValueError,
        "fortnights",
        id="offset-unit",
    ),
    pytest.param(lambda: squery.offset("now", "past", days=1), TypeError, "moment", id="off-mom"),
    pytest.param(lambda: squery.and_(), ValueError, "queries", id="and-empty"),
    pytest.param(lambda: squery.or_(), ValueError, "queries", id="or-empty"),
    pytest.param(lambda: squery.and_(squery.text("a"), "b"), TypeError, "queries", id="and-str"),
    pytest.param(lambda: squery.not_(None), TypeError, "query", id="not-none"),
]


@pytest.mark.parametrize(("build", "error", "argument"), INVALID)
def test_invalid_argument_raises_naming_it(
    build: Callable[[], object], error: type[Exception], argument: str
) -> None:
    with pytest.raises(error, match=named(argument)):
        build()


def test_not_of_nothing_is_an_error() -> None:
    with pytest.raises(TypeError):
        squery.not_()  # type: ignore[call-arg]


# --- from_dict: round trips


ROUND_TRIPS = [
    {"type": "object_type", "object_type": "lead"},
    {"type": "object_type", "object_type": "lead", "negate": True},
    {"type": "object_type", "object_type": "lead", "negate": False},
    {"type": "saved_search", "saved_search_id": "save_1", "negate": True},
    {"type": "text", "mode": "beginning_of_words", "value": "ac", "negate": False},
    {
        "type": "and",
        "queries": [
            {"type": "and", "queries": [{"type": "text", "mode": "full_words", "value": "x"}]}
        ],
    },
    {"type": "or", "negate": True, "queries": [{"type": "object_type", "object_type": "lead"}]},
    {
        "type": "has_related",
        "this_object_type": "lead",
        "related_object_type": "contact",
        "related_query": {"type": "object_type", "object_type": "contact", "negate": True},
        "negate": False,
    },
    {
        "type": "field_condition",
        "field": {"type": "custom_field", "custom_field_id": "cf_1"},
        "condition": {"type": "term", "values": ["a", 1, False]},
        "negate": True,
    },
    {
        "type": "field_condition",
        "field": NAME,
        "condition": {"type": "reference", "reference_type": "user_or_group", "object_ids": ["u"]},
    },
    {"type": "field_condition", "field": NAME, "condition": {"type": "exists"}, "negate": True},
    {
        "type": "field_condition",
        "field": NAME,
        "condition": {"type": "number_range", "gt": 1.5, "lte": 10},
    },
    {
        "type": "field_condition",
        "field": NAME,
        "condition": {
            "type": "moment_range",
            "on_or_after": {
                "type": "offset",
                "direction": "past",
                "moment": {"type": "fixed_local_date", "value": "2024-05-01", "which": "end"},
                "offset": {"months": 1, "days": 2},
            },
            "before": {"type": "fixed_utc", "value": "2024-05-01T09:00:00+02:00"},
        },
    },
    {
        "type": "field_condition",
        "field": NAME,
        "condition": {"type": "moment_range", "on_or_after": {"type": "now"}},
    },
]


@pytest.mark.parametrize("data", ROUND_TRIPS, ids=lambda d: str(d["type"]))
def test_from_dict_round_trips(data: dict[str, Any]) -> None:
    assert squery.from_dict(data).to_dict() == data


def test_from_dict_does_not_flatten_nested_ands() -> None:
    inner = {"type": "and", "queries": [{"type": "object_type", "object_type": "lead"}]}
    query = squery.from_dict({"type": "and", "queries": [inner]})
    assert isinstance(query, squery.And)
    assert isinstance(query.queries[0], squery.And)


# --- from_dict: s_query as Close's app exports it and bulk.s_query echoes it

SEVEN_UNITS = {
    "years": 0,
    "months": 0,
    "weeks": 0,
    "days": 3,
    "hours": 0,
    "minutes": 0,
    "seconds": 0,
}
# The shape of a smart view exported from Close's app (close-api-facts.md, "s_query"): an
# and of match_all and conditions, offsets with which_day_end and all seven units, explicit
# null range ends, negate written out, a status reference typed per field.
CLOSE_APP_EXPORT = {
    "type": "and",
    "queries": [
        {"type": "match_all"},
        {"type": "object_type", "object_type": "lead", "negate": False},
        {
            "type": "field_condition",
            "field": {"type": "regular_field", "object_type": "lead", "field_name": "status_id"},
            "condition": {
                "type": "reference",
                "reference_type": "status.lead",
                "object_ids": ["stat_1"],
            },
            "negate": False,
        },
        {
            "type": "field_condition",
            "field": {"type": "regular_field", "object_type": "lead", "field_name": "date_created"},
            "condition": {
                "type": "moment_range",
                "on_or_after": None,
                "before": {
                    "type": "offset",
                    "direction": "past",
                    "moment": {"type": "now"},
                    "offset": SEVEN_UNITS,
                    "which_day_end": "start",
                },
            },
            "negate": False,
        },
        {
            "type": "field_condition",
            "field": {"type": "custom_field", "custom_field_id": "cf_1"},
            "condition": {"type": "number_range", "gte": None, "lte": 10},
        },
    ],
    "negate": False,
}


def test_an_s_query_exported_from_closes_app_round_trips_key_for_key() -> None:
    assert squery.from_dict(CLOSE_APP_EXPORT).to_dict() == CLOSE_APP_EXPORT


def test_an_exported_s_query_reads_into_the_builders_nodes() -> None:
    query = squery.from_dict(CLOSE_APP_EXPORT)
    assert isinstance(query, squery.And)
    assert query.queries[0] == squery.match_all()
    condition = query.queries[3].condition  # type: ignore[attr-defined]
    assert condition.on_or_after is None
    assert condition.before.which_day_end == "start"
    assert dict(condition.before.offset) == SEVEN_UNITS


def test_the_builder_writes_what_closes_app_writes() -> None:
    built = squery.field("date_created").moment_range(
        before=squery.offset(squery.now(), "past", which_day_end="start", **SEVEN_UNITS)
    )
    exported = dict(CLOSE_APP_EXPORT["queries"][3])  # type: ignore[index]
    assert exported.pop("negate") is False  # the builder leaves an unstated negate out
    assert built.to_dict() == exported


OPAQUE = [
    {"type": "lead_score", "gte": 50},
    {"type": "lead_score", "gte": 50, "negate": True},
    {"type": "saved_search", "saved_search_id": "save_1", "include_archived": True},
    {
        "type": "field_condition",
        "field": {"type": "related_field", "path": ["contact", "title"]},
        "condition": {"type": "exists", "negate": True},
    },
    {
        "type": "field_condition",
        "field": NAME,
        "condition": {"type": "similar_to", "value": "acme", "threshold": None},
    },
    {
        "type": "field_condition",
        "field": NAME,
        "condition": {"type": "moment_range", "on_or_after": {"type": "start_of_quarter"}},
    },
    {"type": "saved_search", "saved_search_id": "save_1", "negate": None},
]


@pytest.mark.parametrize("data", OPAQUE, ids=lambda d: json.dumps(d)[:40])
def test_a_node_this_module_does_not_know_is_kept_and_round_trips(data: dict[str, Any]) -> None:
    assert squery.from_dict(data).to_dict() == data


def test_an_unknown_query_node_is_opaque_and_negates_like_any_node() -> None:
    node = squery.from_dict({"type": "lead_score", "gte": 50})
    assert isinstance(node, squery.OpaqueQuery)
    assert (~node).to_dict() == {"type": "lead_score", "gte": 50, "negate": True}
    assert ~~node == node
    assert (node & squery.object_type("lead")).to_dict()["queries"][0] == node.to_dict()


def test_opaque_nodes_compare_by_their_json_whatever_the_key_order() -> None:
    first = squery.from_dict({"type": "lead_score", "gte": 50, "lte": 90})
    second = squery.from_dict({"lte": 90, "type": "lead_score", "gte": 50})
    assert first == second
    assert hash(first) == hash(second)


# --- from_dict: wrong input


UNREADABLE: list[Any] = [
    pytest.param({"object_type": "lead"}, ValueError, "type", id="missing-type"),
    pytest.param([], TypeError, "s_query", id="not-a-dict"),
    pytest.param({"type": "and", "queries": "x"}, TypeError, "queries", id="queries-not-list"),
    pytest.param({"type": "and", "queries": [1]}, TypeError, r"queries\[0\]", id="child-not-dict"),
    pytest.param({"type": "saved_search"}, TypeError, "saved_search_id", id="missing-key"),
    pytest.param(
        {"type": "text", "mode": "fuzzy", "value": "x"}, ValueError, "mode", id="bad-value"
    ),
    pytest.param(
        {"type": "field_condition", "field": NAME, "condition": {"type": "term", "values": "x"}},
        TypeError,
        "values",
        id="term-bare-str",
    ),
    pytest.param({"type": "and"}, TypeError, r"^s_query \(and\): missing key 'queries'$", id="and"),
    pytest.param(
        {"type": "and", "queries": [{"type": "match_all"}, {"type": "field_condition"}]},
        TypeError,
        r"^s_query.queries\[1\] \(field_condition\): missing key 'field'$",
        id="node-path",
    ),
    pytest.param(
        {"type": "field_condition", "field": NAME, "condition": {"type": "reference"}},
        TypeError,
        r"^s_query.condition \(reference\): missing key 'object_ids'$",
        id="condition-path",
    ),
    pytest.param({"type": 3}, TypeError, "type", id="type-not-str"),
]


@pytest.mark.parametrize(("data", "error", "key"), UNREADABLE)
def test_from_dict_rejects_wrong_input_naming_the_key(
    data: Any, error: type[Exception], key: str
) -> None:
    with pytest.raises(error, match=named(key) if key.isidentifier() else key):
        squery.from_dict(data)


def test_sort_from_dict_rejects_a_type_key() -> None:
    with pytest.raises(TypeError, match=named("type")):
        squery.sort_from_dict({"type": "sort", **SEED_004_SORT[0]})


def test_sort_from_dict_rejects_unknown_direction() -> None:
    with pytest.raises(ValueError, match=named("direction")):
        squery.sort_from_dict({**SEED_004_SORT[0], "direction": "sideways"})


# --- from_dict: bounded, for queries from untrusted callers


def nested_ands(levels: int) -> dict[str, Any]:
    """`levels` ands inside one another: 2 JSON levels each (the node and its list)."""
    query: dict[str, Any] = {"type": "match_all"}
    for _ in range(levels):
        query = {"type": "and", "queries": [query]}
    return query


def many_terms(values: int) -> dict[str, Any]:
    """One field condition holding `values` term values (`values` + 9 nodes in all)."""
    condition = {"type": "term", "values": [f"v{i}" for i in range(values)]}
    return {"type": "field_condition", "field": NAME, "condition": condition}


def test_a_query_nested_400_deep_is_a_value_error_naming_max_depth() -> None:
    with pytest.raises(ValueError, match=r"nested deeper than 100 levels \(max_depth=100\)"):
        squery.from_dict(nested_ands(400))


def test_a_query_at_the_depth_limit_is_read() -> None:
    # 49 ands and the match_all inside them: 99 levels, one under the limit's 100.
    assert squery.from_dict(nested_ands(49)).to_dict() == nested_ands(49)
    with pytest.raises(ValueError, match="max_depth"):
        squery.from_dict(nested_ands(50), max_depth=100)


def test_a_query_of_more_than_10000_nodes_is_a_value_error_naming_max_nodes() -> None:
    with pytest.raises(ValueError, match=r"more than 10000 nodes \(max_nodes=10000\)"):
        squery.from_dict(many_terms(10_000))


def test_a_query_of_10000_nodes_is_read() -> None:
    assert squery.from_dict(many_terms(10_000 - 9)).to_dict() == many_terms(10_000 - 9)


def test_an_opaque_node_counts_toward_the_limits() -> None:
    # Kept whole, never built: the bound must still see inside it.
    data: Any = 0
    for _ in range(200):
        data = [data]
    with pytest.raises(ValueError, match="max_depth"):
        squery.from_dict({"type": "lead_score_v2", "weights": data})


def test_the_limits_are_raised_by_keyword() -> None:
    assert squery.from_dict(nested_ands(100), max_depth=201).to_dict() == nested_ands(100)
    big = many_terms(20_000)
    assert squery.from_dict(big, max_nodes=20_009).to_dict() == big


def test_a_depth_past_pythons_recursion_limit_is_still_a_value_error() -> None:
    with pytest.raises(ValueError, match="recursion limit"):
        squery.from_dict(nested_ands(2_000), max_depth=5_000)


def test_sort_from_dict_is_bounded_too() -> None:
    field = {"type": "custom_field", "custom_field_id": "cf_1"}
    item = {"direction": "asc", "field": {**field, "extra": nested_ands(60)}}
    with pytest.raises(ValueError, match="max_depth=100"):
        squery.sort_from_dict(item)


@pytest.mark.parametrize(
    ("limits", "error"),
    [
        ({"max_depth": 0}, ValueError),
        ({"max_nodes": -1}, ValueError),
        ({"max_depth": True}, TypeError),
        ({"max_nodes": 1.5}, TypeError),
    ],
)
def test_limits_that_are_not_positive_ints_are_refused(
    limits: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error, match=next(iter(limits))):
        squery.from_dict({"type": "match_all"}, **limits)


# --- property: any tree the builders make survives the JSON round trip

names = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=10)
texts = st.text(min_size=1, max_size=12)
modes = st.sampled_from(["full_words", "beginning_of_words"])
numbers = st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False))
fields = st.one_of(
    st.builds(squery.field, names, object_type=st.sampled_from(["lead", "contact"])),
    st.builds(squery.custom_field, names.map("cf_{}".format)),
)
aware_datetimes = st.datetimes(
    # Bounded so that converting any offset to UTC stays within datetime's range.
    min_value=datetime(1970, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.integers(-720, 720).map(lambda m: timezone(timedelta(minutes=m))),
)
moments = st.recursive(
    st.one_of(
        st.builds(squery.now),
        aware_datetimes.map(squery.fixed_utc),
        st.builds(squery.fixed_local_date, st.dates(), st.sampled_from(["start", "end"])),
    ),
    lambda inner: st.builds(
        lambda moment, direction, units: squery.offset(moment, direction, **units),
        inner,
        st.sampled_from(["past", "future"]),
        st.dictionaries(
            st.sampled_from(["days", "hours", "months"]), st.integers(0, 999), min_size=1
        ),
    ),
    max_leaves=3,
)


@st.composite
def number_ranges(draw: st.DrawFn) -> dict[str, float]:
    bounds = {
        draw(st.sampled_from(["gt", "gte"])): draw(st.none() | numbers),
        draw(st.sampled_from(["lt", "lte"])): draw(st.none() | numbers),
    }
    given_bounds = {k: v for k, v in bounds.items() if v is not None}
    return given_bounds or {"gt": 0}


@st.composite
def moment_ranges(draw: st.DrawFn) -> dict[str, squery.Moment]:
    ends = {"on_or_after": draw(st.none() | moments), "before": draw(st.none() | moments)}
    return {k: v for k, v in ends.items() if v is not None} or {"before": squery.now()}


field_conditions = st.one_of(
    st.builds(lambda f, v, m: f.text(v, mode=m), fields, texts, modes),
    st.builds(
        lambda f, vs: f.term(vs),
        fields,
        st.lists(st.one_of(texts, st.integers(), st.booleans()), min_size=1, max_size=3),
    ),
    st.builds(
        lambda f, ids, kind: f.reference(ids, reference_type=kind),
        fields,
        st.lists(names, min_size=1, max_size=3),
        st.sampled_from(["user_or_group", "status.lead"]),
    ),
    st.builds(lambda f: f.exists(), fields),
    st.builds(lambda f, kw: f.number_range(**kw), fields, number_ranges()),
    st.builds(lambda f, kw: f.moment_range(**kw), fields, moment_ranges()),
)
queries = st.recursive(
    st.one_of(
        field_conditions,
        st.builds(squery.object_type, names),
        st.builds(squery.saved_search, names),
        st.builds(squery.text, texts, mode=modes),
    ),
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda qs: squery.and_(*qs)),
        st.lists(children, min_size=1, max_size=3).map(lambda qs: squery.or_(*qs)),
        children.map(operator.invert),
        st.builds(squery.has_related, names, children),
    ),
    max_leaves=8,
)


@given(queries)
def test_any_built_query_survives_the_json_round_trip(query: squery.Query) -> None:
    data = json.loads(json.dumps(query.to_dict()))
    assert squery.from_dict(data) == query


@given(queries)
def test_double_negation_of_any_query_is_the_query(query: squery.Query) -> None:
    assert ~~query == query


@given(fields, st.sampled_from(["asc", "desc"]))
def test_any_sort_item_survives_the_json_round_trip(field: squery.Field, direction: str) -> None:
    item = squery.sort(field, direction=direction)
    assert squery.sort_from_dict(json.loads(json.dumps(item.to_dict()))) == item


# --- the module's own contract


def test_docstring_examples_pass() -> None:
    result = doctest.testmod(squery, raise_on_error=False, verbose=False)
    assert result.failed == 0
    assert result.attempted > 0


def test_all_is_sorted_and_names_exist() -> None:
    assert squery.__all__ == sorted(squery.__all__)
    assert all(hasattr(squery, name) for name in squery.__all__)


def test_every_public_name_has_a_docstring() -> None:
    assert [name for name in squery.__all__ if not getattr(squery, name).__doc__] == []
