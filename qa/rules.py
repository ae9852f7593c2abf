"""The whole rule registry, reached without the CLI.

Each check module declares its own rules (:func:`qa.findings.rule`) when it is imported;
:func:`all_rules` imports every module that declares rules, so that the registry is
complete for ``clipqa rules``, the configuration (``select``, ``ignore``, ``severity``),
``clipqa fix`` (each rule's fix applicability) and the reports (SARIF's rule list).

The rules of the run itself, which belong to no check, are declared here: they are
reported by the per-file stage and by the engines.
"""

from __future__ import annotations

from qa.findings import REGISTRY, Rule, rule

P900 = rule(
    "P900",
    "internal-error",
    "parse",
    "error",
    "clipqa failed while checking this file (a bug in clipqa: please report it); other files are unaffected.",
)
P131 = rule(
    "P131",
    "checker-crashed",
    "parse",
    "error",
    "The process checking this file died (a crash in a C library, or killed for memory or time); "
    "the file was skipped and the run went on.",
)


def all_rules() -> dict[str, Rule]:
    """Every rule, by code (the registry, once every module that declares rules is imported)."""
    import qa.budget  # P130
    import qa.corpus  # P103, P104, P120-P123, E101-E104, S110
    import qa.gx  # G001 (cheap: Great Expectations itself is imported only by --gx)
    import qa.schema  # S1xx, S2xx
    import qa.tables
    import qa.yamlload  # noqa: F401 - P101, P102, P105-P112, P124
    from qa.checks import all_checks

    all_checks()
    return REGISTRY


__all__ = ["P131", "P900", "all_rules"]
