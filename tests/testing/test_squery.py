"""s_query evaluation over leads: each node and condition, sort, results_limit, refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from close_seq_ext.testing._squery import SQueryError, select_leads, tz_from_header

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)


def contact(name, *emails, title="CEO"):
    return {
        "id": f"cont_{name}",
        "name": name,
        "title": title,
        "emails": [{"email": e} for e in emails],
    }


LEADS = [
    {
        "id": "lead_acme",
        "name": "ACME Inc.",
        "status_label": "Potential",
        "description": "",
        "date_created": "2024-06-10T09:00:00.000000+00:00",
        "contacts": [contact("ann", "ann@acme.test"), contact("bob", title="CTO")],
    },
    {
        "id": "lead_acmeco",
        "name": "Acmeco Labs",
        "status_label": "Customer",
        "description": "Robots",
        "date_created": "2023-01-01T00:00:00.000000+00:00",
        "contacts": [],
    },
    {
        "id": "lead_blue",
        "name": "Blue Bakery",
        "status_label": "Potential",
        "description": None,
        "date_created": "2024-06-15T11:00:00.000000+00:00",
        "contacts": [contact("cy", "cy@blue.test", title="Founder")],
    },
]


def ids(s_query, **kwargs):
    return [lead["id"] for lead in select_leads(LEADS, s_query, now=NOW, **kwargs)]


def field(name, condition, object_type="lead"):
    return {
        "type": "field_condition",
        "field": {"type": "regular_field", "object_type": object_type, "field_name": name},
        "condition": condition,
    }


def text(value, mode="full_words"):
    return {"type": "text", "mode": mode, "value": value}


def test_object_type_lead_matches_every_lead():
    assert ids({"type": "object_type", "object_type": "lead"}) == [
        "lead_acme",
        "lead_acmeco",
        "lead_blue",
    ]


def test_object_type_contact_matches_no_lead():
    assert ids({"type": "object_type", "object_type": "contact"}) == []


def test_full_words_needs_whole_words():
    assert ids(field("name", text("acme"))) == ["lead_acme"]


def test_full_words_ignores_case_and_punctuation():
    assert ids(field("name", text("ACME inc"))) == ["lead_acme"]


def test_beginning_of_words_matches_prefixes():
    assert ids(field("name", text("acm", "beginning_of_words"))) == ["lead_acme", "lead_acmeco"]


def test_term_matches_exact_values():
    assert ids(field("status_label", {"type": "term", "values": ["Customer"]})) == ["lead_acmeco"]


def test_exists_skips_empty_and_null():
    assert ids(field("description", {"type": "exists"})) == ["lead_acmeco"]


def test_negated_exists_finds_missing_values():
    query = field("description", {"type": "exists"}) | {"negate": True}
    assert ids(query) == ["lead_acme", "lead_blue"]


def test_and_or_combine():
    potential = field("status_label", {"type": "term", "values": ["Potential"]})
    acme = field("name", text("acme"))
    blue = field("name", text("blue"))
    query = {"type": "and", "queries": [potential, {"type": "or", "queries": [acme, blue]}]}
    assert ids(query) == ["lead_acme", "lead_blue"]


def test_number_range_on_contact_count():
    assert ids(field("num_contacts", {"type": "number_range", "gte": 1, "lt": 2})) == ["lead_blue"]


def test_moment_range_with_fixed_utc_bounds():
    condition = {
        "type": "moment_range",
        "on_or_after": {"type": "fixed_utc", "value": "2024-01-01T00:00:00Z"},
        "before": {"type": "fixed_utc", "value": "2024-06-15T00:00:00"},
    }
    assert ids(field("date_created", condition)) == ["lead_acme"]


def test_moment_range_with_offset_from_now():
    week_ago = {
        "type": "offset",
        "direction": "past",
        "moment": {"type": "now"},
        "offset": {"days": 7},
    }
    assert ids(field("date_created", {"type": "moment_range", "on_or_after": week_ago})) == [
        "lead_acme",
        "lead_blue",
    ]


def test_moment_range_with_local_dates():
    condition = {
        "type": "moment_range",
        "on_or_after": {"type": "fixed_local_date", "value": "2023-01-01", "which": "start"},
        "before": {"type": "fixed_local_date", "value": "2023-01-01", "which": "end"},
    }
    assert ids(field("date_created", condition)) == ["lead_acmeco"]


def test_has_related_contact_matches_leads_with_such_a_contact():
    query = {
        "type": "has_related",
        "this_object_type": "lead",
        "related_object_type": "contact",
        "related_query": field("title", text("cto"), object_type="contact"),
    }
    assert ids(query) == ["lead_acme"]


def test_has_related_contact_email_exists():
    inner = field("email", {"type": "exists"}, object_type="contact")
    query = {"type": "has_related", "related_object_type": "contact", "related_query": inner}
    assert ids(query) == ["lead_acme", "lead_blue"]


def test_sort_desc_by_date_and_results_limit():
    sort = [
        {
            "direction": "desc",
            "field": {"type": "regular_field", "object_type": "lead", "field_name": "date_created"},
        }
    ]
    everything = {"type": "object_type", "object_type": "lead"}
    assert ids(everything, sort=sort, results_limit=2) == ["lead_blue", "lead_acme"]


@pytest.mark.parametrize(
    ("node", "named"),
    [
        ({"type": "saved_search", "saved_search_id": "save_1"}, "saved_search"),
        ({"type": "text", "mode": "full_words", "value": "x"}, "'text'"),
        (
            {
                "type": "field_condition",
                "field": {"type": "custom_field", "custom_field_id": "cf_1"},
                "condition": {"type": "exists"},
            },
            "custom_field",
        ),
        (field("name", {"type": "fuzzy", "value": "x"}), "fuzzy"),
        (field("shoe_size", {"type": "exists"}), "shoe_size"),
        (field("name", {"type": "number_range", "gt": 1}), "number_range"),
    ],
)
def test_unsupported_nodes_are_refused_by_name(node, named):
    with pytest.raises(SQueryError, match=named):
        ids(node)


def test_unsupported_node_is_refused_even_where_or_would_short_circuit():
    query = {
        "type": "or",
        "queries": [{"type": "object_type", "object_type": "lead"}, {"type": "saved_search"}],
    }
    with pytest.raises(SQueryError):
        ids(query)


def test_bad_sort_field_is_a_sort_error():
    sort = [{"direction": "asc", "field": {"type": "regular_field", "field_name": "nope"}}]
    with pytest.raises(SQueryError) as raised:
        ids({"type": "object_type", "object_type": "lead"}, sort=sort)
    assert raised.value.field == "sort"


# --- s_query as Close's app writes it, and local days in the request's X-TZ-Offset


def test_match_all_matches_every_lead():
    assert ids({"type": "and", "queries": [{"type": "match_all"}]}) == [
        "lead_acme",
        "lead_acmeco",
        "lead_blue",
    ]


def test_an_explicit_null_range_end_is_open():
    before = {"type": "fixed_utc", "value": "2024-01-01T00:00:00Z"}
    condition = {"type": "moment_range", "on_or_after": None, "before": before}
    assert ids(field("date_created", condition)) == ["lead_acmeco"]


def test_a_local_date_is_a_day_in_the_given_offset():
    # lead_acmeco: 2023-01-01T00:00Z, which is 31 Dec 19:00 at -5 and 1 Jan 05:00 at +5.
    condition = {
        "type": "moment_range",
        "on_or_after": {"type": "fixed_local_date", "value": "2023-01-01", "which": "start"},
        "before": {"type": "fixed_local_date", "value": "2023-01-01", "which": "end"},
    }
    assert ids(field("date_created", condition), tz=tz_from_header("5.0")) == ["lead_acmeco"]
    assert ids(field("date_created", condition), tz=tz_from_header("-5.0")) == []


SEVEN_ZEROS = dict.fromkeys(["years", "months", "weeks", "days", "hours", "minutes", "seconds"], 0)


def test_which_day_end_moves_an_offset_to_the_start_of_its_local_day():
    # NOW is 12:00 UTC on 15 June: today began at 00:00 UTC, or at 12:00 UTC at -12.
    today = {
        "type": "offset",
        "direction": "past",
        "moment": {"type": "now"},
        "offset": SEVEN_ZEROS,
        "which_day_end": "start",
    }
    condition = {"type": "moment_range", "on_or_after": today, "before": None}
    assert ids(field("date_created", condition)) == ["lead_blue"]
    assert ids(field("date_created", condition), tz=tz_from_header("-12")) == []


def test_which_day_end_end_is_the_next_local_midnight():
    yesterday_end = {
        "type": "offset",
        "direction": "past",
        "moment": {"type": "now"},
        "offset": {**SEVEN_ZEROS, "days": 1},
        "which_day_end": "end",
    }
    condition = {"type": "moment_range", "on_or_after": yesterday_end}
    assert ids(field("date_created", condition)) == ["lead_blue"]


@pytest.mark.parametrize("value", ["east", "15", "nan"])
def test_an_unreadable_tz_offset_is_an_s_query_error_naming_the_header(value):
    with pytest.raises(SQueryError, match="X-TZ-Offset") as caught:
        tz_from_header(value)
    assert caught.value.field == "X-TZ-Offset"
