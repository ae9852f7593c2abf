"""Hostile and broken input: every bad file gets a located finding, the run goes on.

The acceptance test builds a corpus with every hostile case (tests/hostile_cases.py)
and runs the real CLI in a child process limited to 4 GiB of address space.
"""

from __future__ import annotations

import faulthandler
import json
import multiprocessing
import os
import random
import re
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import qa.checks
import qa.engine.local
from bench.generate import generate
from qa.checks import Check, Context
from qa.config import Config, ConfigError, load_config
from qa.corpus import ReadOptions, Record, Source, read_record
from qa.findings import Finding
from qa.pipeline import run
from qa.schema import load_schema, validate_tables
from qa.tables import TableBuilder
from qa.yamlload import Limits, parse_yaml
from tests.hostile_cases import GOOD, billion_laughs, build, clipping

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"
GIB = 1 << 30


def _seed_text() -> str:
    if SEEDS.is_dir():
        seeds = sorted(SEEDS.glob("*.txt"))
        if seeds:
            return seeds[0].read_text(encoding="utf-8")
    if os.environ.get("CI"):
        pytest.fail(f"seed clippings missing at {SEEDS}")
    return GOOD


def _codes(findings: Iterable[Finding], path: str) -> set[str]:
    return {f.rule for f in findings if f.path == path}


def _schema_findings(text: str) -> list[Finding]:
    """Read one clipping and validate it against the bundled schemas."""
    return _schema_findings_at(text, Path(os.environ.get("TMPDIR", "/tmp")) / f"clipqa-hostile-{os.getpid()}.txt")


def _schema_findings_at(text: str, path: Path) -> list[Finding]:
    path.write_text(text, encoding="utf-8")
    try:
        rec = read_record(Source("x.txt", str(path)))
    finally:
        path.unlink()
    schema = load_schema()
    builder = TableBuilder(schema)
    rec.findings.extend(builder.add(0, rec))
    rec.findings.extend(validate_tables(schema, builder.frames()))
    rec.locate_findings()
    return rec.findings


# ---------------------------------------------------------------- acceptance


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (4 * GIB, 4 * GIB))


