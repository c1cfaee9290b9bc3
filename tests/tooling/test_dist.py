"""The sdist and the wheel users get: built here with `python -m build`, then looked into.

One build per module (a few seconds; `build` installs the pinned hatchling in an isolated
environment, from the package index or pip's cache).
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from tests.spec_support import ROOT

# Builds with `python -m build`: seconds each (make test-fast leaves them out).
pytestmark = pytest.mark.slow

LICENSE_TEXT = (ROOT / "LICENSE").read_text()


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="module")
def sdist(dist: Path) -> Path:
    """The unpacked sdist's top folder."""
    [archive] = dist.glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(dist / "unpacked", filter="data")
    [top] = (dist / "unpacked").iterdir()
    return top


@pytest.fixture(scope="module")
def wheel(dist: Path) -> zipfile.ZipFile:
    [archive] = dist.glob("*.whl")
    return zipfile.ZipFile(archive)


def files(top: Path) -> set[str]:
    return {path.relative_to(top).as_posix() for path in top.rglob("*") if path.is_file()}


def test_the_license_is_mit_for_the_close_sequences_authors() -> None:
    assert LICENSE_TEXT.startswith("MIT License\n\nCopyright (c) ")
    assert "the close-sequences authors" in LICENSE_TEXT.splitlines()[2]


def test_the_wheel_carries_the_license(wheel: zipfile.ZipFile) -> None:
    [name] = [n for n in wheel.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
    assert wheel.read(name).decode() == LICENSE_TEXT


def test_the_wheel_holds_both_packages_and_no_tests(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/")[0] for name in wheel.namelist()}

    assert {"close_sequences", "close_seq_ext"} <= tops
    assert not [n for n in wheel.namelist() if n.startswith(("tests/", "examples/"))]


def test_the_published_extras_are_testing_cli_and_redis_only(wheel: zipfile.ZipFile) -> None:
    [name] = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    metadata = Parser().parsestr(wheel.read(name).decode())

    assert metadata["License"] == "MIT"  # what `pip show` prints, with any pip
    assert "License :: OSI Approved :: MIT License" in metadata.get_all("Classifier")
    assert sorted(metadata.get_all("Provides-Extra")) == ["cli", "redis", "testing"]
    # No development tool reaches users, pinned or not.
    requirements = " ".join(metadata.get_all("Requires-Dist"))
    for tool in ("pytest", "ruff", "mypy", "openapi-python-client", "import-linter"):
        assert tool not in requirements


def test_the_sdist_carries_the_license_and_no_tests(sdist: Path) -> None:
    names = files(sdist)

    assert (sdist / "LICENSE").read_text() == LICENSE_TEXT
    assert not [n for n in names if n.startswith(("tests/", "examples/", "benchmarks/"))]
    assert not [n for n in names if "/test_" in n or n.startswith("test_")]


def test_the_sdist_holds_what_regenerating_needs(sdist: Path) -> None:
    names = files(sdist)

    assert {
        "openapi/close-sequences.yaml",
        "openapi/generator-config.yaml",
        "scripts/generate.py",
        "pyproject.toml",
    } <= names
    in_repo = files(ROOT / "openapi" / "templates")
    assert {n.removeprefix("openapi/templates/") for n in names if "templates/" in n} == in_repo


def test_the_sdist_regenerates_its_own_generated_package(sdist: Path) -> None:
    # The generator pinned in the `generate` group, run from the unpacked sdist.
    result = subprocess.run(
        [sys.executable, "scripts/generate.py", "--check"],
        cwd=sdist,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "is up to date" in result.stdout
