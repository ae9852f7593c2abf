"""`clipqa import --fix` (issue 20, at the gate): the batch's safe fixes are applied before it
is gated, exactly as `clipqa fix` applies them; the corpus gets the fixed bytes, the
quarantine's ``originals/`` keeps the original ones, and the manifest says what was fixed.

Crash safety (SIGKILL, ENOSPC, EACCES, files changed during the import, --abort) is in
tests/test_gate_faults.py, with the rest of the gate's fault suite.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from tests.test_fix import clip

REPO = Path(__file__).resolve().parents[1]

# One safely fixable glitch per file (and a clean one): each is a finding at warning or above.
GLITCHED = {
    "mojibake.txt": clip(1, title="Caf\u00c3\u00a9 news").encode(),  # E201
    "published.txt": clip(2, published="yes").encode(),  # F101, P106
    "bom.txt": b"\xef\xbb\xbf" + clip(3).encode(),  # E102
    "cr.txt": clip(4).replace("\n", "\r").encode(),  # E104
    "zwj.txt": clip(5, title="Astronaut \U0001f468\U0001f680 lands").encode(),  # E208
    "sub/entity.txt": clip(6, title="Tom &amp; Jerry").encode(),  # E206
}
CLEAN = {"clean.txt": clip(7).encode()}
RULES = {
    "mojibake.txt": ["E201"],
    "published.txt": ["F101", "P106"],
    "bom.txt": ["E102"],
    "cr.txt": ["E104"],
    "zwj.txt": ["E208"],
    "sub/entity.txt": ["E206"],
}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def clipqa(cwd: Path, *args: str | Path, module: str = "qa") -> subprocess.CompletedProcess[str]:
    """``python -m qa ARGS`` (or another module: tests.faultshim) in ``cwd``."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
        timeout=300,
    )