def test_hostile_corpus_under_4gib_cli(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    expected = build(corpus)
    report = tmp_path / "findings.json"
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    env.pop("CLIPQA_DEBUG", None)
    started = time.monotonic()
    proc = subprocess.run(  # noqa: PLW1510 - the return code is asserted
        [sys.executable, "-m", "qa", "check", str(corpus), "--isolated", "--json", str(report),
         "--html", str(tmp_path / "r.html")],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path, preexec_fn=_limit_memory,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert elapsed < 120
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "internal error" not in proc.stderr + proc.stdout
    doc = json.loads(report.read_text(encoding="utf-8"))
    findings = doc["findings"]
    by_path: dict[str, set[str]] = {}
    for f in findings:
        by_path.setdefault(f["path"], set()).add(f["rule"])
    missing = {p: codes for p, codes in expected.items() if codes and not (by_path.get(p, set()) & codes)}
    assert not missing, {p: (codes, by_path.get(p)) for p, codes in missing.items()}
    assert not any(r in {"P900", "P131", "P130"} for rules in by_path.values() for r in rules)
    # The good file is untouched by its hostile neighbours.
    assert not {r for r in by_path.get("good.txt", set()) if r[0] in "PSE"}
    # Nothing was executed by the !!python/object/apply tag.
    assert not (tmp_path / "corpus-pwned").exists()
    # Findings are located: parse findings inside the front matter carry a line.
    located = [f for f in findings if f["rule"] in {"P107", "P108", "P109", "P110", "P124"}]
    assert located and all(f["line"] for f in located)


def test_hostile_corpus_in_a_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same corpus through the process pool (normally used from 300 files up)."""
    expected = build(tmp_path / "c", special_files=False)
    monkeypatch.setattr(qa.engine.local, "IN_PROCESS_BELOW", 2)
    result = run([str(tmp_path / "c")], Config(jobs=2))
    for path, codes in expected.items():
        if codes:
            assert _codes(result.findings, path) & codes, (path, _codes(result.findings, path))
    assert not [f for f in result.findings if f.rule in {"P900", "P131"}]


def test_random_byte_mutations_of_a_seed_never_raise(tmp_path: Path) -> None:
    seed = _seed_text().encode("utf-8")
    rng = random.Random(20261123)
    folder = tmp_path / "mutants"
    folder.mkdir()
    for i in range(100):
        data = bytearray(seed)
        for _ in range(rng.randint(1, 12)):
            op = rng.randrange(4)
            pos = rng.randrange(len(data) or 1)
            if op == 0 and data:
                data[pos] = rng.randrange(256)
            elif op == 1:
                data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
            elif op == 2 and data:
                del data[pos : pos + rng.randint(1, 8)]
            else:  # YAML-significant characters
                data[pos:pos] = rng.choice(
                    [b"&a ", b"*a", b"!!python/object ", b"[", b"{", b"\n- ", b": ", b"<<: ", b"\r"]
                )
        (folder / f"m{i:03}.txt").write_bytes(bytes(data))
    result = run([str(folder)], Config(jobs=1))
    assert result.files == 100
    assert not [f for f in result.findings if f.rule in {"P900", "P131", "P130"}]
    # Mutation breaks things: most files get findings, and each finding names its file.
    assert len({f.path for f in result.findings}) > 50


# ---------------------------------------------------------------- YAML


def test_deep_nesting_that_would_crash_libyaml_is_a_finding() -> None:
    """200k '[' overflow libyaml's recursive composer (a segfault): run in a child."""
    code = (
        "from qa.yamlload import parse_yaml\n"
        "for doc in ('x: ' + '[' * 200000, 'x: ' + '{a: ' * 200000, '- ' * 100000 + 'x'):\n"
        "    p = parse_yaml(doc)\n"
        "    print(sorted({i.code for i in p.issues}), p.ok)\n"
    )
    proc = subprocess.run(  # noqa: PLW1510 - the return code is asserted
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 3
    assert all("P109" in line and "False" in line for line in lines), lines


def test_billion_laughs_is_bounded_and_fast() -> None:
    started = time.perf_counter()
    parsed = parse_yaml(billion_laughs(levels=30, width=10).split("---\n")[1])
    assert time.perf_counter() - started < 2
    assert not parsed.ok
    assert [i.code for i in parsed.issues] == ["P108"]


def test_unknown_tag_collections_are_never_built() -> None:
    parsed = parse_yaml("a: !!python/object/apply:os.system ['echo hi']\nb: [1]\nc: !foo {k: v}\n")
    assert parsed.data == {"a": None, "b": [1], "c": None}
    assert [(i.code, i.evidence) for i in parsed.issues] == [
        ("P107", "!!python/object/apply:os.system"),
        ("P107", "!foo"),
    ]


def test_field_length_limit_cuts_values_and_keys() -> None:
    parsed = parse_yaml(f"t: {'x' * 50}\n? {'k' * 40}\n: 1\nn: {'9' * 45}\n", Limits(max_scalar_chars=30))
    assert parsed.ok
    assert parsed.data == {"t": "x" * 30, "k" * 30: 1, "n": "9" * 30}
    issues = [(i.code, i.field, i.line) for i in parsed.issues]
    assert issues == [("P124", "t", 1), ("P124", None, 2), ("P124", "n", 4)]
    assert "50 characters long, over the limit of 30" in parsed.issues[0].message


def test_field_length_option_reaches_the_parser(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(clipping(title='"' + "y" * 500 + '"'), encoding="utf-8")
    default = run([str(tmp_path)], Config(jobs=1))
    assert "P124" not in _codes(default.findings, "a.txt")
    limited = run([str(tmp_path)], Config(jobs=1, max_field_length=100))
    p124 = [f for f in limited.findings if f.rule == "P124"]
    assert len(p124) == 1
    assert (p124[0].field, p124[0].line) == ("title", 2)


def test_config_keys_for_limits(tmp_path: Path) -> None:
    (tmp_path / "clipqa.toml").write_text("max-field-length = 500\ntime-budget = 2.5\n", encoding="utf-8")
    cfg = load_config(tmp_path)
    assert (cfg.max_field_length, cfg.time_budget) == (500, 2.5)
    (tmp_path / "clipqa.toml").write_text("time-budget = -1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="time-budget"):
        load_config(tmp_path)


# ---------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        ("2021-02-30T10:00:00Z", "publishedDateTime", "day is out of range for month"),
        ("2021-12-28 25:61:00Z", "publishedDateTime", "hour must be in 0..23"),
        ("2021-13-01", "publishedDateTime", "month must be in 1..12"),
    ],
)
def test_impossible_dates_are_schema_findings(value: str, field: str, message: str) -> None:
    parsed = parse_yaml(f"{field}: {value}\n")
    # kept as text, not an exception; and said: yaml.safe_load refuses such a document (P114)
    assert [(i.code, i.field, i.line) for i in parsed.issues] == [("P114", field, 1)]
    assert message in parsed.issues[0].message
    assert parsed.data == {field: value}
    found = _schema_findings(clipping(**{field: value}))
    wrong = [f for f in found if f.rule == "S102" and f.field == field]
    assert len(wrong) == 1
    assert message in wrong[0].message
    assert wrong[0].line == 4
    assert [(f.rule, f.line) for f in found if f.check == "parse"] == [("P114", 4)]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quality", "123456789012345678901234567890", "does not fit in a 64-bit integer column"),
        ("heat", "9223372036854775808", "does not fit in a 64-bit integer column"),
        ("heat", "9" * 5000, "a string of 5,000 digits"),
        ("quality", ".inf", "not a finite number"),
        ("heat", ".nan", "not a finite number"),
        ("quality", "-.inf", "not a finite number"),
    ],
)
def test_numbers_out_of_column_range_are_schema_findings(field: str, value: str, message: str) -> None:
    found = _schema_findings(clipping(**{field: value}))
    wrong = [f for f in found if f.field == field and f.check == "schema"]
    assert [f.rule for f in wrong] == ["S102"], [(f.rule, f.message) for f in found]
    # an integer of over 1,000 characters is kept as text, and the parser says so too
    kept = [f.rule for f in found if f.field == field and f.check == "parse"]
    assert kept == (["P114"] if len(value) > 1000 else [])
    assert message in wrong[0].message
    assert len(wrong[0].message) < 300


def test_largest_int64_is_accepted() -> None:
    found = _schema_findings(clipping(heat="9223372036854775807"))
    # In range for the column type; only the schema's own range check objects.
    assert [f.rule for f in found if f.field == "heat"] == ["S104"]


# ---------------------------------------------------------------- time budget and crashes


def _with_check(monkeypatch: pytest.MonkeyPatch, fn: object) -> None:
    checks = dict(qa.checks.all_checks())
    checks["hostile_test"] = Check("consistency", (), record=fn)  # type: ignore[arg-type]
    monkeypatch.setattr(qa.checks, "_CHECKS", checks)


def _slow(rec: Record, ctx: Context) -> list[Finding]:
    if "SLOW" in rec.text:
        re.fullmatch(r"(a|aa)+$", "a" * 200 + "b")  # exponential backtracking
    return []


def _crash(rec: Record, ctx: Context) -> list[Finding]:
    if "CRASH" in rec.text:
        faulthandler.disable()  # pytest's handler would print a dump of the deliberate crash
        os.kill(os.getpid(), signal.SIGSEGV)
    return []


def _corpus(folder: Path, n: int, marker: str, at: set[int]) -> None:
    folder.mkdir()
    for i in range(n):
        (folder / f"f{i:03}.txt").write_text(GOOD + (marker if i in at else ""), encoding="utf-8")


@pytest.mark.parametrize("pool", [False, True])
def test_a_file_over_the_time_budget_is_reported_and_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool: bool
) -> None:
    _with_check(monkeypatch, _slow)
    if pool:
        monkeypatch.setattr(qa.engine.local, "IN_PROCESS_BELOW", 2)
    _corpus(tmp_path / "c", 6, "SLOW", {2})
    started = time.monotonic()
    result = run([str(tmp_path / "c")], Config(jobs=2 if pool else 1, time_budget=2.0))
    assert time.monotonic() - started < 30
    over = [f for f in result.findings if f.rule == "P130"]
    assert [(f.path, f.severity) for f in over] == [("f002.txt", "error")]
    assert "check 'consistency'" in over[0].message
    # Skipped: the file has no row; the others do.
    assert sorted(result.tables["files"]["_path"]) == [f"f{i:03}.txt" for i in range(6) if i != 2]


