"""Regenerate (or, with --check, verify) the rule table in README.md from the registry."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"(<!-- rules:start[^\n]*-->\n)(.*?)(<!-- rules:end -->)", re.DOTALL)


def generated() -> str:
    out = subprocess.run(
        [sys.executable, "-m", "qa", "rules", "--format", "markdown"], capture_output=True, text=True, check=True
    )
    return out.stdout


def main() -> int:
    text = README.read_text(encoding="utf-8")
    match = BLOCK.search(text)
    if match is None:
        print("README.md has no rules block", file=sys.stderr)
        return 2
    table = generated()
    if "--check" in sys.argv:
        if match.group(2) != table:
            print("README.md's rule table is out of date: run python tools/readme_rules.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(text[: match.start(2)] + table + text[match.end(2) :], encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
