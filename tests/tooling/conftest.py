"""Fixtures of the tooling tests: throwaway copies of the repository (tests/release_support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.release_support import ThrowawayRepo


@pytest.fixture(scope="session")
def released_repo(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayRepo:
    """A copy of this repository whose one commit is the release 0.1.0; never changed."""
    return ThrowawayRepo.make(tmp_path_factory.mktemp("released") / "repo")


@pytest.fixture
def repo(released_repo: ThrowawayRepo, tmp_path: Path) -> ThrowawayRepo:
    """A copy of `released_repo` for one test to change."""
    return released_repo.clone(tmp_path / "repo")
