"""The README's rule table is generated from the registry and must stay in step with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_readme_rule_table_matches_the_registry() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "tools" / "readme_rules.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_readme_quick_start_names_the_real_commands() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "clipqa check examples/corpus" in text
    assert "nox -s lint typecheck tests" in text
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 -m venv .venv && .venv/bin/pip install nox && .venv/bin/nox -s lint typecheck tests" in ci
    assert "python3 -m venv .venv && .venv/bin/pip install nox && .venv/bin/nox -s lint typecheck tests" in text