def _sleepy(rec: Record, ctx: Context) -> list[Finding]:
    if "SLEEPY" in rec.text:
        time.sleep(0.7)
    return []


def test_the_time_budget_is_per_file_across_its_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each step of the marked file stays within the budget; together they do not. The stage runs
    each check over the whole chunk in turn, and the file's budget follows it from step to step."""
    checks = dict(qa.checks.all_checks())
    checks["sleepy_1"] = Check("sleepy_one", (), record=_sleepy)
    checks["sleepy_2"] = Check("sleepy_two", (), record=_sleepy)
    monkeypatch.setattr(qa.checks, "_CHECKS", checks)
    _corpus(tmp_path / "c", 4, "SLEEPY", {2})
    started = time.monotonic()
    result = run([str(tmp_path / "c")], Config(jobs=1, time_budget=1.0))
    assert time.monotonic() - started < 20
    over = [f for f in result.findings if f.rule == "P130"]
    assert [f.path for f in over] == ["f002.txt"]
    assert "check 'sleepy_two'" in over[0].message
    assert sorted(result.tables["files"]["_path"]) == ["f000.txt", "f001.txt", "f003.txt"]


def _sleepy_generator(rec: Record, ctx: Context) -> Iterator[Finding]:
    if "SLEEPY" in rec.text:
        time.sleep(1.5)  # inside the generator: runs when its findings are drawn
    yield from ()


