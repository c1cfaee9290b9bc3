"""`make api-diff`: a spec change, regenerated, classed the way users' code feels it."""

from __future__ import annotations

import pytest

from tests.release_support import Spec, ThrowawayRepo, lines, schemas

# Each test copies the repository and runs scripts/generate.py (seconds apiece): not
# for make test-fast's inner loop.
pytestmark = pytest.mark.slow

REMOVED = (
    "breaking: close_sequences.models.SequenceSubscription.sender_name: Public object was removed"
)


def test_no_change_is_semver_none(repo: ThrowawayRepo) -> None:
    result = repo.api_diff()

    assert result.returncode == 0, result.stderr
    assert lines(result) == ["semver: none"]


def test_a_new_version_number_is_no_change(repo: ThrowawayRepo) -> None:
    version_file = repo.path / "src" / "close_seq_ext" / "_version.py"
    version_file.write_text(version_file.read_text().replace('"0.1.0"', '"0.2.0"'))
    repo.generate()  # close_sequences.__version__ too

    result = repo.api_diff()

    assert result.returncode == 0, result.stderr
    generated_init = repo.path / "generated" / "close_sequences" / "__init__.py"
    assert '__version__ = "0.2.0"' in generated_init.read_text()
    assert lines(result) == ["semver: none"]


def test_an_optional_request_field_added_is_a_feature(repo: ThrowawayRepo) -> None:
    def add_field(spec: Spec) -> None:
        schemas(spec)["SequenceSubscriptionCreate"]["properties"]["note"] = {"type": "string"}

    repo.change_spec(add_field)
    result = repo.api_diff()

    assert result.returncode == 0, result.stderr
    assert lines(result) == [
        "feature: close_sequences.models.SequenceSubscriptionCreate.note: new attribute",
        "semver: minor",
    ]


def test_a_response_field_removed_is_breaking_and_named(repo: ThrowawayRepo) -> None:
    def remove_field(spec: Spec) -> None:
        del schemas(spec)["SequenceSubscription"]["properties"]["sender_name"]

    repo.change_spec(remove_field)
    result = repo.api_diff()

    assert result.returncode == 1
    assert lines(result) == [REMOVED, "semver: major"]


def test_an_operation_added_is_a_feature(repo: ThrowawayRepo) -> None:
    def add_operation(spec: Spec) -> None:
        get = spec["paths"]["/api/v1/sequence/{id}/"]["get"]
        spec["paths"]["/api/v1/sequence/{id}/archive/"] = {
            "parameters": spec["paths"]["/api/v1/sequence/{id}/"].get("parameters", []),
            "post": {**get, "operationId": "archive_sequence", "summary": "Archive a sequence"},
        }

    repo.change_spec(add_operation)
    result = repo.api_diff()

    assert result.returncode == 0, result.stderr
    assert lines(result) == [
        "feature: close_sequences.api.sequences.archive_sequence: new module",
        "semver: minor",
    ]


def test_a_description_changed_is_a_fix(repo: ThrowawayRepo) -> None:
    def describe(spec: Spec) -> None:
        schemas(spec)["SequenceSubscription"]["properties"]["id"]["description"] = "`sub_...` id"

    repo.change_spec(describe)
    result = repo.api_diff()

    assert result.returncode == 0, result.stderr
    assert lines(result) == [
        "fix: close_sequences.models.SequenceSubscription.id: docstring changed",
        "semver: patch",
    ]


def test_a_field_made_required_breaks_a_request_but_not_a_response(repo: ThrowawayRepo) -> None:
    def require(spec: Spec) -> None:
        schemas(spec)["SequenceSubscriptionCreate"]["required"].append("contact_email")
        schemas(spec)["SequenceSubscription"]["required"].append("sequence_id")

    repo.change_spec(require)
    result = repo.api_diff()

    assert result.returncode == 1
    assert lines(result) == [
        "breaking: close_sequences.models.SequenceSubscriptionCreate.contact_email: "
        "type narrowed: str | Unset -> str",
        "feature: close_sequences.models.SequenceSubscription.sequence_id: "
        "type narrowed: str | Unset -> str",
        "semver: major",
    ]


def test_an_unknown_base_is_one_line_naming_it(repo: ThrowawayRepo) -> None:
    result = repo.api_diff("--base", "no-such-ref")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "api-diff: unknown BASE ref 'no-such-ref': not a commit in this repository"
    ]


def test_a_spec_edited_without_regenerating_is_reported_before_any_diff(
    repo: ThrowawayRepo,
) -> None:
    def remove_field(spec: Spec) -> None:
        del schemas(spec)["SequenceSubscription"]["properties"]["sender_name"]

    repo.edit_spec(remove_field)
    result = repo.api_diff()

    assert result.returncode == 2
    assert result.stdout == ""
    assert "generated/ does not match the spec; run `make generate` first" in result.stderr
