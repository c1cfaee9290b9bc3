"""Bump the version by the API diff since the last release and write the CHANGELOG entry.

    python scripts/release.py            # `make release`: bump, changelog, regenerate
    python scripts/release.py --check    # `make release-check` (.ci/run): a bump matches

`make release` classes the release by the gravest of the API diff since the last release
(scripts/api_diff.py) and the fragments in changelog.d/ (behaviour changes no signature
shows), and bumps `src/close_seq_ext/_version.py` by it: before 1.0 a breaking change bumps
the minor version and a feature or a fix the patch; from 1.0 on, major, minor and patch.
towncrier writes the CHANGELOG.md entry from the diff's lines and the fragments (and deletes
the fragments); the client is regenerated so `close_sequences.__version__` follows. Nothing
is committed: review `git diff`, then commit it as one release commit.

`--check` is the CI gate, cheap on every commit that is not a release: only a commit that
changes the version (the working tree, or HEAD itself) is checked, and it must carry exactly
the bump `make release` gives for its API diff against the release before, or a larger one
that its CHANGELOG entry's sections account for, and a CHANGELOG entry. Commits that change
the API without touching the version are unreleased work, released by the next `make release`.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from api_diff import (
    CLASSES,
    EXIT_CANNOT_DIFF,
    ROOT,
    SEMVER,
    VERSION_FILE,
    CannotDiff,
    check_generated,
    diff_against,
    git,
    last_release,
    semver,
)

FRAGMENTS = ROOT / "changelog.d"
CHANGELOG = ROOT / "CHANGELOG.md"
_VERSION = re.compile(r'^__version__ = "(\d+)\.(\d+)\.(\d+)"$', re.MULTILINE)
# CHANGELOG.md's section titles (pyproject's [tool.towncrier] types) by class.
SECTIONS = {"breaking": "Breaking changes", "feature": "Features", "fix": "Fixes"}
ORDER = ["none", "patch", "minor", "major"]


def parse_version(text: str, where: str) -> tuple[int, int, int]:
    found = _VERSION.search(text)
    if found is None:
        raise CannotDiff(f'no `__version__ = "X.Y.Z"` line in {where}')
    major, minor, patch = (int(part) for part in found.groups())
    return major, minor, patch


def bump(version: tuple[int, int, int], change: str) -> tuple[int, int, int]:
    """The next version for a change of class `change` (`major`, `minor`, `patch`, `none`).

    >>> bump((0, 1, 0), "major"), bump((0, 1, 0), "minor"), bump((1, 2, 3), "minor")
    ((0, 2, 0), (0, 1, 1), (1, 3, 0))
    """
    major, minor, patch = version
    if change == "none":
        return version
    if major == 0:  # before 1.0 the minor number is the one that says "breaking"
        return (0, minor + 1, 0) if change == "major" else (0, minor, patch + 1)
    if change == "major":
        return (major + 1, 0, 0)
    return (major, minor + 1, 0) if change == "minor" else (major, minor, patch + 1)


def text(version: tuple[int, int, int]) -> str:
    return ".".join(str(part) for part in version)


def gravest(*classes: str) -> str:
    return max(classes, key=ORDER.index)


def fragments() -> dict[Path, str]:
    """Each changelog.d/ fragment and its class (the part of its name before `.md`)."""
    found = {}
    for fragment in sorted(FRAGMENTS.glob("*.md")):
        kind = fragment.name.removesuffix(".md").rpartition(".")[2]
        if kind in CLASSES:
            found[fragment] = SEMVER[kind]
    return found


def release() -> int:
    base = last_release()
    check_generated()
    changes = diff_against(base)
    behaviour = fragments()
    change = gravest(semver(changes), *behaviour.values())
    current = parse_version((ROOT / VERSION_FILE).read_text(), VERSION_FILE)
    if change == "none":
        print(f"Nothing to release since {text(current)} ({base[:12]}): no API change, no")
        print(f"fragment in {FRAGMENTS.relative_to(ROOT)}/.")
        return 1
    new = text(bump(current, change))
    orphans = []
    for number, line in enumerate(sorted(set(changes)), start=1):
        # Orphan fragments (`+name`): towncrier lists them without an issue number.
        orphans.append(FRAGMENTS / f"+api-diff-{number:04}.{line.kind}.md")
        orphans[-1].write_text(f"`{line.path}`: {line.what}\n")
    command = [sys.executable, "-m", "towncrier", "build", "--yes", "--name", "", "--version", new]
    built = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    for orphan in orphans:
        orphan.unlink(missing_ok=True)  # towncrier removed them, unless it failed
    if built.returncode != 0:
        raise CannotDiff(f"towncrier could not write CHANGELOG.md:\n{built.stdout}{built.stderr}")
    version_file = ROOT / VERSION_FILE
    version_file.write_text(_VERSION.sub(f'__version__ = "{new}"', version_file.read_text()))
    subprocess.run([sys.executable, str(ROOT / "scripts" / "generate.py")], cwd=ROOT, check=True)
    print(f"Released {new} ({change} change since {text(current)}): wrote CHANGELOG.md and")
    print(f"{VERSION_FILE}, regenerated generated/. Review `git diff`, then commit it:")
    print(f"  git commit -am 'Release {new}'")
    return 0


def entry_classes(version: str) -> list[str]:
    """The classes of the sections in CHANGELOG.md's entry for `version`; CannotDiff if none."""
    changelog = CHANGELOG.read_text() if CHANGELOG.is_file() else ""
    entry = re.search(rf"^## {re.escape(version)}\b.*?(?=^## |\Z)", changelog, re.M | re.S)
    if entry is None:
        raise CannotDiff(f"CHANGELOG.md has no entry for {version}: run `make release`")
    return [SEMVER[kind] for kind, title in SECTIONS.items() if f"### {title}" in entry.group(0)]


def check() -> int:
    if git("rev-parse", "--is-shallow-repository").strip() == "true":
        raise CannotDiff("a shallow clone: the release check needs the history (fetch-depth: 0)")
    releases = git("log", "--format=%H", "--", VERSION_FILE).split()
    head = git("rev-parse", "HEAD").strip()
    working = parse_version((ROOT / VERSION_FILE).read_text(), VERSION_FILE)
    committed = parse_version(git("show", f"HEAD:{VERSION_FILE}"), f"HEAD:{VERSION_FILE}")
    if working != committed:
        previous = releases[:1]  # the working tree is the release being made
    elif releases[:1] == [head]:
        previous = releases[1:2]  # HEAD is a release commit
    else:
        print(f"release check: {text(working)} is the last release ({last_release()[:12]});")
        print("the API changes since are unreleased until the next `make release`.")
        return 0
    if not previous:
        print(f"release check: {text(working)} is the first release.")
        return 0
    before = parse_version(git("show", f"{previous[0]}:{VERSION_FILE}"), previous[0][:12])
    changes = diff_against(previous[0])
    change = gravest(semver(changes), *entry_classes(text(working)))
    expected = bump(before, change)
    if working == expected:
        print(f"release check: {text(before)} -> {text(working)} matches its {change} change.")
        return 0
    print(f"release check: {text(before)} -> {text(working)}, but its change since {text(before)}")
    print(f"is {change}: the version should be {text(expected)}. API changes:")
    sys.stdout.write("".join(f"  {line.line()}\n" for line in sorted(set(changes))))
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="check the version, change nothing")
    args = parser.parse_args(argv)
    try:
        return check() if args.check else release()
    except CannotDiff as error:
        print(f"release: {error}", file=sys.stderr)
        return EXIT_CANNOT_DIFF


if __name__ == "__main__":
    sys.exit(main())
