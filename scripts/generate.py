"""Regenerate `generated/close_sequences/` from the spec, or check that it is up to date.

    python scripts/generate.py            # write generated/close_sequences/
    python scripts/generate.py --check    # exit 1 naming the files that differ
    python scripts/generate.py --spec other.yaml --target /tmp/pkg   # for tests
    python scripts/generate.py --record-upstream   # after re-merging overrides (see below)

The client is always generated into a temporary folder first, so a spec the generator
rejects leaves `generated/` untouched and the generator's own message on stderr. The
post-hooks run ruff with `--isolated`, so the output does not depend on where it is written.

The spec declares Close's naive UTC timestamps with the custom format `naive-utc-date-time`
(they are not RFC 3339 `date-time`); the generator knows only `date-time`, whose Python type
(an aware UTC `datetime` that writes Close's text back) is the same for both, so the copy the
generator reads says `date-time` there.

The generated `close_sequences.__version__` is the one in `src/close_seq_ext/_version.py`
(which pyproject.toml reads too), given to the generator as `package_version_override`: a
new version there makes `--check` fail until the package is regenerated.

A template in `openapi/templates/` replaces the generator's own of the same name, so a fix
upstream makes to that file would be hidden silently at the next generator upgrade.
`openapi/templates/upstream-sha256.txt` records, for the pinned generator, the hash of each
upstream template overridden; generating and `--check` first fail naming every override
whose upstream template is no longer the one it was merged from. Re-merge those, then
`--record-upstream`.
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "close-sequences.yaml"
CONFIG = ROOT / "openapi" / "generator-config.yaml"
# The one place the version is written: pyproject.toml reads it (hatch's `version.path`),
# and the generated package's `__version__` is rendered from it.
VERSION_FILE = ROOT / "src" / "close_seq_ext" / "_version.py"
_VERSION = re.compile(r'^__version__ = "([0-9A-Za-z.+!-]+)"$', re.MULTILINE)
TEMPLATES = ROOT / "openapi" / "templates"
TARGET = ROOT / "generated" / "close_sequences"
UPSTREAM_RECORD = TEMPLATES / "upstream-sha256.txt"
# Custom formats of the spec, and the generator format that reads them.
GENERATOR_FORMATS = {"naive-utc-date-time": "date-time"}
# The generator does not write one; PEP 561 needs it for users' type checkers.
PY_TYPED = "# Marker file for PEP 561: close_sequences ships type information.\n"


def upstream_templates() -> Path:
    """The templates folder of the installed (pinned) generator."""
    import openapi_python_client

    return Path(openapi_python_client.__file__).parent / "templates"


def generator_version() -> str:
    from importlib.metadata import version

    return f"openapi-python-client {version('openapi-python-client')}"


def overrides(templates: Path) -> list[str]:
    """The templates in `templates`, by path relative to it."""
    return sorted(str(p.relative_to(templates)) for p in templates.rglob("*.jinja"))


def upstream_hashes(templates: Path, upstream: Path) -> dict[str, str]:
    """sha256 of the generator's own template for each override ("" when it has none)."""
    found = {}
    for name in overrides(templates):
        original = upstream / name
        found[name] = (
            hashlib.sha256(original.read_bytes()).hexdigest() if original.is_file() else ""
        )
    return found


def record_text(templates: Path, upstream: Path) -> str:
    lines = [
        f"# {generator_version()}: sha256 of the generator's own template that each file",
        "# of openapi/templates/ replaces. Written by `scripts/generate.py --record-upstream`",
        "# after re-merging; `make check-generated` fails naming each that changed upstream.",
    ]
    lines += [
        f"{digest or '-'}  {name}" for name, digest in upstream_hashes(templates, upstream).items()
    ]
    return "\n".join(lines) + "\n"


def upstream_drift(templates: Path, upstream: Path, record: Path) -> list[str]:
    """One line per override whose upstream template is not the one it was merged from."""
    recorded: dict[str, str] = {}
    if record.is_file():
        for line in record.read_text().splitlines():
            if line and not line.startswith("#"):
                digest, name = line.split(maxsplit=1)
                recorded[name] = "" if digest == "-" else digest
    problems = []
    for name, digest in upstream_hashes(templates, upstream).items():
        if name not in recorded:
            problems.append(f"{name}: no upstream hash recorded")
        elif recorded[name] != digest:
            problems.append(f"{name}: the generator's own {name} changed since it was merged")
    problems += [
        f"{name}: recorded, but no longer overridden"
        for name in recorded
        if not (templates / name).is_file()
    ]
    return problems


