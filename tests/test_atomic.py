"""Atomic writes: whole files only, with the mode a file written in place would have."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from qa.atomic import atomic_open, write_text

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_the_mode_the_umask_gives(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        import qa.atomic

        qa.atomic._UMASK.clear()  # read again under this test's umask
        write_text(tmp_path / "report.json", "{}\n")
    finally:
        os.umask(old)
        qa.atomic._UMASK.clear()
    assert mode(tmp_path / "report.json") == 0o640  # not mkstemp's private 0600
    write_text(tmp_path / "other.json", "{}\n")
    assert mode(tmp_path / "other.json") == 0o666 & ~old


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "baseline.json"
    target.write_text("old\n")
    target.chmod(0o604)
    write_text(target, "new\n")
    assert target.read_text() == "new\n"
    assert mode(target) == 0o604


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old page\n")
    with pytest.raises(RuntimeError), atomic_open(target) as fh:
        fh.write("half a page")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old page\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