def _raises_midway(rec: Record, ctx: Context) -> Iterator[Finding]:
    if "SLEEPY" in rec.text:
        raise RuntimeError("boom")  # raised when the findings are drawn, not at the call
    yield from ()


def test_a_generator_hooks_work_is_under_the_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A record hook written as a generator does its work when its findings are drawn: that
    happens inside the file's time budget, and a failure midway is a finding on the file."""
    checks = dict(qa.checks.all_checks())
    checks["sleepy_gen"] = Check("sleepy_gen", (), record=_sleepy_generator)
    checks["raises_midway"] = Check("raises_midway", (), record=_raises_midway)
    monkeypatch.setattr(qa.checks, "_CHECKS", checks)
    _corpus(tmp_path / "c", 4, "SLEEPY", {1, 2})
    result = run([str(tmp_path / "c")], Config(jobs=1, time_budget=1.0))
    over = [(f.path, f.message) for f in result.findings if f.rule == "P130"]
    assert [p for p, _ in over] == ["f001.txt", "f002.txt"]
    assert all("check 'sleepy_gen'" in m for _, m in over)
    assert sorted(result.tables["files"]["_path"]) == ["f000.txt", "f003.txt"]
    result = run([str(tmp_path / "c")], Config(jobs=1, time_budget=0))  # no budget: the failure is a finding
    failed = [f for f in result.findings if f.rule == "P900"]
    assert sorted(f.path for f in failed) == ["f001.txt", "f002.txt"]
    assert all("raises_midway" in f.message and "RuntimeError: boom" in f.message for f in failed)


@pytest.mark.parametrize("pool", [False, True])
def test_a_crashing_worker_does_not_stop_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool: bool) -> None:
    _with_check(monkeypatch, _crash)
    if pool:
        monkeypatch.setattr(qa.engine.local, "IN_PROCESS_BELOW", 2)
    _corpus(tmp_path / "c", 9, "CRASH", {1, 7})
    (tmp_path / "c" / "f004.txt").write_text(clipping(quality="500"), encoding="utf-8")
    result = run([str(tmp_path / "c")], Config(jobs=2 if pool else 1))
    crashed = [f for f in result.findings if f.rule == "P131"]
    assert sorted(f.path for f in crashed) == ["f001.txt", "f007.txt"]
    assert all("SIGSEGV" in f.message for f in crashed)
    # The other files were checked: their rows exist and their findings are there.
    assert sorted(result.tables["files"]["_path"]) == [f"f{i:03}.txt" for i in range(9) if i not in (1, 7)]
    assert [(f.rule, f.field) for f in result.findings if f.path == "f004.txt" and f.check == "schema"] == [
        ("S104", "quality")
    ]


def _finding_keys(findings: list[Finding]) -> list[tuple[object, ...]]:
    return [(f.rule, f.path, f.field, f.line, f.column, f.message, f.span) for f in findings]


def _schema_glitches(folder: Path) -> None:
    folder.mkdir()
    for i in range(6):
        glitch = {1: {"quality": "500"}, 3: {"heat": "hot"}, 4: {"quality": "-2"}}.get(i, {})
        (folder / f"f{i:03}.txt").write_text(clipping(**glitch), encoding="utf-8")


