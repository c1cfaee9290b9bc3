"""`make lint`'s import contracts ([tool.importlinter] in pyproject.toml), kept and enforced.

The enforcing tests copy the sources, add one import that breaks a rule, and run
`lint-imports` on the copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.spec_support import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root / 'generated'}"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for folder in ("src", "generated"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_code_keeps_every_contract() -> None:
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


BREAKS = {
    "the transport importing the client breaks the layers": (
        "_transport",
        "from ._client import make_client as _make_client",
        "close_seq_ext._transport is not allowed to import close_seq_ext._client",
    ),
    "the core importing the local server is forbidden": (
        "_pagination",
        "from . import testing as _testing",
        "close_seq_ext._pagination is not allowed to import close_seq_ext.testing",
    ),
    "the core importing a cli extra is forbidden": (
        "_client",
        "import rich as _rich",
        "close_seq_ext._client is not allowed to import rich",
    ),
    "the commands importing the entry point is a cycle": (
        "_cli_app",
        "from ._cli import main as _main",
        "No import cycles between the modules of close_seq_ext BROKEN",
    ),
}


@pytest.mark.parametrize(("module", "line", "report"), BREAKS.values(), ids=BREAKS.keys())
def test_an_import_against_the_rules_fails_lint(
    copy: Path, module: str, line: str, report: str
) -> None:
    path = copy / "src" / "close_seq_ext" / f"{module}.py"
    path.write_text(path.read_text() + f"\n{line}\n")

    result = lint_imports(copy)

    assert result.returncode == 1
    assert report in " ".join(result.stdout.split())
