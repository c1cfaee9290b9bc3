"""Fail unless each package is 100% type-complete and documented, as an editor sees it.

    python scripts/check_types.py close_seq_ext close_sequences

Runs `basedpyright --verifytypes` (what Pylance users get) on each installed package: every
public symbol must have a known type, every public function and class a docstring. Prints
each symbol that falls short, with basedpyright's reason, and exits 1 if any does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# The classes pyright invents for an attrs field with a converter (`Term.values`): there is
# no source to document, and Pylance shows none of them.
SYNTHESIZED = "__converterDescriptor_"


def problems(package: str) -> tuple[float, list[str]]:
    """The completeness score of `package` and one line per symbol that falls short."""
    bin_dir = Path(sys.executable).parent
    # basedpyright finds the packages through the first `python` on PATH: this one's.
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [bin_dir / "basedpyright", "--verifytypes", package, "--ignoreexternal", "--outputjson"],
        capture_output=True,
        text=True,
        env=env,
    )
    report = json.loads(result.stdout)["typeCompleteness"]
    failing = {
        symbol["name"]: symbol["diagnostics"][0]["message"].splitlines()[0]
        for symbol in report["symbols"]
        if symbol["diagnostics"] and SYNTHESIZED not in symbol["name"]
    }
    lines = [f"{name}: {why}" for name, why in failing.items()]
    if report["pyTypedPath"] is None:
        lines.append(f"{package}: not found with a py.typed beside it (is it installed?)")
    return report["completenessScore"], lines


def main(packages: list[str]) -> int:
    failed = False
    for package in packages:
        score, lines = problems(package)
        print(f"{package}: {score:.1%} type-complete, {len(lines)} problems")
        for line in lines:
            print(f"  {line}")
        failed = failed or score < 1 or bool(lines)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