def test_a_lone_childs_tables_are_validated_by_its_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small run checks its files in one child while this process imports pandera and
    compiles the schemas; the child's tables are then validated in a child of this process:
    the findings are those of a run that does everything in one process."""
    _schema_glitches(tmp_path / "c")
    asked: list[int] = []
    real = qa.engine.local._ForkedValidation.in_fork

    def spy(self: Any, frames: dict[str, Any], *args: Any) -> Any:
        asked.append(len(frames["files"]))
        return real(self, frames, *args)

    monkeypatch.setattr(qa.engine.local._ForkedValidation, "in_fork", spy)
    split = run([str(tmp_path / "c")], Config(jobs=1))
    assert asked == [6]  # one request, for the chunk's six files
    monkeypatch.setattr(qa.engine.local, "ISOLATE", False)
    alone = run([str(tmp_path / "c")], Config(jobs=1))
    assert asked == [6]  # in one process nothing is asked
    schema_rules = sorted((f.path, f.rule, f.field) for f in split.findings if f.check == "schema")
    assert ("f001.txt", "S104", "quality") in schema_rules and ("f004.txt", "S104", "quality") in schema_rules
    assert _finding_keys(split.findings) == _finding_keys(alone.findings)


def test_a_lone_child_killed_while_its_tables_are_validated_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child is SIGKILLed while it waits for its tables' validation: the chunk is run again
    in halves (as for any child that dies), and every file keeps its findings."""
    _schema_glitches(tmp_path / "c")
    monkeypatch.setattr(qa.engine.local, "ISOLATE", False)
    expected = _finding_keys(run([str(tmp_path / "c")], Config(jobs=1)).findings)
    monkeypatch.setattr(qa.engine.local, "ISOLATE", True)
    real = qa.engine.local._ForkedValidation.in_fork
    killed: list[int] = []

    def kill_first(self: Any, frames: dict[str, Any], *args: Any) -> Any:
        if not killed:
            for child in multiprocessing.active_children():
                os.kill(child.pid, signal.SIGKILL)
                killed.append(child.pid)
                child.join()
        return real(self, frames, *args)

    monkeypatch.setattr(qa.engine.local._ForkedValidation, "in_fork", kill_first)
    result = run([str(tmp_path / "c")], Config(jobs=1))
    assert len(killed) == 1
    assert not [f for f in result.findings if f.rule in {"P131", "P900"}]
    assert _finding_keys(result.findings) == expected


def _validation_that_never_ends_on_f002(schema: Any, frames: dict[str, Any], *args: Any) -> list[Finding]:
    if "f002.txt" in set(frames["files"]["_path"]):
        time.sleep(3600)  # a pattern that backtracks without end: no signal stops it
    return _REAL_VALIDATE_CHUNK(schema, frames, *args)


_REAL_VALIDATE_CHUNK = qa.engine.local.validate_chunk


