"""Every configuration example in the README and docs/ is one that clipqa accepts: a user copies
them, and an example with a key the loader rejects (one once said ``language.expected``) makes
clipqa exit 2 at its first run."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from qa.config import load_config

REPO = Path(__file__).resolve().parents[1]
_TOML_BLOCK = re.compile(r"^```toml\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _examples() -> list[tuple[str, str]]:
    found = []
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for n, block in enumerate(_TOML_BLOCK.findall(doc.read_text(encoding="utf-8"))):
            found.append((f"{doc.relative_to(REPO)}#{n + 1}", block))
    return found


EXAMPLES = _examples()


def test_the_docs_have_configuration_examples() -> None:
    assert len(EXAMPLES) >= 5, EXAMPLES


@pytest.mark.parametrize(("where", "block"), EXAMPLES, ids=[w for w, _ in EXAMPLES])
def test_a_configuration_example_is_accepted(tmp_path: Path, where: str, block: str) -> None:
    shutil.copytree(REPO / "schemas", tmp_path / "schemas")  # schema-dir = "schemas" in examples
    # [tool.clipqa...] tables go in pyproject.toml; the others are clipqa.toml's top level.
    name = "pyproject.toml" if re.search(r"^\[tool\.clipqa", block, re.MULTILINE) else "clipqa.toml"
    (tmp_path / name).write_text(block, encoding="utf-8")
    cfg = load_config(tmp_path)
    assert cfg.file == str(tmp_path / name), where
