"""Copy close-sequences into another app's package, with every import made relative.

    python scripts/vendor.py path/to/app/pkg/_vendor [--rewrite path/to/app/pkg/module.py ...]

writes `_vendor/close_sequences/` and `_vendor/close_seq_ext/` (and `_vendor/__init__.py` if
missing). Afterwards nothing in the copy imports a top-level `close_sequences` or
`close_seq_ext`: `from close_sequences.models import X` inside `close_seq_ext/_client.py`
becomes `from ..close_sequences.models import X`, so the app can pin its own copy beside any
other installed version. Only import statements are rewritten (found with `ast`, so strings
and comments that mention the packages are left alone). `--rewrite` does the same to the
app's own modules (`from close_seq_ext import make_client` in `pkg/app.py` becomes
`from ._vendor.close_seq_ext import make_client`). It prints what it wrote, how to import
the copy, and the requirements the app must install (the SDK's run-time dependencies).

The copy knows what it is: `_vendored.json` beside the packages records the version, the
commit (`-dirty` when generated/ or src/ had uncommitted changes), the date and a hash of
each file written. Vendoring again replaces only a copy with that mark: a folder holding the
packages without it is refused (`--adopt` marks such a copy, e.g. one vendored before the
mark existed, and replaces it), and so is a copy whose files were edited or added to since
(`--force`). Over an older copy it prints the API diff between the two (scripts/api_diff.py)
and, under each breaking change, the app's modules that mention the name; a breaking change
is refused unless `--force`. A destination inside this repository is refused: the copy is
for another app, and replacing it here would delete our own packages.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import hashlib
import json
import re
import shutil
import sys
import tempfile
import tomllib
from pathlib import Path

import api_diff

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {
    "close_sequences": ROOT / "generated" / "close_sequences",
    "close_seq_ext": ROOT / "src" / "close_seq_ext",
}
MARK = "_vendored.json"
EXIT_BREAKING = api_diff.EXIT_BREAKING
EXIT_REFUSED = 2


class Refused(Exception):
    """The destination is not one to write into; the message says why and what to do."""


class BreakingUpgrade(Refused):
    """The new copy breaks code written against the old one."""


def relative_prefix(module_file: Path, vendor_root: Path) -> str:
    """The leading dots that reach `vendor_root` from the package holding `module_file`."""
    depth = len(module_file.parent.relative_to(vendor_root).parts)
    return "." * (depth + 1)


def rewrite_imports(source: str, prefix: str) -> str:
    """`source` with absolute imports of the vendored packages made relative."""
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and _vendored(node.module):
            names = ", ".join(_alias(a) for a in node.names)
            edits.append(_edit(node, f"from {prefix}{node.module} import {names}"))
        elif isinstance(node, ast.Import) and any(_vendored(a.name) for a in node.names):
            edits.append(_edit(node, _relative_import(node, prefix)))
    for start, end, text in sorted(edits, reverse=True):
        indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
        lines[start : end + 1] = [f"{indent}{text}\n"]
    return "".join(lines)


def _vendored(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in PACKAGES


def _alias(alias: ast.alias) -> str:
    return f"{alias.name} as {alias.asname}" if alias.asname else alias.name


def _edit(node: ast.stmt, text: str) -> tuple[int, int, str]:
    assert node.end_lineno is not None
    return node.lineno - 1, node.end_lineno - 1, text


def _relative_import(node: ast.Import, prefix: str) -> str:
    # `import close_sequences.models as m` has no relative form but `from . import`.
    parts = []
    for alias in node.names:
        if not _vendored(alias.name):
            parts.append(f"import {_alias(alias)}")
            continue
        package, _, name = alias.name.rpartition(".")
        bound = alias.asname or alias.name
        if alias.asname is None and package:
            raise SystemExit(f"cannot vendor `import {alias.name}` without `as`: use `from`")
        parts.append(f"from {prefix}{package} import {name} as {bound}")
    return "; ".join(parts)


def copy_packages(destination: Path) -> int:
    """Copy both packages under `destination`, rewrite their imports; the modules written."""
    written = 0
    for name, source in PACKAGES.items():
        target = destination / name
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        for module in target.rglob("*.py"):
            text = module.read_text()
            module.write_text(rewrite_imports(text, relative_prefix(module, destination)))
            written += 1
    return written


def file_hashes(destination: Path) -> dict[str, str]:
    """sha256 of every file of the packages under `destination`, by relative path."""
    return {
        str(path.relative_to(destination)): hashlib.sha256(path.read_bytes()).hexdigest()
        for name in PACKAGES
        for path in sorted((destination / name).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def provenance() -> dict[str, str]:
    """What is being vendored: the version, the commit and the date."""
    version = re.search(r'__version__ = "(.+)"', (ROOT / api_diff.VERSION_FILE).read_text())
    try:
        commit = api_diff.git("rev-parse", "HEAD").strip()
        if api_diff.git("status", "--porcelain", "--", *set(api_diff.PACKAGES.values())).strip():
            commit += "-dirty"
    except api_diff.CannotDiff:
        commit = "unknown (not a git checkout)"
    return {
        "version": version.group(1) if version else "unknown",
        "commit": commit,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def check_destination(destination: Path, *, adopt: bool, force: bool) -> bool:
    """Refused unless `destination` may be written; whether it holds a copy to replace."""
    if destination.resolve().is_relative_to(ROOT):
        raise Refused(f"{destination} is inside this repository: vendor into another app")
    present = [name for name in PACKAGES if (destination / name).exists()]
    mark = destination / MARK
    if not present:
        return False
    if not mark.is_file():
        if adopt:
            return True
        raise Refused(
            f"{destination} holds {' and '.join(present)} without the {MARK} mark that "
            "`make vendor` writes: not a copy it made. ADOPT=1 marks it and replaces it."
        )
    recorded = json.loads(mark.read_text()).get("files", {})
    edited = sorted(set(file_hashes(destination).items()) - set(recorded.items()))
    if edited and not force:
        names = "\n  ".join(path for path, _ in edited)
        raise Refused(
            f"files in the copy in {destination} that `make vendor` did not write as they are"
            f" (they would be lost):\n  {names}\nFORCE=1 replaces them."
        )
    return True


def mentions(app: Path, name: str, skip: Path) -> list[str]:
    """`path:line` of each of the app's modules (outside `skip`) that mentions `name`."""
    word = re.compile(rf"\b{re.escape(name)}\b")
    found = []
    for module in sorted(app.rglob("*.py")):
        if module.resolve().is_relative_to(skip.resolve()):
            continue
        for number, line in enumerate(module.read_text(errors="replace").splitlines(), 1):
            if word.search(line):
                found.append(f"{module}:{number}")
    return found


