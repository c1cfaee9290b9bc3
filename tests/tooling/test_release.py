"""`make release` and its CI gate: the version follows the API diff since the last release."""

from __future__ import annotations

import re

import pytest

from tests.release_support import Spec, ThrowawayRepo, lines, schemas

# Each test copies the repository and runs scripts/generate.py (seconds apiece): not
# for make test-fast's inner loop.
pytestmark = pytest.mark.slow

VERSION_FILE = "src/close_seq_ext/_version.py"


def add_optional_request_field(spec: Spec) -> None:
    schemas(spec)["SequenceSubscriptionCreate"]["properties"]["note"] = {"type": "string"}


def remove_response_field(spec: Spec) -> None:
    del schemas(spec)["SequenceSubscription"]["properties"]["sender_name"]


def version(repo: ThrowawayRepo, path: str = VERSION_FILE) -> str:
    found = re.search(r'__version__ = "(.*)"', (repo.path / path).read_text())
    assert found is not None
    return found.group(1)


def test_a_feature_and_a_fragment_release_as_a_patch_with_their_changelog_lines(
    repo: ThrowawayRepo,
) -> None:
    repo.change_spec(add_optional_request_field)
    fragment = repo.path / "changelog.d" / "42.fix.md"
    fragment.write_text("Retries wait for the whole second Close names.\n")

    result = repo.run("release.py")

    assert result.returncode == 0, result.stderr
    assert version(repo) == "0.1.1"
    assert version(repo, "generated/close_sequences/__init__.py") == "0.1.1"
    entry = (repo.path / "CHANGELOG.md").read_text().split("## 0.1.0")[0]
    assert "## 0.1.1 (" in entry
    assert "### Features\n\n- `close_sequences.models.SequenceSubscriptionCreate.note`: " in entry
    assert "### Fixes\n\n- Retries wait for the whole second Close names. (#42)" in entry
    assert not fragment.exists()


def test_the_check_passes_a_release_commit_that_make_release_wrote(repo: ThrowawayRepo) -> None:
    repo.change_spec(remove_response_field)
    repo.run("release.py", check=True)
    repo.commit("Release 0.2.0")

    result = repo.run("release.py", "--check")

    assert result.returncode == 0, result.stdout + result.stderr
    assert lines(result) == ["release check: 0.1.0 -> 0.2.0 matches its major change."]


def test_the_check_fails_a_version_bumped_short_of_a_breaking_change(
    repo: ThrowawayRepo,
) -> None:
    repo.change_spec(remove_response_field)
    version_file = repo.path / VERSION_FILE
    version_file.write_text(version_file.read_text().replace('"0.1.0"', '"0.1.1"'))
    changelog = repo.path / "CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace("## 0.1.0", "## 0.1.1\n\n## 0.1.0"))

    result = repo.run("release.py", "--check")

    assert result.returncode == 1
    assert lines(result)[:2] == [
        "release check: 0.1.0 -> 0.1.1, but its change since 0.1.0",
        "is major: the version should be 0.2.0. API changes:",
    ]
    assert "SequenceSubscription.sender_name: Public object was removed" in result.stdout


def test_the_check_passes_unreleased_api_changes_on_a_commit_that_keeps_the_version(
    repo: ThrowawayRepo,
) -> None:
    repo.change_spec(remove_response_field)
    repo.commit("Drop sender_name from subscriptions")

    result = repo.run("release.py", "--check")

    assert result.returncode == 0, result.stderr
    assert "the API changes since are unreleased until the next `make release`." in result.stdout


def test_nothing_to_release_changes_nothing(repo: ThrowawayRepo) -> None:
    result = repo.run("release.py")

    assert result.returncode == 1
    assert result.stdout.startswith("Nothing to release since 0.1.0")
    assert repo.git("status", "--porcelain") == ""
