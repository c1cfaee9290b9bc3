"""`make vendor`: a copy of both packages that imports nothing top-level of ours."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import close_seq_ext
from close_seq_ext.testing import CloseServer
from tests.release_support import Spec, ThrowawayRepo, lines, schemas
from tests.spec_support import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from vendor import rewrite_imports

VENDOR = ROOT / "scripts" / "vendor.py"


def git_head() -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def remove_sender_name(spec: Spec) -> None:
    del schemas(spec)["SequenceSubscription"]["properties"]["sender_name"]


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


VENDORED_SERVICE_PROBE = """
import os, sys
import anyio, httpx
sys.path.insert(0, ".")
from myservice.app import create_app

async def main():
    app = create_app(api_key=os.environ["KEY"], base_url=os.environ["URL"])
    headers = {"Authorization": "Bearer " + os.environ["APP_API_TOKEN"]}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://svc", headers=headers
        ) as client:
            answer = await client.get("/enrollments/bulkseqsub_missing")
    print(answer.status_code)
    ours = [m for m in sys.modules if m.split(".")[0] in ("close_seq_ext", "close_sequences")]
    print(ours)

anyio.run(main)
"""


def test_the_fastapi_example_runs_from_a_vendored_copy(
    tmp_path: Path, close_server: CloseServer
) -> None:
    service = tmp_path / "myservice"
    service.mkdir()
    (service / "__init__.py").touch()
    for module in ("app.py", "auth.py", "config.py"):
        shutil.copy(ROOT / "examples" / "fastapi_app" / module, service / module)
    subprocess.run(
        [
            sys.executable,
            str(VENDOR),
            str(service / "_vendor"),
            "--rewrite",
            str(service / "app.py"),
        ],
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        [sys.executable, "-c", VENDORED_SERVICE_PROBE],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "KEY": close_server.api_key,
            "URL": close_server.base_url,
            "APP_API_TOKEN": "t" * 32,
            "CLOSE_SENDER_ACCOUNT_ID": "emailacct_1",
            "CLOSE_SENDER_NAME": "Ada",
            "CLOSE_SENDER_EMAIL": "ada@example.com",
        },
    )
    assert result.returncode == 0, result.stderr
    status, top_level_modules = result.stdout.split("\n")[:2]
    assert status == "404"  # a real call, through the vendored SDK, to the local server
    assert top_level_modules == "[]"


def test_it_prints_what_it_wrote_how_to_import_it_and_what_to_install(tmp_path: Path) -> None:
    app = tmp_path / "myapp"
    app.mkdir()
    (app / "__init__.py").touch()

    result = subprocess.run(
        [sys.executable, str(VENDOR), str(app / "_vendor")], capture_output=True, text=True
    )

    lines = result.stdout.splitlines()
    written = len(list((app / "_vendor").rglob("*.py"))) - 1  # not the `_vendor/__init__.py`
    assert (
        lines[0]
        == f"Wrote {written} modules of close_sequences and close_seq_ext to {app}/_vendor/"
    )
    assert "  from myapp._vendor.close_seq_ext import make_client" in lines
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert lines[-len(dependencies) :] == [f"  {d}" for d in dependencies]


def test_rewrite_points_the_apps_own_imports_at_the_copy(tmp_path: Path) -> None:
    app = tmp_path / "myapp"
    (app / "api").mkdir(parents=True)
    for package in (app, app / "api"):
        (package / "__init__.py").touch()
    (app / "api" / "routes.py").write_text("from close_seq_ext import make_client\n")
    (app / "settings.py").write_text("DEBUG = False\n")

    modules = [str(app / "api" / "routes.py"), str(app / "settings.py")]
    result = subprocess.run(
        [sys.executable, str(VENDOR), str(app / "_vendor"), "--rewrite", *modules],
        capture_output=True,
        text=True,
    )

    assert (app / "api" / "routes.py").read_text() == (
        "from .._vendor.close_seq_ext import make_client\n"
    )
    assert f"Rewrote {app / 'api' / 'routes.py'}" in result.stdout
    assert f"No SDK imports in {app / 'settings.py'}" in result.stdout


def make_app(folder: Path) -> Path:
    """An app package `myapp` in `folder` whose module reads a subscription's sender."""
    app = folder / "myapp"
    app.mkdir(parents=True)
    (app / "__init__.py").touch()
    (app / "views.py").write_text("def sender(sub):\n    return sub.sender_name\n")
    return app