def generator_input(spec: Path, folder: Path) -> Path:
    """Write the copy of `spec` the generator reads (see GENERATOR_FORMATS) into `folder`."""
    yaml = YAML(typ="safe")
    document = yaml.load(spec.read_text())

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            node = {key: rewrite(value) for key, value in node.items()}
            if node.get("format") in GENERATOR_FORMATS:
                node["format"] = GENERATOR_FORMATS[node["format"]]
            return node
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    copy = folder / spec.with_suffix(".json").name
    copy.write_text(json.dumps(rewrite(document), indent=1))
    return copy


def package_version() -> str:
    """The version in `src/close_seq_ext/_version.py`, for the generated `__version__`."""
    found = _VERSION.search(VERSION_FILE.read_text())
    if found is None:
        raise SystemExit(f'no `__version__ = "..."` line in {VERSION_FILE}')
    return found.group(1)


def generator_config(folder: Path) -> Path:
    """Write the generator's settings into `folder`, with the package's version added."""
    config = YAML(typ="safe").load(CONFIG.read_text())
    config["package_version_override"] = package_version()
    copy = folder / "generator-config.json"
    copy.write_text(json.dumps(config, indent=1))
    return copy


def generate_into(
    folder: Path, spec: Path = SPEC, target: Path = TARGET, templates: Path = TEMPLATES
) -> Path:
    """Run the pinned generator on `spec` into `folder` and return the package directory."""
    out = folder / "close_sequences"
    spec = generator_input(spec, folder)
    env = dict(os.environ)
    # The post-hooks call `ruff`: make it the one pinned in this interpreter's environment.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    command = [
        sys.executable, "-m", "openapi_python_client", "generate",
        "--path", str(spec),
        "--config", str(generator_config(folder)),
        "--custom-template-path", str(templates),
        "--meta", "none",
        "--fail-on-warning",
        "--output-path", str(out),
    ]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0 or not (out / "__init__.py").is_file():
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"generation failed; {target} was left as it was")
    (out / "py.typed").write_text(PY_TYPED)
    return out


def differing_files(expected: Path, actual: Path) -> list[str]:
    """Relative paths that are missing, extra or different between two trees."""

    def files(root: Path) -> set[str]:
        return {
            str(p.relative_to(root))
            for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }

    want, have = files(expected), files(actual)
    changed = {
        name
        for name in want & have
        if not filecmp.cmp(expected / name, actual / name, shallow=False)
    }
    return sorted((want ^ have) | changed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the target is stale")
    parser.add_argument("--spec", type=Path, default=SPEC, help="the OpenAPI document")
    parser.add_argument("--target", type=Path, default=TARGET, help="the package folder")
    parser.add_argument("--templates", type=Path, default=TEMPLATES, help="the overrides")
    parser.add_argument(
        "--record-upstream", action="store_true", help="record the upstream templates' hashes"
    )
    args = parser.parse_args()
    target: Path = args.target.resolve()
    if args.record_upstream:
        UPSTREAM_RECORD.write_text(record_text(TEMPLATES, upstream_templates()))
        print(f"wrote {UPSTREAM_RECORD}")
        return 0
    # Before generating too: output from an override that hides an upstream fix is not wanted.
    if args.templates == TEMPLATES:
        drift = upstream_drift(TEMPLATES, upstream_templates(), UPSTREAM_RECORD)
        if drift:
            print(f"Template overrides to re-merge with {generator_version()}:")
            print("  " + "\n  ".join(drift))
            print("Re-merge each, then run `python scripts/generate.py --record-upstream`.")
            return 1
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate_into(Path(tmp), spec=args.spec, target=target, templates=args.templates)
        if args.check:
            stale = differing_files(fresh, target) if target.exists() else ["(all files)"]
            if stale:
                print(f"{target} is out of date; run `make generate`.")
                print("Differing files:\n  " + "\n  ".join(stale))
                return 1
            print(f"{target} is up to date.")
            return 0
        # Copy beside the target, then swap, so the old package stays whole until the end.
        staging = target.with_name(target.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(fresh, staging)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
