"""Write ``qa/data/boilerplate_analysis.json``: the boilerplate catalogue read ahead.

Usage: ``python tools/boilerplate_analysis.py`` after editing ``qa/data/boilerplate.yaml``,
``qa/data/boilerplate_phrases.json`` or ``qa/checks/boilerplate.py`` (tests/test_boilerplate.py
fails until it is run). The file holds the parsed catalogue and each expression's top-level
alternatives, first characters and longest match, with the SHA-256 of what it was made from:
clipqa uses it only while that is unchanged (see ``qa.checks.boilerplate.shipped_analysis``).
The output is stable (the catalogue in its own order: the order of categories decides which one
a line is reported under): run it again and diff.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from qa.checks.boilerplate import catalogue_analysis

OUT = Path(__file__).resolve().parents[1] / "qa" / "data" / "boilerplate_analysis.json"


def main() -> int:
    doc = catalogue_analysis()
    OUT.write_text(json.dumps(doc, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(doc['analysis'])} expressions, key {doc['key'][:12]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
