"""List the public API changes of close_sequences and close_seq_ext since a git ref.

    python scripts/api_diff.py                 # since the last release (`make api-diff`)
    python scripts/api_diff.py --base main     # `make api-diff BASE=main`

One line per change, `<class>: <object>: <what>`, breaking first, then the semver class:

    breaking: close_sequences.models.SequenceSubscription.sender_name: Public object was removed
    feature: close_sequences.models.Sequence.archived: new attribute
    semver: major

The classes: `breaking` (code written against BASE may stop working), `feature` (new names,
new optional parameters or fields, a type widened where users write it) and `fix` (docstrings
only, i.e. the spec's descriptions). `semver:` is the class of the whole change (`major` for
any breaking change, whatever the version number; `make release` maps it to a version).
Exit status: 1 when a change is breaking, 2 when no diff could be made (an unknown BASE, a
`generated/` that does not match the spec), else 0.

The last release is the last commit that changed `src/close_seq_ext/_version.py`: tags may be
missing in a clone, that commit never is. A changed `__version__` value is no change.

griffe finds the removals and signature changes (`griffe.find_breaking_changes`); its check
does not judge additions or type annotations, so those are read from the APIs it loaded. A
model's field breaks differently by who writes it: a response field made wider (`str` to
`str | Unset`) breaks the code that reads it, a request field made narrower (made required,
or `str | None` to `str`) or a new required one breaks the code that builds it. Which models
are requests and which responses is read from where the spec (BASE's and this one) uses each
schema; a class the spec does not name is treated as both, so any annotation change to it
breaks.
"""

from __future__ import annotations

import argparse
import ast
import io
import logging
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import griffe
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
# Each package, by the folder that holds it in this repository.
PACKAGES = {"close_sequences": "generated", "close_seq_ext": "src"}
SPEC = "openapi/close-sequences.yaml"
VERSION_FILE = "src/close_seq_ext/_version.py"
CLASSES = ("breaking", "feature", "fix")
SEMVER = {"breaking": "major", "feature": "minor", "fix": "patch"}
EXIT_BREAKING = 1
EXIT_CANNOT_DIFF = 2
REQUEST, RESPONSE = "request", "response"


class CannotDiff(Exception):
    """No diff can be made (exit 2); the message says why in one line."""


@dataclass(frozen=True, order=True)
class Change:
    """One line of the report: `breaking: close_sequences.models.Sequence.name: ...`."""

    rank: int
    path: str
    what: str

    @classmethod
    def of(cls, kind: str, path: str, what: str) -> Change:
        return cls(CLASSES.index(kind), path, what)

    @property
    def kind(self) -> str:
        return CLASSES[self.rank]

    def line(self) -> str:
        return f"{self.kind}: {self.path}: {self.what}"


def semver(changes: Iterable[Change]) -> str:
    """`major`, `minor`, `patch` for the gravest change, `none` for no change."""
    ranks = [change.rank for change in changes]
    return SEMVER[CLASSES[min(ranks)]] if ranks else "none"


def report(changes: list[Change]) -> str:
    """The printed report: the changes, then `semver: ...`."""
    return "".join(f"{change.line()}\n" for change in sorted(set(changes))) + (
        f"semver: {semver(changes)}\n"
    )


# --- where the spec uses each schema ---------------------------------------------------


def schema_roles(documents: Iterable[Mapping[str, Any]]) -> dict[str, set[str]]:
    """Class name -> {"request", "response"}: how the operations use the schema.

    A schema nested in a request body or a parameter is a request; one nested in a response
    is a response; the generated class of a schema is its name in PascalCase.
    """
    roles: dict[str, set[str]] = {}
    for document in documents:
        components = document.get("components", {})
        for item in document.get("paths", {}).values():
            _mark(item.get("parameters"), REQUEST, components, roles)
            for method, operation in item.items():
                if isinstance(operation, dict) and method != "parameters":
                    _mark(operation.get("parameters"), REQUEST, components, roles)
                    _mark(operation.get("requestBody"), REQUEST, components, roles)
                    _mark(operation.get("responses"), RESPONSE, components, roles)
    return roles


