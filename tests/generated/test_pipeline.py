"""`make generate` and `make check-generated`: reproducible, atomic, and loud about drift."""

from __future__ import annotations

import filecmp
import importlib.util
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

import close_seq_ext
import close_sequences
from tests.spec_support import ROOT, SPEC_PATH

# Runs the generator: seconds each (make test-fast leaves them out).
pytestmark = pytest.mark.slow

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


# --- the template overrides against the generator's own templates


@pytest.fixture(scope="module")
def script() -> Any:
    spec = importlib.util.spec_from_file_location("generate_script", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def changed_upstream(script: Any, tmp_path: Path) -> Path:
    """A copy of the generator's templates in which two that we override have changed."""
    upstream = tmp_path / "upstream"
    shutil.copytree(script.upstream_templates(), upstream)
    for name in ("model.py.jinja", "property_templates/union_property.py.jinja"):
        with (upstream / name).open("a") as file:
            file.write("{# a fix upstream made #}\n")
    return upstream


def test_every_override_is_recorded_against_the_pinned_generators_template(script: Any) -> None:
    drift = script.upstream_drift(
        script.TEMPLATES, script.upstream_templates(), script.UPSTREAM_RECORD
    )
    assert drift == []
    assert script.generator_version() in script.UPSTREAM_RECORD.read_text()


def test_drift_names_each_override_whose_upstream_template_changed(
    script: Any, changed_upstream: Path
) -> None:
    drift = script.upstream_drift(script.TEMPLATES, changed_upstream, script.UPSTREAM_RECORD)
    assert drift == [
        "model.py.jinja: the generator's own model.py.jinja changed since it was merged",
        "property_templates/union_property.py.jinja: the generator's own "
        "property_templates/union_property.py.jinja changed since it was merged",
    ]


def test_a_new_override_without_a_recorded_hash_is_named(script: Any, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(script.TEMPLATES, templates)
    (templates / "client.py.jinja").write_text("{# new override #}\n")
    drift = script.upstream_drift(templates, script.upstream_templates(), script.UPSTREAM_RECORD)
    assert drift == ["client.py.jinja: no upstream hash recorded"]


def test_check_generated_fails_listing_the_overrides_to_re_merge(
    script: Any, changed_upstream: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setattr(script, "upstream_templates", lambda: changed_upstream)
    monkeypatch.setattr(sys, "argv", ["generate.py", "--check"])
    assert script.main() == 1
    out = capsys.readouterr().out
    assert "model.py.jinja: the generator's own" in out
    assert "property_templates/union_property.py.jinja: the generator's own" in out
    assert "--record-upstream" in out


# --- the version, written once


def test_both_packages_carry_the_distributions_version() -> None:
    assert close_sequences.__version__ == close_seq_ext.__version__ == version("close-sequences")


def test_the_version_is_written_only_in_close_seq_ext_version_py(script: Any) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert ROOT / project["tool"]["hatch"]["version"]["path"] == script.VERSION_FILE
    assert script.package_version() == close_seq_ext.__version__


def test_a_new_version_is_rendered_into_the_generated_package(
    script: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    version_file = tmp_path / "_version.py"
    version_file.write_text('__version__ = "9.8.7"\n')
    monkeypatch.setattr(script, "VERSION_FILE", version_file)
    package = script.generate_into(tmp_path)
    assert '__version__ = "9.8.7"' in (package / "__init__.py").read_text()
