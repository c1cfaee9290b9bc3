"""Timestamps: aware UTC datetimes in Python, Close's own text on the wire.

Close sends sequences', steps' and subscriptions' timestamps naive (they are UTC) and bulk
actions' with an offset (close-api-facts.md, "Dates"). Both read as aware UTC datetimes, so
they compare with each other; `to_dict()` writes back exactly the text Close sent.
"""

from __future__ import annotations

import copy
import datetime
import pickle

import pytest

from close_seq_ext import squery
from close_sequences import models

UTC = datetime.UTC

# Shapes seen in Close's answers: naive with and without microseconds, offsets, a "Z".
SENT = [
    "2022-03-10T14:31:45.512611",
    "2022-03-10T14:31:45",
    "2013-12-05T18:34:41.753000+00:00",
    "2024-05-01T10:00:00Z",
    "2024-05-01T12:00:00.5+02:00",
]


@pytest.mark.parametrize("text", SENT)
def test_a_timestamp_reads_as_an_aware_utc_datetime_and_writes_back_as_sent(text: str) -> None:
    subscription = models.SequenceSubscription.from_dict({"id": "sub_1", "date_created": text})
    assert subscription.date_created.tzinfo is UTC
    assert subscription.to_dict()["date_created"] == text


def test_a_naive_timestamp_is_utc() -> None:
    sequence = models.Sequence.from_dict({"id": "seq_1", "date_created": "2022-03-10T14:31:45"})
    assert sequence.date_created == datetime.datetime(2022, 3, 10, 14, 31, 45, tzinfo=UTC)


def test_an_offset_is_converted_to_utc() -> None:
    bulk = models.BulkSequenceSubscription.from_dict(
        {"id": "bulkseqsub_1", "date_created": "2024-05-01T12:00:00+02:00"}
    )
    assert bulk.date_created == datetime.datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert bulk.date_created.utcoffset() == datetime.timedelta(0)


def test_a_sequence_timestamp_compares_with_a_bulk_action_timestamp() -> None:
    step = models.SequenceStep.from_dict({"id": "seqstep_1", "date_updated": "2022-03-10T14:31:45"})
    bulk = models.BulkSequenceSubscription.from_dict(
        {"id": "bulkseqsub_1", "date_created": "2013-12-05T18:34:41.753000+00:00"}
    )
    assert isinstance(bulk.date_created, datetime.datetime)
    assert bulk.date_created < step.date_updated


def test_a_nullable_timestamp_reads_null_as_none_and_writes_it_back() -> None:
    data = {"id": "sub_1", "start_date": None}
    subscription = models.SequenceSubscription.from_dict(data)
    assert subscription.start_date is None
    assert subscription.to_dict() == data


def test_a_timestamp_computed_from_one_close_sent_is_written_with_isoformat() -> None:
    sequence = models.Sequence.from_dict({"id": "seq_1", "date_created": "2022-03-10T14:31:45"})
    sequence.date_created += datetime.timedelta(hours=1)
    assert sequence.to_dict()["date_created"] == "2022-03-10T15:31:45+00:00"


def test_a_timestamp_set_by_the_caller_is_written_with_isoformat() -> None:
    moment = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    sequence = models.Sequence(id="seq_1", date_created=moment)
    assert sequence.to_dict()["date_created"] == "2030-01-02T03:04:05+00:00"


@pytest.mark.parametrize(
    "duplicate", [copy.copy, copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))]
)
def test_a_copied_model_still_writes_closes_text(duplicate: object) -> None:
    data = {"id": "seq_1", "date_created": "2022-03-10T14:31:45", "steps": [{"id": "s"}]}
    copied = duplicate(models.Sequence.from_dict(data))  # type: ignore[operator]
    assert copied.to_dict() == data


def test_models_read_from_the_same_text_are_equal() -> None:
    data = {"id": "seq_1", "date_created": "2022-03-10T14:31:45"}
    assert models.Sequence.from_dict(data) == models.Sequence.from_dict(data)


@pytest.mark.parametrize("value", ["yesterday", "2022-13-45T00:00:00", 1646922705, ["x"]])
def test_a_malformed_timestamp_is_a_value_error_naming_the_field(value: object) -> None:
    with pytest.raises(ValueError, match=r"^date_updated: .* is not an ISO 8601 timestamp$"):
        models.SequenceStep.from_dict({"id": "seqstep_1", "date_updated": value})


def test_a_malformed_nested_timestamp_names_its_field() -> None:
    data = {"id": "seq_1", "steps": [{"id": "seqstep_1", "date_created": "soon"}]}
    with pytest.raises(ValueError, match=r"^date_created: 'soon'"):
        models.Sequence.from_dict(data)


def test_a_model_timestamp_goes_straight_into_an_s_query() -> None:
    subscription = models.SequenceSubscription.from_dict(
        {"id": "sub_1", "date_created": "2022-03-10T14:31:45.512611"}
    )
    moment = squery.fixed_utc(subscription.date_created)
    assert moment.to_dict() == {"type": "fixed_utc", "value": "2022-03-10T14:31:45.512611+00:00"}
    query = squery.field("date_created").moment_range(on_or_after=subscription.date_created)
    assert query.to_dict()["condition"]["on_or_after"] == moment.to_dict()


@pytest.mark.parametrize(
    ("model_name", "data"),
    [
        ("BulkSequenceSubscription", {"id": "b", "status": None, "date_created": None}),
        ("BulkSequenceSubscription", {"id": "b", "contact_preference": None}),
        ("SequenceStep", {"id": "s", "threading": None, "sms_template_id": None}),
        ("SequenceSubscription", {"id": "s", "status_reason": None, "start_date": None}),
    ],
    ids=lambda v: v if isinstance(v, str) else ",".join(v),
)
def test_a_null_where_close_may_send_null_is_accepted_and_written_back(
    model_name: str, data: dict[str, object]
) -> None:
    assert getattr(models, model_name).from_dict(data).to_dict() == data
