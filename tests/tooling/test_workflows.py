"""The CI workflows: linted by zizmor in `make lint`, and regenerating with `make generate`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.spec_support import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
ZIZMOR = Path(sys.executable).parent / "zizmor"


def zizmor(path: Path) -> subprocess.CompletedProcess[str]:
    command = [str(ZIZMOR), "--offline", "--no-progress", str(path)]
    return subprocess.run(command, capture_output=True, text=True)


def workflow(name: str) -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return loaded


def test_the_workflows_pass_zizmor() -> None:
    result = zizmor(WORKFLOWS)
    assert result.returncode == 0, result.stdout


def test_zizmor_fails_on_a_workflow_open_to_template_injection(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request_target\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    result = zizmor(bad)
    assert result.returncode != 0
    assert "template-injection" in result.stdout


def test_a_push_regenerates_with_the_developers_make_generate_and_a_pr_checks_drift() -> None:
    jobs = workflow("generated.yml")["jobs"]
    runs = {name: [step.get("run", "") for step in job["steps"]] for name, job in jobs.items()}
    assert jobs["regenerate"]["if"] == "github.event_name == 'push'"
    assert "make generate" in runs["regenerate"]
    assert jobs["check-generated"]["if"] == "github.event_name == 'pull_request'"
    assert "make check-generated" in runs["check-generated"]


def test_a_spec_change_alone_triggers_the_regeneration() -> None:
    triggers = workflow("generated.yml")[True]  # YAML 1.1 reads the key `on` as True
    assert "openapi/**" in triggers["push"]["paths"]
    assert "openapi/**" in triggers["pull_request"]["paths"]