def vendored(app: Path) -> dict[str, Any]:
    mark: dict[str, Any] = json.loads((app / "_vendor" / "_vendored.json").read_text())
    return mark


def test_the_copy_records_its_version_commit_and_date(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    subprocess.run([sys.executable, str(VENDOR), str(app / "_vendor")], check=True)

    mark = vendored(app)
    assert mark["version"] == close_seq_ext.__version__
    assert mark["commit"].removesuffix("-dirty") == git_head()
    assert datetime.datetime.fromisoformat(mark["date"]).tzinfo is not None
    assert "close_seq_ext/__init__.py" in mark["files"]


def test_vendoring_over_a_copy_with_a_field_since_removed_refuses_without_force(
    repo: ThrowawayRepo, tmp_path: Path
) -> None:
    app = make_app(tmp_path / "app")
    repo.run("vendor.py", str(app / "_vendor"), check=True)
    old_model = (app / "_vendor/close_sequences/models/sequence_subscription.py").read_text()
    repo.change_spec(remove_sender_name)

    result = repo.run("vendor.py", str(app / "_vendor"))

    assert result.returncode == 1
    assert lines(result)[1:] == [
        "breaking: close_sequences.models.SequenceSubscription.sender_name: "
        "Public object was removed",
        f"    mentioned in {app / 'views.py'}:2",
        "semver: major",
    ]
    assert "nothing replaced (FORCE=1 does)" in result.stderr
    assert (app / "_vendor/close_sequences/models/sequence_subscription.py").read_text() == (
        old_model
    )


def test_force_replaces_a_copy_despite_a_breaking_change(
    repo: ThrowawayRepo, tmp_path: Path
) -> None:
    app = make_app(tmp_path / "app")
    repo.run("vendor.py", str(app / "_vendor"), check=True)
    repo.change_spec(remove_sender_name)

    repo.run("vendor.py", str(app / "_vendor"), "--force", check=True)

    model = (app / "_vendor/close_sequences/models/sequence_subscription.py").read_text()
    assert "sender_name" not in model
    assert vendored(app)["commit"].endswith("-dirty")  # the spec change is not committed


def test_a_destination_inside_this_repository_is_refused(tmp_path: Path) -> None:
    destination = ROOT / "build" / "vendor-refused" / "_vendor"

    result = subprocess.run(
        [sys.executable, str(VENDOR), str(destination)], capture_output=True, text=True
    )

    assert result.returncode == 2
    assert result.stderr == (
        f"make vendor: {destination} is inside this repository: vendor into another app\n"
    )
    assert not destination.exists()


def test_a_copy_without_the_mark_is_refused_and_adopt_marks_it(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    (app / "_vendor" / "close_sequences").mkdir(parents=True)
    user_file = app / "_vendor" / "close_sequences" / "notes.py"
    user_file.write_text("# not ours\n")
    command = [sys.executable, str(VENDOR), str(app / "_vendor")]

    refused = subprocess.run(command, capture_output=True, text=True)
    adopted = subprocess.run([*command, "--adopt"], capture_output=True, text=True)

    assert refused.returncode == 2
    assert "without the _vendored.json mark" in refused.stderr
    assert "ADOPT=1" in refused.stderr
    assert adopted.returncode == 0, adopted.stderr
    assert vendored(app)["version"] == close_seq_ext.__version__


def test_a_file_added_to_a_marked_copy_is_refused_without_force(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    command = [sys.executable, str(VENDOR), str(app / "_vendor")]
    subprocess.run(command, check=True, capture_output=True)
    (app / "_vendor" / "close_seq_ext" / "local_patch.py").write_text("X = 1\n")

    result = subprocess.run(command, capture_output=True, text=True)

    assert result.returncode == 2
    assert "close_seq_ext/local_patch.py" in result.stderr
    assert (app / "_vendor" / "close_seq_ext" / "local_patch.py").exists()
