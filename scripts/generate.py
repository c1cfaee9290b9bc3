"""Regenerate `generated/close_sequences/` from the spec, or check that it is up to date.

    python scripts/generate.py            # write generated/close_sequences/
    python scripts/generate.py --check    # exit 1 naming the files that differ
    python scripts/generate.py --spec other.yaml --target /tmp/pkg   # for tests

The client is always generated into a temporary folder first, so a spec the generator
rejects leaves `generated/` untouched and the generator's own message on stderr. The
post-hooks run ruff with `--isolated`, so the output does not depend on where it is written.

The spec declares Close's naive UTC timestamps with the custom format `naive-utc-date-time`
(they are not RFC 3339 `date-time`); the generator knows only `date-time`, whose Python type
(an aware UTC `datetime` that writes Close's text back) is the same for both, so the copy the
generator reads says `date-time` there.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
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
TEMPLATES = ROOT / "openapi" / "templates"
TARGET = ROOT / "generated" / "close_sequences"
# Custom formats of the spec, and the generator format that reads them.
GENERATOR_FORMATS = {"naive-utc-date-time": "date-time"}
# The generator does not write one; PEP 561 needs it for users' type checkers.
PY_TYPED = "# Marker file for PEP 561: close_sequences ships type information.\n"


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


def generate_into(folder: Path, spec: Path = SPEC, target: Path = TARGET) -> Path:
    """Run the pinned generator on `spec` into `folder` and return the package directory."""
    out = folder / "close_sequences"
    spec = generator_input(spec, folder)
    env = dict(os.environ)
    # The post-hooks call `ruff`: make it the one pinned in this interpreter's environment.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    command = [
        sys.executable, "-m", "openapi_python_client", "generate",
        "--path", str(spec),
        "--config", str(CONFIG),
        "--custom-template-path", str(TEMPLATES),
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
    args = parser.parse_args()
    target: Path = args.target.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate_into(Path(tmp), spec=args.spec, target=target)
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
