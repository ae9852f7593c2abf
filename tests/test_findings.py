"""The rule registry and finding identity."""

from __future__ import annotations

import pytest

from qa.findings import REGISTRY, Finding, rule, shorten


def test_fingerprint_ignores_line_and_message_but_not_evidence() -> None:
    a = Finding("S102", "schema", "error", "a.txt", "quality", 9, 1, "m1", "high")
    moved = Finding("S102", "schema", "error", "a.txt", "quality", 30, 4, "m2", "high")
    other = Finding("S102", "schema", "error", "a.txt", "quality", 9, 1, "m1", "low")
    assert a.fingerprint == moved.fingerprint
    assert a.fingerprint != other.fingerprint
    assert len(a.fingerprint) == 16


def test_registry_refuses_clashing_codes_and_names() -> None:
    existing = REGISTRY["S101"]
    with pytest.raises(ValueError, match="declared twice"):
        rule("S101", "another-name", "schema", "error", "doc")
    with pytest.raises(ValueError, match="declared twice"):
        rule("S999", existing.name, "schema", "error", "doc")
    with pytest.raises(ValueError, match="unknown check"):
        rule("Q999", "q", "quality", "error", "doc")
    assert "S999" not in REGISTRY


def test_evidence_is_short_and_bounded() -> None:
    nested: list = [1]
    for _ in range(30):
        nested = [nested] * 10  # shared references: a walk of all of it would never end
    assert len(shorten(nested) or "") < 300
    assert shorten("x" * 1000) is not None and len(shorten("x" * 1000) or "") == 200
    assert shorten(None) is None
    assert shorten(2**5000) == "an integer of 5001 bits"