def _mark(node: Any, role: str, components: Any, roles: dict[str, set[str]]) -> None:
    """Add `role` to every schema `node` refers to, through refs and nesting."""
    if isinstance(node, list):
        for item in node:
            _mark(item, role, components, roles)
    elif isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            kind, name = ref.removeprefix("#/components/").split("/", 1)
            if kind == "schemas":
                seen = roles.setdefault(class_name(name), set())
                if role in seen:
                    return  # done already (and a recursive schema ends here)
                seen.add(role)
            _mark(components.get(kind, {}).get(name), role, components, roles)
        for key, value in node.items():
            if key != "$ref":
                _mark(value, role, components, roles)


def class_name(schema: str) -> str:
    """The generator's class name for a schema: `sequence_step-input` -> `SequenceStepInput`."""
    words = "".join(c if c.isalnum() else " " for c in schema).split()
    return "".join(word[:1].upper() + word[1:] for word in words)


def roles_of(cls: str, roles: Mapping[str, set[str]]) -> set[str]:
    """The roles of a generated class; an inline object (`ValidationErrorBodyFieldErrors`)
    has its enclosing schema's; a class the spec does not name, both."""
    for end in range(len(cls), 0, -1):
        if cls[:end] in roles:
            return roles[cls[:end]]
    return {REQUEST, RESPONSE}


# --- the public API as griffe loads it ------------------------------------------------


@dataclass(frozen=True)
class Item:
    """A public object under the shortest public name it is reachable by."""

    path: str
    obj: griffe.Object


def load(folders: Mapping[str, Path]) -> dict[str, griffe.Object]:
    """Each package in `folders` (name -> the folder holding it), loaded by griffe from source.

    A package missing from its folder (or only a folder without `__init__.py`) is left out:
    all of it is then new, or removed.
    """
    loader = griffe.GriffeLoader(
        search_paths=sorted({str(folder) for folder in folders.values()}), allow_inspection=False
    )
    packages: dict[str, griffe.Object] = {}
    for name, folder in folders.items():
        if not (folder / name / "__init__.py").is_file():
            continue
        package = loader.load(name)
        if not isinstance(package, griffe.Module) or not isinstance(package.filepath, Path):
            raise CannotDiff(f"{name} in {folder} is not a package")
        if folder not in package.filepath.parents:
            raise CannotDiff(f"{name} was not loaded from {folder}")
        packages[name] = package
    loader.resolve_aliases(implicit=False, external=False)
    return packages


def surface(packages: Mapping[str, griffe.Object]) -> dict[str, Item]:
    """Every public object of `packages`, keyed by its shortest public path.

    Re-exports (`close_seq_ext.make_client`, `close_sequences.models.Sequence`) are followed,
    so an object defined in a private module is named by the path users import it from.
    """
    best: dict[str, str] = {}
    queue: list[tuple[str, griffe.Object]] = [(name, obj) for name, obj in packages.items()]
    found: dict[str, griffe.Object] = {}
    while queue:  # breadth first: the first path that reaches an object is a shortest one
        path, obj = queue.pop(0)
        if obj.path in best:
            continue
        best[obj.path] = path
        found[path] = obj
        if not (obj.is_module or obj.is_class):
            continue
        # all_members: a class's inherited members too, as griffe's check compares them.
        for name, member in obj.all_members.items():
            if not member.is_public:
                continue
            target = _internal_target(member, packages)
            if target is not None:
                queue.append((f"{path}.{name}", target))
    return {path: Item(path, obj) for path, obj in found.items()}


def _internal_target(member: griffe.Object | griffe.Alias, packages: Mapping[str, Any]) -> Any:
    if not isinstance(member, griffe.Alias):
        return member
    try:
        target = member.final_target
    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None  # an external name (httpx, attrs): not ours to diff
    return target if target.package.name in packages else None