def upgrade_report(old: Path, new: Path, app: Path) -> tuple[str, bool]:
    """The API diff from the copy in `old` to the one in `new`, with the app's mentions of
    each breaking change's name; and whether any change breaks."""
    folders = {name: old for name in PACKAGES}
    before = api_diff.load(folders)
    after = api_diff.load({name: new for name in PACKAGES})
    roles = api_diff.schema_roles([api_diff.spec_document(ROOT)])
    changes = sorted(set(api_diff.compare(before, after, roles)))
    lines = []
    for change in changes:
        lines.append(change.line())
        if change.kind == "breaking":
            name = re.split(r"[.(]", change.path.rstrip(")"))[-1]
            lines += [f"    mentioned in {where}" for where in mentions(app, name, old)]
    lines.append(f"semver: {api_diff.semver(changes)}")
    return "\n".join(lines), api_diff.semver(changes) == "major"


def vendor(destination: Path, *, force: bool = False, adopt: bool = False) -> int:
    """Write both packages and the mark under `destination`; the modules written.

    Raises Refused for a destination it must not write, or for a breaking upgrade without
    `force` (after printing the diff).
    """
    replacing = check_destination(destination, adopt=adopt, force=force)
    destination.mkdir(parents=True, exist_ok=True)
    (destination / "__init__.py").touch()
    with tempfile.TemporaryDirectory(dir=destination) as tmp:
        staging = Path(tmp)
        written = copy_packages(staging)
        if replacing:
            text, breaking = upgrade_report(destination, staging, destination.resolve().parent)
            print(f"API changes from the copy in {destination} to this one:\n{text}")
            if breaking and not force:
                message = "a breaking change for the app: nothing replaced (FORCE=1 does)"
                raise BreakingUpgrade(message)
        for name in PACKAGES:
            shutil.rmtree(destination / name, ignore_errors=True)
            (staging / name).rename(destination / name)
    mark = {**provenance(), "files": file_hashes(destination)}
    (destination / MARK).write_text(json.dumps(mark, indent=1) + "\n")
    return written


def rewrite_app_module(module: Path, destination: Path) -> bool:
    """Point `module`'s imports of the SDK at the copy in `destination`; whether it changed.

    `module` must be inside the package that holds `destination`.
    """
    app_package = destination.resolve().parent
    try:
        prefix = relative_prefix(module.resolve(), app_package) + destination.name + "."
    except ValueError:
        message = f"{module} is not inside {app_package}: it cannot import the copy"
        raise SystemExit(message) from None
    text = module.read_text()
    rewritten = rewrite_imports(text, prefix)
    module.write_text(rewritten)
    return rewritten != text


def package_path(folder: Path) -> str:
    """The dotted name `folder` is imported as: its parents up to the first without
    `__init__.py`.

    >>> package_path(Path("/nonexistent/app/_vendor"))
    '_vendor'
    """
    parts = [folder.name]
    folder = folder.resolve().parent
    while (folder / "__init__.py").exists():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


def requirements() -> list[str]:
    """What the copy needs installed: the distribution's run-time dependencies."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return list(project["dependencies"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("destination", type=Path, help="a package folder inside your app")
    parser.add_argument(
        "--rewrite",
        type=Path,
        nargs="*",
        default=[],
        metavar="MODULE",
        help="modules of your app whose SDK imports should point at the copy",
    )
    parser.add_argument("--force", action="store_true", help="replace despite breaking changes")
    parser.add_argument("--adopt", action="store_true", help="mark and replace an unmarked copy")
    args = parser.parse_args()
    try:
        written = vendor(args.destination, force=args.force, adopt=args.adopt)
    except Refused as refusal:
        print(f"make vendor: {refusal}", file=sys.stderr)
        return EXIT_BREAKING if isinstance(refusal, BreakingUpgrade) else EXIT_REFUSED
    except api_diff.CannotDiff as error:
        print(f"make vendor: {error}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"Wrote {written} modules of {' and '.join(PACKAGES)} to {args.destination}/")
    for module in args.rewrite:
        changed = rewrite_app_module(module, args.destination)
        print(f"{'Rewrote' if changed else 'No SDK imports in'} {module}")
    package = package_path(args.destination)
    print(f"Import the copy as {package}.close_seq_ext and {package}.close_sequences, e.g.")
    print(f"  from {package}.close_seq_ext import make_client")
    print("Add to your app's requirements (the SDK's run-time dependencies):")
    for requirement in requirements():
        print(f"  {requirement}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
