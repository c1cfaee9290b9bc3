"""`make generate` and `make check-generated`: reproducible, atomic, and loud about drift."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.spec_support import ROOT, SPEC_PATH

SCRIPT = ROOT / "scripts" / "generate.py"
GENERATED = ROOT / "generated" / "close_sequences"


def run_generate(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True
    )


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture(scope="module")
def generated_twice(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    first = tmp_path_factory.mktemp("first") / "close_sequences"
    second = tmp_path_factory.mktemp("second") / "close_sequences"
    for target in (first, second):
        result = run_generate("--target", target)
        assert result.returncode == 0, result.stderr
    return first, second


def test_generating_twice_gives_byte_identical_output(generated_twice: tuple[Path, Path]) -> None:
    first, second = generated_twice
    assert tree(first) == tree(second)


def test_the_committed_package_is_what_the_spec_generates(
    generated_twice: tuple[Path, Path],
) -> None:
    first, _ = generated_twice
    assert tree(first) == tree(GENERATED)


def test_the_generated_package_ships_py_typed(generated_twice: tuple[Path, Path]) -> None:
    assert (generated_twice[0] / "py.typed").is_file()


def test_check_passes_on_an_up_to_date_package(generated_twice: tuple[Path, Path]) -> None:
    result = run_generate("--check", "--target", generated_twice[0])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is up to date" in result.stdout


def test_check_fails_naming_the_files_that_differ(
    generated_twice: tuple[Path, Path], tmp_path: Path
) -> None:
    stale = tmp_path / "close_sequences"
    shutil.copytree(generated_twice[0], stale)
    (stale / "models" / "sequence.py").write_text("# edited by hand\n")
    (stale / "models" / "stray.py").write_text("")
    result = run_generate("--check", "--target", stale)
    assert result.returncode == 1
    assert "models/sequence.py" in result.stdout
    assert "models/stray.py" in result.stdout
    assert "models/schedule.py" not in result.stdout


def test_a_malformed_spec_fails_with_the_generators_message_and_leaves_the_target_whole(
    generated_twice: tuple[Path, Path], tmp_path: Path
) -> None:
    target = tmp_path / "close_sequences"
    shutil.copytree(generated_twice[0], target)
    before = tree(target)
    broken = tmp_path / "broken.yaml"
    # A dangling $ref: the kind of slip a hand edit makes.
    broken.write_text(
        SPEC_PATH.read_text().replace(
            '$ref: "#/components/schemas/SequenceList"', '$ref: "#/components/schemas/Nope"'
        )
    )
    result = run_generate("--spec", broken, "--target", target)
    assert result.returncode != 0
    assert "Nope" in result.stderr or "Could not find reference" in result.stderr
    assert "generation failed" in result.stderr
    assert tree(target) == before
    assert not target.with_name("close_sequences.new").exists()


def test_a_successful_generation_replaces_the_whole_target(tmp_path: Path) -> None:
    target = tmp_path / "close_sequences"
    target.mkdir()
    (target / "leftover.py").write_text("")
    result = run_generate("--target", target)
    assert result.returncode == 0, result.stderr
    assert not (target / "leftover.py").exists()
    assert filecmp.cmp(target / "client.py", GENERATED / "client.py", shallow=False)