# --- comparing two APIs ------------------------------------------------------------------


def compare(
    old: Mapping[str, griffe.Object],
    new: Mapping[str, griffe.Object],
    roles: Mapping[str, set[str]],
) -> list[Change]:
    """The changes from the `old` packages to the `new` ones (same names, from `load`)."""
    before, after = surface(old), surface(new)
    shown = {item.obj.path: path for path, item in before.items()}
    shown.update({item.obj.path: path for path, item in after.items()})
    changes = [
        _breakage(breakage, shown)
        for name in old
        if name in new
        for breakage in griffe.find_breaking_changes(old[name], new[name])
    ]
    changes += [Change.of("breaking", name, "package removed") for name in old if name not in new]
    for path, item in after.items():
        if path not in before:
            if path.rpartition(".")[0] in after and path.rpartition(".")[0] not in before:
                continue  # inside a new module or class: the parent's line says it
            changes.append(_addition(item, roles))
        else:
            changes.extend(_modifications(before[path].obj, item, roles))
    return changes


def _breakage(breakage: griffe.Breakage, shown: Mapping[str, str]) -> Change:
    path = shown.get(breakage.obj.path, breakage.obj.path)
    name = getattr(breakage.old_value, "name", None) or getattr(breakage.new_value, "name", None)
    if isinstance(breakage.obj, griffe.Function) and isinstance(name, str):
        path = f"{path}({name})"
    return Change.of("breaking", path, breakage.kind.value)


def _addition(item: Item, roles: Mapping[str, set[str]]) -> Change:
    obj = item.obj
    parent = obj.parent
    if (
        isinstance(obj, griffe.Attribute)
        and isinstance(parent, griffe.Class)
        and _is_model(parent)
        and REQUEST in roles_of(parent.name, roles)
        and obj.value is None
    ):
        return Change.of("breaking", item.path, "new required field of a request model")
    return Change.of("feature", item.path, f"new {obj.kind.value}")


def _modifications(
    old: griffe.Object, item: Item, roles: Mapping[str, set[str]]
) -> Iterator[Change]:
    new, path = item.obj, item.path
    if (old.docstring and old.docstring.value) != (new.docstring and new.docstring.value):
        yield Change.of("fix", path, "docstring changed")
    if old.kind != new.kind:
        return  # griffe reports it
    if isinstance(old, griffe.Attribute) and isinstance(new, griffe.Attribute):
        side = _attribute_side(new, roles)
        yield from _judge(path, old.annotation, new.annotation, side)
    elif isinstance(old, griffe.Function) and isinstance(new, griffe.Function):
        old_parameters = {parameter.name: parameter for parameter in old.parameters}
        for parameter in new.parameters:
            before = old_parameters.get(parameter.name)
            where = f"{path}({parameter.name})"
            if before is None:
                if not parameter.required:
                    yield Change.of("feature", where, "new optional parameter")
            else:
                yield from _judge(where, before.annotation, parameter.annotation, REQUEST)
        if old.returns is not None:
            yield from _judge(f"{path}() return", old.returns, new.returns, RESPONSE)


def _is_model(cls: griffe.Class) -> bool:
    return cls.package.name == "close_sequences" and ".models." in cls.path


def _attribute_side(attribute: griffe.Attribute, roles: Mapping[str, set[str]]) -> str:
    """Who the attribute's type binds: REQUEST (users write it), RESPONSE (they read it), both."""
    parent = attribute.parent
    if isinstance(parent, griffe.Class) and _is_model(parent):
        found = roles_of(parent.name, roles)
        return next(iter(found)) if len(found) == 1 else "both"
    return RESPONSE if isinstance(parent, griffe.Module) else "both"


def _judge(path: str, old: Any, new: Any, side: str) -> Iterator[Change]:
    """A changed annotation, classed by whether it narrowed or widened and who it binds."""
    before, after = _union(old), _union(new)
    if before == after:
        return
    if after < before:
        how, breaks = "narrowed", side != RESPONSE
    elif after > before:
        how, breaks = "widened", side != REQUEST
    else:
        how, breaks = "changed", True
    text = f"type {how}: {old} -> {new}"
    yield Change.of("breaking" if breaks else "feature", path, text)


