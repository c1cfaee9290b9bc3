"""The CI workflows: linted by zizmor in `make lint`, and regenerating with `make generate`."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
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


def steps(job: dict[Any, Any]) -> list[dict[Any, Any]]:
    found: list[dict[Any, Any]] = job["steps"]
    return found


def runs(job: dict[Any, Any]) -> str:
    return "\n".join(step.get("run", "") for step in steps(job))


def test_a_push_regenerates_with_the_developers_script_and_a_pr_checks_drift() -> None:
    jobs = workflow("generated.yml")["jobs"]
    assert jobs["generate"]["if"] == "github.event_name == 'push'"
    assert "python scripts/generate.py\n" in runs(jobs["generate"]) + "\n"
    assert jobs["check-generated"]["if"] == "github.event_name == 'pull_request'"
    assert "python scripts/generate.py --check" in runs(jobs["check-generated"])
    makefile = (ROOT / "Makefile").read_text()
    assert "check-generated: $(STAMP)\n\t$(PY) scripts/generate.py --check" in makefile


def test_a_spec_change_alone_triggers_the_regeneration() -> None:
    triggers = workflow("generated.yml")[True]  # YAML 1.1 reads the key `on` as True
    assert "openapi/**" in triggers["push"]["paths"]
    assert "openapi/**" in triggers["pull_request"]["paths"]


def test_a_pull_request_reports_its_api_diff_and_fails_an_unlabelled_breaking_change() -> None:
    job = workflow("generated.yml")["jobs"]["api-diff"]
    diff, gate = steps(job)[-2:]
    assert 'python scripts/api_diff.py --base "origin/${BASE_REF}"' in diff["run"]
    assert '>> "$GITHUB_STEP_SUMMARY"' in diff["run"]
    assert "steps.diff.outputs.status == '1'" in gate["if"]
    assert "'breaking-change')" in gate["if"]
    assert "labeled" in workflow("generated.yml")[True]["pull_request"]["types"]


def test_every_job_that_installs_packages_is_read_only_and_hash_pinned() -> None:
    for name, job in workflow("generated.yml")["jobs"].items():
        if "pip install" not in runs(job):
            continue
        assert job["permissions"] == {"contents": "read"}, name
        assert steps(job)[0]["with"]["persist-credentials"] is False, name
        for line in runs(job).splitlines():
            if "pip install" in line:
                assert "--require-hashes --no-deps -r .ci/requirements-generate.txt" in line


def test_the_job_that_can_push_runs_nothing_from_the_package_index() -> None:
    job = workflow("generated.yml")["jobs"]["push"]
    assert job["permissions"] == {"contents": "write"}
    assert not [s for s in steps(job) if "setup-python" in s.get("uses", "")]
    commands = {line.split()[0] for line in runs(job).splitlines() if line.strip()}
    assert not commands & {"pip", "python", "python3", "make", "uv", "npx", "bash"}
    assert "pip" not in runs(job)


def test_the_ci_lock_pins_what_pyproject_pins_for_generating_and_releasing() -> None:
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]
    pinned = [pin for group in ("generate", "release") for pin in groups[group]]
    lock = (ROOT / ".ci" / "requirements-generate.txt").read_text()
    locked = set(re.findall(r"^([a-z0-9._-]+==\S+) \\$", lock, re.M))
    assert pinned
    assert set(pinned) <= locked
    assert lock.count("--hash=sha256:") >= len(locked)