def files(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def put(folder: Path, contents: dict[str, bytes]) -> None:
    for name, data in contents.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


def fixed_by_clipqa_fix(tmp: Path, contents: dict[str, bytes], *extra: str) -> dict[str, bytes]:
    """What `clipqa fix` writes for each file (in a folder of its own)."""
    folder = tmp / "by-clipqa-fix"
    shutil.rmtree(folder, ignore_errors=True)
    put(folder, contents)
    proc = clipqa(tmp, "fix", folder, "--isolated", "--no-cache", "-q", *extra)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return files(folder)


def scene(tmp: Path, batch: dict[str, bytes]) -> tuple[Path, Path]:
    incoming, corpus = tmp / "incoming", tmp / "corpus"
    put(incoming, batch)
    put(corpus, {"old.txt": clip(99).encode()})
    return incoming, corpus


def everything(tmp: Path) -> dict[str, bytes]:
    """Every file under ``tmp`` but the import lock (an empty file that stays between imports)
    and the corpus index beside the corpus (derived from the corpus, as the result cache is:
    a dry run builds it or brings it up to date)."""
    return {
        k: v for k, v in files(tmp).items() if not k.endswith(".clipqa-import.json.lock") and ".clipqa-index." not in k
    }


def test_a_batch_with_only_safely_fixable_findings_passes_with_fix_and_fails_without(tmp_path: Path) -> None:
    batch = GLITCHED | CLEAN
    incoming, corpus = scene(tmp_path, batch)
    (incoming / "bom.txt").chmod(0o640)
    gate = ("--isolated", "--no-cache", "--fail-on", "warning")
    before = everything(tmp_path)

    # without --fix: every glitched file is rejected
    ran = clipqa(tmp_path, "import", incoming, "--into", corpus, "--dry-run", *gate)
    assert ran.returncode == 1, ran.stderr
    doc = json.loads(ran.stdout)
    assert {r["name"]: r["rules"] for r in doc["rejected"]} == RULES
    assert doc["fix"] is None and doc["fixed"] == [] and doc["counts"]["fixed"] == 0

    # --dry-run --fix: what would be fixed, the verdict after fixing, and nothing written
    ran = clipqa(tmp_path, "import", incoming, "--into", corpus, "--dry-run", "--fix", *gate)
    assert ran.returncode == 0, ran.stderr
    doc = json.loads(ran.stdout)
    assert doc["dry_run"] is True and sorted(doc["accepted"]) == sorted(batch) and doc["rejected"] == []
    assert {f["name"]: f["rules"] for f in doc["fixed"]} == RULES
    assert "would fix 6 file(s)" in ran.stderr and "would be kept in" in ran.stderr
    assert everything(tmp_path) == before, "--dry-run --fix wrote something"

    # the import: passes; the corpus holds exactly what `clipqa fix` writes; originals kept as they were
    expected = fixed_by_clipqa_fix(tmp_path / "x", batch)
    q = tmp_path / "quarantine" / "q"
    ran = clipqa(tmp_path, "import", incoming, "--into", corpus, "--fix", "--quarantine", q, *gate)
    assert ran.returncode == 0, ran.stderr
    doc = json.loads(ran.stdout)
    assert files(incoming) == {}
    assert files(corpus) == {"old.txt": clip(99).encode(), **expected}
    assert all(expected[name] != batch[name] for name in GLITCHED)  # (each was really fixed)
    assert files(q / "originals") == GLITCHED, "the originals are not kept byte-identical"
    assert stat.S_IMODE((corpus / "bom.txt").stat().st_mode) == 0o640  # the original's permission bits
    assert doc["fix"] == {"unsafe_fixes": False, "originals": str(q / "originals")}
    assert doc["counts"] == {"accepted": 7, "already_imported": 0, "rejected": 0, "left": 0, "fixed": 6}
    for item in doc["fixed"]:
        name = item["name"]
        assert item["sha256_before"] == sha(batch[name]) and item["sha256_after"] == sha(expected[name])
        assert item["original_kept_as"] == f"originals/{name}"
        assert item["rules"] == RULES[name] and {f["rule"] for f in item["fixes"]} == set(RULES[name])
        assert all(f["applicability"] == "safe" and f["edits"] for f in item["fixes"])
    assert json.loads((q / "manifest.json").read_text()) | {"manifest": doc["manifest"]} == doc
    rules = "E102, E104, E201, E206, E208, F101, P106"
    assert f"fixed 6 file(s) ({rules}); their original bytes kept in {q}/originals" in ran.stderr
    # the corpus now passes a check (nothing was left to fix)
    check = clipqa(tmp_path, "check", corpus, "--isolated", "--no-cache", "--no-reports", "--fail-on", "warning")
    assert check.returncode == 0, check.stdout

    # idempotent: the same batch imported again with --fix is already in the corpus
    put(incoming, batch)
    corpus_now = files(corpus)
    q2 = tmp_path / "quarantine" / "q2"
    ran = clipqa(tmp_path, "import", incoming, "--into", corpus, "--fix", "--quarantine", q2, *gate)
    assert ran.returncode == 0, ran.stderr
    doc = json.loads(ran.stdout)
    assert sorted(doc["already_imported"]) == sorted(batch) and doc["accepted"] == []
    assert files(corpus) == corpus_now and files(incoming) == {}
    assert files(q2 / "originals") == GLITCHED  # this import's originals, kept too: nothing is lost
    # without --fix, the same names with other bytes are conflicts, never overwriting the corpus
    put(incoming, GLITCHED)
    ran = clipqa(tmp_path, "import", incoming, "--into", corpus, "--dry-run", *gate)
    assert {r["name"]: r["rules"] for r in json.loads(ran.stdout)["rejected"]} == {n: ["P129"] for n in GLITCHED}


def test_a_fix_declined_by_verification_leaves_the_file_gated_on_its_findings(tmp_path: Path) -> None:
    """`&#35;` in a plain scalar: the fix would write `#`, which YAML reads as a comment; the
    planner's re-parse sees the title change and declines it. The file is gated on E206,
    quarantined as it was (nothing kept in originals/). A second file has that and a fix
    that passes: it is fixed, still rejected, and quarantined fixed with its original kept."""
    hashed = b"---\ntitle: Big &#35;1 news\n" + clip(1).encode().split(b"\n", 2)[2]
    both = b"---\ntitle: Big &#35;1 news\n" + clip(2, published="yes").encode().split(b"\n", 2)[2]
    batch = {"hashed.txt": hashed, "both.txt": both, **CLEAN}
    incoming, corpus = scene(tmp_path, batch)
    q = tmp_path / "quarantine" / "q"
    ran = clipqa(
        tmp_path, "import", incoming, "--into", corpus, "--fix", "--quarantine", q, "--isolated", "--fail-on", "warning"
    )
    assert ran.returncode == 1, ran.stderr
    doc = json.loads(ran.stdout)
    assert {r["name"]: r["rules"] for r in doc["rejected"]} == {"both.txt": ["E206"], "hashed.txt": ["E206"]}
    assert doc["accepted"] == ["clean.txt"]
    declined = {(d["name"], d["rule"]) for d in doc["fix_declined"]}
    assert declined == {("hashed.txt", "E206"), ("both.txt", "E206")}
    assert all("would not read as the fix meant" in d["reason"] for d in doc["fix_declined"])
    assert "hashed.txt:2: E206 fix not applied" in ran.stderr
    # gated on its own findings, quarantined as given
    assert (q / "hashed.txt").read_bytes() == hashed
    record = json.loads((q / "hashed.txt.findings.json").read_text())
    assert record["sha256"] == sha(hashed) and "fixed" not in record
    # the other: fixed where it could be, exactly as `clipqa fix` does, its original kept
    expected = fixed_by_clipqa_fix(tmp_path / "x", {"both.txt": both}, "--fail-on", "warning")["both.txt"]
    assert b"published: true" in expected and b"&#35;" in expected
    assert (q / "both.txt").read_bytes() == expected
    record = json.loads((q / "both.txt.findings.json").read_text())
    assert record["sha256"] == sha(expected)  # the record describes the bytes beside it
    assert record["fixed"]["sha256_before"] == sha(both) and record["fixed"]["original_kept_as"] == "originals/both.txt"
    assert [f["rule"] for f in record["findings"]] == ["E206"]
    assert files(q / "originals") == {"both.txt": both}
    assert [f["name"] for f in doc["fixed"]] == ["both.txt"]


def test_unsafe_fixes_only_when_asked(tmp_path: Path) -> None:
    text = clip(1, body="Leave a Reply\n\nThe story.").encode()  # B101, an unsafe fix
    incoming, corpus = scene(tmp_path, {"a.txt": text})
    gate = ("--isolated", "--no-cache", "--fail-on", "warning")
    ran = clipqa(tmp_path, "import", incoming, "--into", corpus, "--dry-run", "--fix", *gate)
    assert ran.returncode == 1 and json.loads(ran.stdout)["rejected"][0]["rules"] == ["B101"]
    assert "would fix no file" in ran.stderr
    ran = clipqa(tmp_path, "import", incoming, "--into", corpus, "--unsafe-fixes", *gate)
    assert ran.returncode == 2 and "--unsafe-fixes applies only with --fix" in ran.stderr
    ran = clipqa(tmp_path, "import", incoming, "--into", corpus, "--fix", "--unsafe-fixes", *gate)
    assert ran.returncode == 0, ran.stderr
    doc = json.loads(ran.stdout)
    assert doc["fix"]["unsafe_fixes"] is True and doc["fixed"][0]["rules"] == ["B101"]
    assert doc["fixed"][0]["fixes"][0]["applicability"] == "unsafe"
    expected = fixed_by_clipqa_fix(tmp_path / "x", {"a.txt": text}, "--unsafe-fixes")
    assert files(corpus)["a.txt"] == expected["a.txt"] == clip(1, body="The story.").encode()


def test_an_unfinished_import_resumes_as_planned_with_or_without_fix(tmp_path: Path) -> None:
    """The journal holds the plan, fixed bytes included: stopped midway (a full disk, injected),
    the import is finished by the command run again even without --fix; --abort takes no --fix."""
    incoming, corpus = scene(tmp_path, GLITCHED)
    expected = fixed_by_clipqa_fix(tmp_path / "x", GLITCHED)
    spec = json.dumps({"errno": "ENOSPC", "calls": ["write"], "under": str(corpus), "after": 2})
    args = ("import", incoming, "--into", corpus, "--fix", "--isolated", "--no-cache", "--fail-on", "warning")
    stopped = clipqa(tmp_path, spec, *args, module="tests.faultshim")
    assert stopped.returncode == 2 and "(ENOSPC)" in stopped.stderr, stopped.stderr
    assert 0 < len(files(incoming)) < len(GLITCHED)
    ran = clipqa(tmp_path, "import", "--abort", "--into", corpus, "--fix")
    assert ran.returncode == 2 and "--abort takes only --into" in ran.stderr
    ran = clipqa(tmp_path, "import", incoming, "--into", corpus, "--isolated")  # no --fix, no --fail-on
    assert ran.returncode == 0, ran.stderr
    assert files(corpus) == {"old.txt": clip(99).encode(), **expected}
    assert len(json.loads(ran.stdout)["fixed"]) == len(GLITCHED)
