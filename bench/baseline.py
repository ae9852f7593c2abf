"""The bare-parse baseline: read every file, parse its front matter with PyYAML.

This is what ``clipqa check`` is measured against: one process, every ``*.txt`` /
``*.md`` file under the folder read and decoded, and the text between the opening
``---`` line and the next ``---`` line loaded with
``yaml.load(..., Loader=yaml.CSafeLoader)``. Files without front matter are only read.

    python -m bench.baseline FOLDER
"""

from __future__ import annotations

import os
import sys
import time

import yaml


def files(root: str) -> list[str]:
    out: list[str] = []
    for folder, _dirs, names in os.walk(root):
        out.extend(os.path.join(folder, n) for n in names if n.endswith((".txt", ".md")))
    out.sort()
    return out


def front_matter(text: str) -> str | None:
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---\n", 3)
    if end < 0:
        end = text.find("\n---", 3)
        if end < 0:
            return None
    return text[4 : end + 1]


def run(root: str) -> tuple[int, int, int]:
    """(files, parsed, failed)."""
    parsed = failed = 0
    paths = files(root)
    for path in paths:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
        fm = front_matter(text)
        if fm is None:
            continue
        try:
            yaml.load(fm, Loader=yaml.CSafeLoader)
            parsed += 1
        except yaml.YAMLError:
            failed += 1
    return len(paths), parsed, failed


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m bench.baseline FOLDER", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    n, parsed, failed = run(args[0])
    print(f"{n} files, {parsed} front matters parsed, {failed} failed, {time.perf_counter() - t0:.2f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