def test_a_validation_that_never_ends_is_stopped_and_only_its_file_is_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Validation runs in a child of its own under the chunk's deadline: one that never ends
    (a user's pattern that backtracks on a hostile value) is killed, the chunk is split down
    to the file, which is reported (P131), and the run ends with the other files' findings."""
    _schema_glitches(tmp_path / "c")
    monkeypatch.setattr(qa.engine.local, "validate_chunk", _validation_that_never_ends_on_f002)
    monkeypatch.setattr(qa.engine.local, "hard_limit", lambda spec, files: 3.0)
    started = time.monotonic()
    result = run([str(tmp_path / "c")], Config(jobs=1))
    assert time.monotonic() - started < 60
    assert not multiprocessing.active_children()  # every child killed or ended
    lost = [(f.path, f.message) for f in result.findings if f.rule == "P131"]
    assert [p for p, _ in lost] == ["f002.txt"] and "did not finish within 3 s" in lost[0][1]
    schema_rules = {(f.path, f.rule) for f in result.findings if f.check == "schema"}
    assert {("f001.txt", "S104"), ("f004.txt", "S104")} <= schema_rules


def test_read_record_does_not_block_on_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    code = (
        "import sys\nfrom qa.corpus import Source, read_record\n"
        f"r = read_record(Source('pipe.txt', {str(fifo)!r}))\nprint([(f.rule, f.message) for f in r.findings])\n"
    )
    proc = subprocess.run(  # noqa: PLW1510 - the return code is asserted
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 0, proc.stderr
    assert "P120" in proc.stdout and "named pipe" in proc.stdout


def test_read_options_default_limits() -> None:
    opts = ReadOptions()
    assert opts.max_file_bytes == 1 << 20
    assert opts.yaml_limits.max_scalar_chars == Config().max_field_length == 100_000


@pytest.mark.parametrize("code", ["P124", "P130", "P131"])
def test_new_rules_are_registered_for_config_and_listing(code: str, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    listing = subprocess.run(  # noqa: PLW1510 - the return code is asserted
        [sys.executable, "-m", "qa", "rules"], capture_output=True, text=True, timeout=60, env=env
    )
    assert listing.returncode == 0
    assert any(line.startswith(code) for line in listing.stdout.splitlines())
    (tmp_path / "a.txt").write_text(GOOD, encoding="utf-8")
    ignored = subprocess.run(  # noqa: PLW1510 - the return code is asserted
        [sys.executable, "-m", "qa", "check", str(tmp_path), "--isolated", "--no-reports", "-q", "--ignore", code],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert ignored.returncode == 0, ignored.stderr


_WARM: list[bool] = []


def _slow_first_use(rec: Record, ctx: Context) -> list[Finding]:
    """Like a check that loads a model on first use: slow once per process."""
    if not _WARM:
        _WARM.append(True)
        time.sleep(6)  # interrupted by the budget's alarm
    return []


def test_one_off_first_use_cost_is_not_a_time_budget_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _with_check(monkeypatch, _slow_first_use)
    _corpus(tmp_path / "c", 3, "", set())
    result = run([str(tmp_path / "c")], Config(jobs=1, time_budget=2.0))
    assert not [f for f in result.findings if f.rule == "P130"]
    assert len(result.tables["files"]) == 3


def _extra_columns(rec: Record, ctx: Context) -> dict[str, Any]:
    return {"words": len(rec.text.split())}


@pytest.mark.parametrize("batch", ["agrees", "raises", "wrong length", "over budget"])
def test_a_failing_batch_columns_hook_falls_back_to_the_per_record_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: str
) -> None:
    def columns_batch(records: Sequence[Record], ctx: Context) -> list[dict[str, Any]]:
        if batch == "raises":
            raise ValueError("a bug in the batch")
        if batch == "wrong length":
            return []
        if batch == "over budget":
            time.sleep(5)  # the chunk's budget: one file's per 100 files
        return [_extra_columns(rec, ctx) for rec in records]

    checks = dict(qa.checks.all_checks())
    checks["batch_test"] = Check(
        "batch_test", (), columns=_extra_columns, columns_batch=columns_batch, column_names=("words",)
    )
    monkeypatch.setattr(qa.checks, "_CHECKS", checks)
    _corpus(tmp_path / "c", 5, "", set())
    (tmp_path / "c" / "f002.txt").write_text(GOOD + "\n" + "many more words here " * 10, encoding="utf-8")
    result = run([str(tmp_path / "c")], Config(jobs=1, time_budget=1.0))
    files = result.tables["files"].sort_values("_path")
    words = [len((tmp_path / "c" / p).read_text(encoding="utf-8").split()) for p in files["_path"]]
    assert files["words"].tolist() == words and len(set(words)) == 2
    assert not [f for f in result.findings if f.rule in {"P130", "P900"}]


def test_the_file_timer_stops_a_step_past_its_deadline_and_nothing_else() -> None:
    from qa.budget import BudgetExceeded, FileTimer

    with FileTimer(0.2) as timer:  # ticks every 25 ms
        started = timer.start(0.05)
        with pytest.raises(BudgetExceeded):
            while True:
                pass
        timer.stop()
        assert 0.05 <= time.monotonic() - started < 1.0
        time.sleep(0.3)  # ticks while no step runs: nothing is raised
        with timer.armed(1.0):
            time.sleep(0.1)  # within its deadline


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
@pytest.mark.parametrize("files", [40, 300])
def test_no_process_outlives_a_killed_run(tmp_path: Path, files: int) -> None:
    """SIGKILL a run during its per-file stage (300 files: a pool of workers; 40: one forked
    child that isolates a crash); every process it started ends with it. (A child once kept
    the reading end of its result pipe, blocked writing into it, and lived on.)"""
    corpus = tmp_path / "corpus"
    generate(corpus, files, seed=3)
    for attempt in range(2):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "qa",
                "check",
                str(corpus),
                "--no-cache",
                "--no-reports",
                "-q",
                "--isolated",
                "-j",
                "2",
            ],
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        children: set[str] = set()
        deadline = time.monotonic() + 60
        while proc.poll() is None and not children and time.monotonic() < deadline:
            children = _children(proc.pid)
            time.sleep(0.01)
        time.sleep(0.1 * attempt)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)  # every writer of its stderr pipe is gone
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_running(pid) for pid in children):
            time.sleep(0.05)
        assert not [pid for pid in children if _running(pid)]


def _children(pid: int) -> set[str]:
    """The ids of the processes whose parent is ``pid`` (read from /proc: no pgrep needed)."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == str(pid):  # after the command: state, then the parent's id
            out.add(stat.parent.name)
    return out


def _running(pid: str) -> bool:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return "\nState:\tZ" not in fh.read()
    except OSError:
        return False
