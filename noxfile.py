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
    session.install("-e", ".[test]", "mypy>=1.10", "pandas-stubs", "types-PyYAML")
    session.run("mypy")


@nox.session(python=PYTHON)
def eval(session: nox.Session) -> None:
    """Precision and recall of the text checks (encoding, language, boilerplate) on tests/data."""
    session.install("-e", ".")
    session.run("python", "tests/text_eval.py", *session.posargs)
