"""`make vendor`: a copy of both packages that imports nothing top-level of ours."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.spec_support import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from vendor import rewrite_imports


def test_an_absolute_from_import_becomes_relative() -> None:
    source = "from close_sequences.models import Sequence, SequenceList as L\n"
    assert (
        rewrite_imports(source, "..")
        == "from ..close_sequences.models import Sequence, SequenceList as L\n"
    )


def test_a_parenthesised_import_over_several_lines_becomes_one_line() -> None:
    source = (
        "if True:\n    from close_seq_ext._errors import (\n        CloseError,\n    )\nx = 1\n"
    )
    assert rewrite_imports(source, "...") == (
        "if True:\n    from ...close_seq_ext._errors import CloseError\nx = 1\n"
    )


def test_a_plain_import_with_an_alias_becomes_a_relative_from_import() -> None:
    assert rewrite_imports("import close_sequences.models as m\n", "..") == (
        "from ..close_sequences import models as m\n"
    )


def test_strings_and_other_packages_are_left_alone() -> None:
    source = 'import httpx\nfrom . import squery\nNAME = "close_seq_ext"\n'
    assert rewrite_imports(source, "..") == source


def test_the_vendored_copy_imports_without_the_installed_packages(tmp_path: Path) -> None:
    app = tmp_path / "myapp"
    app.mkdir()
    (app / "__init__.py").touch()
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "vendor.py"), str(app / "_vendor")], check=True
    )
    # The installed packages stay importable here: the check is that nothing imported them.
    probe = (
        "import sys; sys.path.insert(0, '.');"
        "import myapp._vendor.close_seq_ext as ext;"
        "from myapp._vendor.close_sequences.api.sequences import get_sequence;"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('close_seq_ext', 'close_sequences')];"  # noqa: E501
        "print(ext.make_client.__module__)"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", probe], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "myapp._vendor.close_seq_ext"