def _union(annotation: Any) -> frozenset[str]:
    """The members of a union annotation (`str | None` and `Optional[str]` alike)."""
    if annotation is None:
        return frozenset()
    try:
        tree = ast.parse(str(annotation), mode="eval").body
    except SyntaxError:
        return frozenset({str(annotation)})
    members: list[ast.expr] = []

    def flatten(node: ast.expr) -> None:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            flatten(node.left)
            flatten(node.right)
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in {"Union", "Optional"}:
            inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            for part in inner:
                flatten(part)
            if ast.unparse(node.value) == "Optional":
                members.append(ast.Constant(None))
        else:
            members.append(node)

    flatten(tree)
    return frozenset(ast.unparse(member) for member in members)


# --- git ---------------------------------------------------------------------------------


def git(*args: str, cwd: Path = ROOT) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise CannotDiff(result.stderr.strip().splitlines()[-1] if result.stderr else str(args))
    return result.stdout


def last_release(cwd: Path = ROOT) -> str:
    """The last commit that changed the version file."""
    commit = git("log", "-1", "--format=%H", "--", VERSION_FILE, cwd=cwd).strip()
    if not commit:
        raise CannotDiff(f"no commit changed {VERSION_FILE}: give BASE=<ref>")
    return commit


def resolve(ref: str, cwd: Path = ROOT) -> str:
    """The commit `ref` names, or CannotDiff naming it."""
    result = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0 or not ref or ref.startswith("-"):
        raise CannotDiff(f"unknown BASE ref {ref!r}: not a commit in this repository")
    return result.stdout.strip()


def checkout(commit: str, folder: Path, cwd: Path = ROOT) -> Path:
    """The packages and the spec of `commit`, written under `folder` (no work tree touched)."""
    paths = [*dict.fromkeys(PACKAGES.values()), SPEC]
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "--", *paths], cwd=cwd, capture_output=True
    )
    if archive.returncode != 0:
        raise CannotDiff(f"{commit[:12]} lacks {' or '.join(paths)}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def spec_document(root: Path) -> dict[str, Any]:
    spec = root / SPEC
    loaded = YAML(typ="safe").load(spec.read_text()) if spec.is_file() else None
    return loaded if isinstance(loaded, dict) else {}


def check_generated(root: Path = ROOT) -> None:
    """CannotDiff unless `generated/` is what the spec generates (a diff of it would lie)."""
    command = [sys.executable, str(root / "scripts" / "generate.py"), "--check"]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stdout + result.stderr).strip()
        raise CannotDiff(f"generated/ does not match the spec; run `make generate` first\n{detail}")


def diff_against(base: str, root: Path = ROOT) -> list[Change]:
    """The changes from commit `base` to the working tree of `root`."""
    quiet = logging.getLogger("griffe")
    quiet.setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        old_root = checkout(base, Path(tmp), cwd=root)
        old = load({name: old_root / folder for name, folder in PACKAGES.items()})
        new = load({name: root / folder for name, folder in PACKAGES.items()})
        roles = schema_roles([spec_document(old_root), spec_document(root)])
        return compare(old, new, roles)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="", help="git ref to compare with (the last release)")
    args = parser.parse_args(argv)
    try:
        base = resolve(args.base) if args.base else last_release()
        check_generated()
        changes = diff_against(base)
    except CannotDiff as error:
        print(f"api-diff: {error}", file=sys.stderr)
        return EXIT_CANNOT_DIFF
    print(
        f"api-diff: changes since {args.base or 'the last release'} ({base[:12]})", file=sys.stderr
    )
    sys.stdout.write(report(changes))
    return EXIT_BREAKING if semver(changes) == "major" else 0


if __name__ == "__main__":
    sys.exit(main())
