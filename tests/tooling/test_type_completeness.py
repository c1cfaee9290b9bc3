"""`make lint`'s type-completeness check (scripts/check_types.py), run as make runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.spec_support import ROOT

SCRIPT = ROOT / "scripts" / "check_types.py"

COMPLETE = '''
def greet(name: str) -> str:
    """Say hello."""
    return f"hello {name}"
'''
# One public function without annotations, one without a docstring.
GAPS = '''
def greet(name):
    """Say hello."""
    return f"hello {name}"


def part(name: str) -> str:
    return name
'''


def check(tmp_path: Path, package: str, source: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text(source)
    (tmp_path / package / "py.typed").write_text("")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run(
        [sys.executable, str(SCRIPT), package], capture_output=True, text=True, env=env
    )


@pytest.mark.slow
def test_a_complete_documented_package_passes(tmp_path: Path) -> None:
    result = check(tmp_path, "typed_pkg", COMPLETE)

    assert result.returncode == 0, result.stdout
    assert "typed_pkg: 100.0% type-complete, 0 problems" in result.stdout


@pytest.mark.slow
def test_a_missing_annotation_or_docstring_fails_naming_each_symbol(tmp_path: Path) -> None:
    result = check(tmp_path, "gappy_pkg", GAPS)

    assert result.returncode == 1
    assert "gappy_pkg: 50.0% type-complete" in result.stdout
    assert "gappy_pkg.greet: " in result.stdout
    assert 'gappy_pkg.part: No docstring found for function "gappy_pkg.part"' in result.stdout


@pytest.mark.slow
def test_both_packages_are_complete_and_documented() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "close_seq_ext", "close_sequences"],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout
