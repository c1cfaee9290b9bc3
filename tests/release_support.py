"""A throwaway copy of this repository, for the api-diff, release and vendoring tests.

The copy holds what the scripts read (the spec, the generator config and templates, both
packages, scripts/, pyproject.toml) in a git repository of its own, whose one commit is
the last release; a test edits the spec there, regenerates with the real generator and
runs the real scripts, so nothing here changes this repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.spec_support import ROOT

COPIED = ["openapi", "generated", "src", "scripts", "pyproject.toml", "CHANGELOG.md", "changelog.d"]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}

Spec = dict[str, Any]


class ThrowawayRepo:
    """A copy of the repository at `path`; `make_repo` builds one, `clone` another from it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def make(cls, path: Path) -> ThrowawayRepo:
        path.mkdir(parents=True)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "close_sequences.new")
        for name in COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, path / name, ignore=ignore)
            else:
                shutil.copy(source, path / name)
        repo = cls(path)
        repo.git("init", "--quiet", "--initial-branch=main")
        repo.commit("Release 0.1.0")
        return repo

    def clone(self, path: Path) -> ThrowawayRepo:
        shutil.copytree(self.path, path, symlinks=True)
        return ThrowawayRepo(path)

    def git(self, *args: str) -> str:
        env = {**os.environ, **GIT_ENV}
        result = subprocess.run(
            ["git", *args], cwd=self.path, env=env, capture_output=True, text=True, check=True
        )
        return result.stdout

    def commit(self, message: str) -> str:
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def edit_spec(self, edit: Callable[[Spec], None]) -> None:
        """Change the spec with `edit` (written back as JSON, which is YAML too)."""
        spec_file = self.path / "openapi" / "close-sequences.yaml"
        spec = yaml.safe_load(spec_file.read_text())
        edit(spec)
        spec_file.write_text(json.dumps(spec, indent=1))

    def generate(self) -> None:
        self.run("generate.py", check=True)

    def change_spec(self, edit: Callable[[Spec], None]) -> None:
        """The spec changed by `edit`, and the client regenerated from it."""
        self.edit_spec(edit)
        self.generate()

    def run(self, script: str, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        """`python scripts/<script> <args>` in the copy, with this interpreter."""
        command = [sys.executable, str(self.path / "scripts" / script), *args]
        result = subprocess.run(
            command, cwd=self.path, env={**os.environ, **GIT_ENV}, capture_output=True, text=True
        )
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def api_diff(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("api_diff.py", *args)


def schemas(spec: Spec) -> dict[str, Any]:
    found: dict[str, Any] = spec["components"]["schemas"]
    return found


def lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return result.stdout.splitlines()
