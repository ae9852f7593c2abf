"""Developer and CI sessions. ``nox -s tests`` is what CI runs (see .ci/run).

Each session reuses its virtualenv between runs (``reuse_venv``), and installs
the project once, editable, with the extras it needs.
"""

from __future__ import annotations

import nox

nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "typecheck", "tests"]
PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The test suite, browser and HTTP-server tests included."""
    session.install("-e", ".[test,gx]")
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "qa", "tests", "noxfile.py")
    session.run("ruff", "format", "--check", "qa", "tests", "noxfile.py")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy, strict, on the package."""
    session.install("-e", ".[test]", "mypy>=1.10", "pandas-stubs", "types-PyYAML", "types-regex")
    session.run("mypy")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Speed targets: runs every bench/*_bench.py (each exits 1 when it misses its target).

    bench/scale_bench.py is issue 9: clipqa check vs the bare PyYAML parse at 10k/30k/100k files;
    bench/incremental_bench.py is issue 6: a re-check after 1% of 100k files changed vs a cold run.
    """
    from pathlib import Path

    from nox.command import CommandFailed

    # what every bench needs: psutil (bench), pillow (the image bench's real image bytes),
    # linkchecker (the image bench's peer), playwright (the report bench's browser). Not the
    # test extra: the timed processes run as on a user's machine, and pandera imports
    # hypothesis whenever it is installed (~0.1 s of every clipqa process: a tenth of a gate).
    session.install("-e", ".[bench]", "pillow>=10", "playwright>=1.45", "linkchecker>=10")
    missed = []
    for script in sorted(Path("bench").glob("*_bench.py")):
        try:  # every bench runs and prints its figures, even after one has missed its target
            session.run("python", str(script), *session.posargs)
        except CommandFailed:
            missed.append(script.name)
    if missed:
        session.error(f"missed a target or failed: {', '.join(missed)}")


@nox.session(python=PYTHON)
def bench_incremental(session: nox.Session) -> None:
    """Issue 6 alone: re-check after 1% of 100,000 files changed, at most 15% of a cold run
    (docs/gate.md). Options: `nox -s bench_incremental -- --files 10000 --runs 3`."""
    session.install("-e", ".[bench]")
    session.run("python", "bench/incremental_bench.py", *session.posargs)


@nox.session(python=PYTHON)
def bench_scale(session: nox.Session) -> None:
    """Issue 9 alone, with options: `nox -s bench_scale -- --sizes 10000 --runs 3` (docs/performance.md)."""
    session.install("-e", ".[bench]")
    session.run("python", "-m", "bench.run", *session.posargs)


@nox.session(python=PYTHON)
def bench_images(session: nox.Session) -> None:
    """Online image check over 5,000 loopback URLs (issue 4): cold < 10 s, warm < 1 s, vs linkchecker."""
    session.install("-e", ".[test]", "linkchecker>=10")
    session.run("python", "bench/image_bench.py", *session.posargs)


@nox.session(python=PYTHON)
def fuzz(session: nox.Session) -> None:
    """Fuzz read-and-parse and the per-file stage for FUZZ_SECONDS (default 60): atheris, then hypothesis."""
    import os

    session.install("-e", ".[test,fuzz]")
    seconds = int(os.environ.get("FUZZ_SECONDS", "60"))
    session.run(
        "python", "fuzz/fuzz_atheris.py", f"-max_total_time={max(1, seconds // 2)}", "-timeout=30",
        "-rss_limit_mb=4096", "-artifact_prefix=fuzz/", *session.posargs,
    )  # fmt: skip
    session.run("python", "fuzz/fuzz_hypothesis.py", env={"FUZZ_SECONDS": str(max(1, seconds - seconds // 2))})
    # The suite's property tests draw the same examples on every run (conftest's "repeatable"
    # profile, so that CI judges the commit); here they draw new ones.
    session.run("pytest", "-q", "-m", "hypothesis", "--hypothesis-profile=explore", "tests")


@nox.session(python=PYTHON)
def faults(session: nox.Session) -> None:
    """Issue 17, the long version: `clipqa import` (and `check`) killed, stopped, starved of disk,
    descriptors and permissions, CLIPQA_FAULT_ROUNDS times each (default 10) (docs/gate.md)."""
    import os

    session.install("-e", ".[test]")
    rounds = os.environ.get("CLIPQA_FAULT_ROUNDS", "10")
    session.run(
        "pytest", "tests/test_gate_faults.py", "tests/test_gate_import.py", "-p", "no:cacheprovider",
        *session.posargs, env={"CLIPQA_FAULT_ROUNDS": rounds},
    )  # fmt: skip


@nox.session(python=PYTHON)
def eval(session: nox.Session) -> None:
    """Precision and recall of the text checks: the labelled cases (tests/text_eval.py) and the
    real pages, tune, dev, test and fresh splits (tests/realpages_eval.py; posargs go to it, e.g. --split dev -v)."""
    session.install("-e", ".")
    session.run("python", "tests/text_eval.py", success_codes=[0, 1])  # a miss is printed; go on
    session.run("python", "tests/realpages_eval.py", *session.posargs)


@nox.session(python=PYTHON)
def bench_report(session: nox.Session) -> None:
    """HTML report with 100,000 findings: generate < 30 s; open < 10 s and filter < 1 s in Chromium."""
    session.install("-e", ".[test]")
    session.run("python", "bench/report_bench.py", *session.posargs)
