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
"""

from __future__ import annotations

import argparse
import ast
import shutil
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {
    "close_sequences": ROOT / "generated" / "close_sequences",
    "close_seq_ext": ROOT / "src" / "close_seq_ext",
}


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


def vendor(destination: Path) -> int:
    """Copy both packages under `destination`, rewrite their imports; the modules written."""
    destination.mkdir(parents=True, exist_ok=True)
    (destination / "__init__.py").touch()
    written = 0
    for name, source in PACKAGES.items():
        target = destination / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        for module in target.rglob("*.py"):
            text = module.read_text()
            module.write_text(rewrite_imports(text, relative_prefix(module, destination)))
            written += 1
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
    args = parser.parse_args()
    written = vendor(args.destination)
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
